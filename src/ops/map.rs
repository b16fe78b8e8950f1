//! `target_mmap`: creating guest mappings.
//!
//! Three situations shape the work:
//! * no `MAP_FIXED`: find free guest space first, then map there;
//! * a target page larger than the real host page (8 KiB guests on 4 KiB hosts): the host
//!   faults on host pages wholly past end of file, so the rest of the target page holding
//!   end of file is backed by zeroed anonymous memory, as a guest kernel would show it;
//! * a host page larger than the target page (`-p 65536`): the host pages at either end of a
//!   `MAP_FIXED` range may be shared with other guest pages ("fragments"), which are kept and
//!   filled by hand; and a file offset that is not congruent to the address modulo the host
//!   page cannot be mapped at all, so the data is read into anonymous memory instead.
//!
//! Differences from QEMU 2.3 (Linux semantics; see docs/COMPATIBILITY.md): zero and overflowing
//! lengths fail, fixed ranges are checked against the guest space, `MAP_FIXED_NOREPLACE`
//! and `MAP_SHARED_VALIDATE` are understood, fresh anonymous fragments read as zero, the
//! read fallback reads everything (or zero-fills past end of file) and refuses shared
//! writable mappings (a read-only one is a private copy, as in QEMU), `errno` is set on
//! every failure and is Linux's where several checks fail, a refused map changes nothing
//! on any host page size, and a failed map re-reserves instead of leaving a hole under
//! `reserved_va`.

use std::os::raw::c_int;

use super::find::{find_vma, search_start, window_ok};
use super::protect::{protect_mapped, VALID_PROT};
use super::{ensure, err, flags_between, unmap, Failure, Outcome};
use crate::config::{
    abi_ulong, PAGE_BITS, PAGE_VALID, TARGET_PAGE_OFFSET_MASK, TARGET_PAGE_SIZE, TASK_UNMAPPED_BASE,
};
use crate::emulator::Emulator;
use crate::guest::{narrow, target_page_align, GuestAddr};
use crate::host;
use crate::lock;
use crate::state::{next_start, set_next_start};
use libc::{EEXIST, EINVAL, ENOMEM, EOPNOTSUPP, MAP_SHARED_VALIDATE, MAP_TYPE, PROT_WRITE};
use libc::{EOVERFLOW, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED};

/// The flags Linux accepts with `MAP_SHARED_VALIDATE` on an ordinary file (its
/// `LEGACY_MAP_MASK`); anything else is EOPNOTSUPP.
const SHARED_VALIDATE_KNOWN: c_int = MAP_TYPE
    | MAP_FIXED
    | MAP_ANONYMOUS
    | libc::MAP_DENYWRITE
    | libc::MAP_EXECUTABLE
    | 0x400_0000 /* MAP_UNINITIALIZED */
    | libc::MAP_GROWSDOWN
    | libc::MAP_LOCKED
    | libc::MAP_NORESERVE
    | libc::MAP_POPULATE
    | libc::MAP_NONBLOCK
    | libc::MAP_STACK
    | libc::MAP_HUGETLB;

/// What the guest asked for besides the range: protection, flags, descriptor, file offset.
#[derive(Clone, Copy)]
pub(crate) struct Request {
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: abi_ulong,
}

impl Request {
    /// The arguments of `target_mmap` after the range.
    pub(crate) fn new(prot: c_int, flags: c_int, fd: c_int, offset: abi_ulong) -> Request {
        Request {
            prot,
            flags,
            fd,
            offset,
        }
    }

    fn anonymous(self) -> bool {
        self.flags & MAP_ANONYMOUS != 0
    }

    /// `MAP_FIXED_NOREPLACE`: fixed, and failing over mapped pages.
    fn noreplace(self) -> bool {
        self.flags & MAP_FIXED_NOREPLACE != 0
    }

    /// A fixed mapping: `MAP_FIXED` or `MAP_FIXED_NOREPLACE`.
    fn fixed(self) -> bool {
        self.flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0
    }

    /// Whether the mapping type is shared (`MAP_SHARED` or `MAP_SHARED_VALIDATE`).
    fn shared(self) -> bool {
        let sharing = self.flags & MAP_TYPE;
        sharing == MAP_SHARED || sharing == MAP_SHARED_VALIDATE
    }

    /// A shared writable file mapping: one read in by hand could not be kept in sync with
    /// the file.
    fn shared_writable_file(self) -> bool {
        !self.anonymous() && self.shared() && self.prot & PROT_WRITE != 0
    }

    /// `flags` for anonymous host memory standing in for the mapping: anonymous memory
    /// knows no `MAP_SHARED_VALIDATE`, so a shared type becomes plain `MAP_SHARED`.
    fn anon_flags(self) -> c_int {
        let sharing = if self.shared() {
            MAP_SHARED
        } else {
            MAP_PRIVATE
        };
        (self.flags & !MAP_TYPE) | sharing | MAP_ANONYMOUS
    }

    /// The file position `delta` bytes after the offset, in 64 bits (a 32-bit ABI's offset
    /// plus a distance may pass 4 GiB; Linux keeps file positions in 64 bits; `mmap` has
    /// checked that the end of the mapping's file range fits, so the sum never saturates);
    /// 0 for an anonymous mapping.
    fn pos(self, delta: abi_ulong) -> u64 {
        match self.anonymous() {
            true => 0,
            false => (self.offset as u64).saturating_add(delta as u64),
        }
    }
}

/// Maps `[start, start + len)` for the guest. Returns the guest address, or -1 with `errno`.
pub(crate) fn mmap(start: GuestAddr, len: abi_ulong, req: Request) -> Outcome<GuestAddr> {
    let _lock = lock::Guard::new();
    let emu = Emulator::current();
    // The checks, in the order of Linux's own (the arch's mmap, ksys_mmap_pgoff, do_mmap,
    // __get_unmapped_area), so that a call failing several of them gets Linux's errno. All
    // of them come before anything changes (but a non-fixed file map's descriptor, which
    // the host's map of the file checks: `map_file`).
    ensure(req.offset & TARGET_PAGE_OFFSET_MASK == 0, EINVAL)?;
    if req.anonymous() {
        return map_checked(&emu, start, len, req, None);
    }
    map_file(&emu, start, len, req)
}

/// `mmap` of a file. After the offset, Linux looks up the descriptor (EBADF before any
/// length or flag check). A fixed map asks the host now: the access mode must be known
/// before anything changes (fragments, the read fallback). A non-fixed one leaves the
/// descriptor to the host's own map of the file (one system call fewer), and asks only
/// when the call fails for another reason, so that EBADF still comes first; a call with a
/// bad descriptor then changes nothing, the search's hint included, as if it had been
/// refused at once.
// Always inlined: fewer instructions per call on the benches (callgrind); `map_checked`
// is inlined twice into `mmap`, for files and for anonymous maps, which have no
// descriptor to look at.
#[inline(always)]
fn map_file(emu: &Emulator, start: GuestAddr, len: abi_ulong, req: Request) -> Outcome<GuestAddr> {
    let fixed = req.fixed();
    let fd_flags = match fixed {
        true => Some(host::descriptor_flags(req.fd)?),
        false => None,
    };
    let hint = next_start();
    let mapped = map_checked(emu, start, len, req, fd_flags);
    if mapped.is_err() && !fixed {
        if let Err(e) = host::descriptor_flags(req.fd) {
            set_next_start(hint);
            return Err(e.into());
        }
    }
    mapped
}

/// `mmap` after the offset's check and the descriptor's lookup (`fd_flags`, for a fixed
/// file map): the other checks, then the mapping.
// Always inlined: fewer instructions per call on the benches (callgrind).
#[inline(always)]
fn map_checked(
    emu: &Emulator,
    start: GuestAddr,
    len: abi_ulong,
    mut req: Request,
    fd_flags: Option<c_int>,
) -> Outcome<GuestAddr> {
    let pages = emu.pages();
    let (prot, offset) = (req.prot, req.offset);
    let (anonymous, noreplace, fixed) = (req.anonymous(), req.noreplace(), req.fixed());
    let len = check(emu, start, len, req, fd_flags)?;
    // The host sees MAP_FIXED; NOREPLACE only where the host range can be free (without a
    // reservation, where it also keeps the guest off the emulator's own memory).
    if noreplace {
        req.flags |= MAP_FIXED;
        if emu.reserved_va() != 0 {
            req.flags &= !MAP_FIXED_NOREPLACE;
        }
    }
    let read_in = pages.offset_in(offset) != pages.offset_in(start.raw());
    let start = match fixed {
        true => map_fixed(emu, start, len, req).map(|()| start)?,
        false => map_anywhere(emu, start, len, req)?,
    };
    if pages.real_size < TARGET_PAGE_SIZE as u64 && !anonymous && !(fixed && read_in) {
        back_end_of_file(emu, start, len, req).inspect_err(|_| discard(emu, start, len))?;
    }
    // Only the protection bits are page flags (2.3 stores `prot` unmasked, so stray bits
    // land on PAGE_VALID, PAGE_WRITE_ORG and others).
    emu.set_page_flags(start, start.add(len), (prot & PAGE_BITS) | PAGE_VALID);
    emu.invalidate_translations(start, start.add(len));
    Ok(start)
}

/// The checks of `mmap` after the descriptor's, in Linux's order (see `mmap`), with the
/// descriptor's status flags when a fixed file map looked them up. Returns the length in
/// whole target pages.
// Always inlined: fewer instructions per call on the benches (callgrind).
#[inline(always)]
fn check(
    emu: &Emulator,
    start: GuestAddr,
    len: abi_ulong,
    req: Request,
    fd_flags: Option<c_int>,
) -> Outcome<abi_ulong> {
    let win = emu.window();
    let (flags, offset) = (req.flags, req.offset);
    let anonymous = req.anonymous();
    ensure(len != 0, EINVAL)?;
    let len = target_page_align(len);
    // The length wrapped when aligned, or exceeds the guest space.
    ensure(len != 0 && win.contains(GuestAddr(0), len as u64), ENOMEM)?;
    if req.fixed() {
        // The range first, then the alignment of its start.
        ensure(win.contains(start, len as u64), ENOMEM)?;
        ensure(start.is_target_page_aligned(), EINVAL)?;
        ensure(
            !req.noreplace() || flags_between(emu, start, start.add(len)) == 0,
            EEXIST,
        )?;
    }
    if !anonymous {
        // The end of the file range must be a file position (on a 64-bit ABI the offset
        // can be near 2^64; a 32-bit one cannot reach the limit).
        let overflow = Failure::Errno(libc::EOVERFLOW);
        let end = (offset as u64).checked_add(len as u64).ok_or(overflow)?;
        let fits = end <= i64::MAX as u64 || end <= host::mmap_end_limit(req.fd)?;
        ensure(fits, EOVERFLOW)?;
    }
    // The mapping type (the host would check it, but not for a mapping made of fragments
    // only), then the descriptor's access mode.
    let validate = match flags & MAP_TYPE {
        MAP_PRIVATE | MAP_SHARED => false,
        MAP_SHARED_VALIDATE if !anonymous => true,
        _ => return err(EINVAL),
    };
    ensure(!validate || flags & !SHARED_VALIDATE_KNOWN == 0, EOPNOTSUPP)?;
    if let Some(fl) = fd_flags {
        // A fixed map may change the old mappings before the host sees the file (fragments,
        // the read fallback): check the access now. A non-fixed map leaves it to the host.
        host::check_access(fl, req.prot, req.shared())?;
    }
    Ok(len)
}

/// A non-fixed mapping at or near `at`: the search for free guest space, then the mapping
/// there.
fn map_anywhere(emu: &Emulator, at: GuestAddr, len: abi_ulong, req: Request) -> Outcome<GuestAddr> {
    let pages = emu.pages();
    let host_offset = narrow(req.offset as u64 & pages.mask);
    // From the host page holding `offset` to the end of the guest's range.
    let file_len = (len as u64).checked_add((req.offset - host_offset) as u64);
    let host_len = file_len
        .and_then(|l| l.checked_add(pages.size - 1))
        .map(|l| l & pages.mask)
        .filter(|&h| emu.window().contains(GuestAddr(0), h));
    let (Some(file_len), Some(host_len)) = (file_len, host_len) else {
        return err(ENOMEM);
    };
    let host_len = narrow(host_len);
    // The placeholder: anonymous memory over the whole host range. Without a reservation,
    // ask the host for it at the hint directly; when it lands where the original's search
    // would accept it, that is the same address the search gives, one system call sooner.
    let (prot, fd, real_hint) = (req.prot, req.fd, pages.start_of(at));
    let direct = place_at_hint(emu, real_hint, host_len, req);
    let start = direct.unwrap_or_else(|| find_vma(emu, real_hint, host_len));
    if start == GuestAddr::INVALID {
        return err(ENOMEM);
    }
    let mapped = (|| -> Result<(), host::Errno> {
        if direct.is_none() {
            emu.mmap(start, host_len, prot, req.anon_flags() | MAP_FIXED, -1, 0)?;
        }
        if !req.anonymous() {
            // The whole of `file_len` (2.3 maps only `len` bytes from the host page holding
            // `offset`, so the guest's last `offset - host_offset` bytes missed the file).
            let (flags, pos) = (req.flags | MAP_FIXED, host_offset as u64);
            emu.mmap(start, file_len, prot, flags, fd, pos)?;
        }
        Ok(())
    })();
    mapped.inspect_err(|_| give_back(emu, start, host_len))?;
    // Point at the byte of the file at `offset`.
    Ok(start.add(req.offset - host_offset))
}

/// Maps private anonymous memory at the hint without `MAP_FIXED` and keeps it when the
/// address is one the original's search would have accepted; otherwise undoes it. Only
/// without a reservation, and only for private mappings (whose placement the host decides
/// exactly as for the search's `PROT_NONE` probe).
fn place_at_hint(emu: &Emulator, at: GuestAddr, len: abi_ulong, req: Request) -> Option<GuestAddr> {
    if emu.reserved_va() != 0 || req.flags & MAP_TYPE != MAP_PRIVATE {
        return None;
    }
    let search_start = search_start(emu, at);
    let flags = (req.flags & !(MAP_FIXED | MAP_FIXED_NOREPLACE)) | MAP_ANONYMOUS;
    // Not MAP_FIXED: the host picks free memory, nothing is replaced.
    let p = emu.mmap(search_start, len, req.prot, flags, -1, 0).ok()?;
    let Some(addr) = window_ok(emu, p, len) else {
        // SAFETY: `p` is the trial mapping made just above, referenced by no one.
        let _ = unsafe { host::munmap(p, len as u64) };
        return None;
    };
    if search_start == next_start() && addr.wide() >= TASK_UNMAPPED_BASE {
        set_next_start(addr.add(len));
    }
    Some(addr)
}

/// A fixed mapping: fragments at either end, whole host pages in the middle, or the read
/// fallback for an offset not congruent to the address.
#[inline(always)]
fn map_fixed(emu: &Emulator, start: GuestAddr, len: abi_ulong, req: Request) -> Outcome<()> {
    let pages = emu.pages();
    let whole = pages.offset_in(start.raw()) == 0 && pages.offset_in(len) == 0;
    if whole && (req.anonymous() || pages.offset_in(req.offset) == 0) {
        // Whole host pages and a file offset congruent to the address (the everyday
        // case): one host call, which validates everything before changing anything, as
        // the general path below does for such a range.
        emu.mmap(start, len, req.prot, req.flags, req.fd, req.pos(0))?;
        return Ok(());
    }
    map_pieces(emu, start, len, req)
}

/// [`map_fixed`] of a range with fragments or an offset to read in.
#[inline(never)]
fn map_pieces(emu: &Emulator, start: GuestAddr, len: abi_ulong, req: Request) -> Outcome<()> {
    let pages = emu.pages();
    let anonymous = req.anonymous();
    let end = start.add(len);
    let (real_start, real_end) = (pages.start_of(start), pages.align_guest(end));
    // The caller has made Linux's checks (descriptor, offset, type, access). The host pages
    // at either end may hold other guest pages (fragments), filled by hand; the whole host
    // pages between them are mapped directly. A file that is read by hand (fragments, the
    // read fallback) is first offered to the host, which makes its own checks, so that a
    // map it refuses changes nothing; without fragments the middle is the first change and
    // the host validates it before changing anything.
    let head = start > real_start;
    let tail = end < real_end;
    let read_in = pages.offset_in(req.offset) != pages.offset_in(start.raw());
    if !anonymous && (head || tail || read_in) {
        host::try_map_file(req.fd, req.prot, req.offset as u64, pages.real_size)?;
        // A shared writable mapping read by hand could not be kept in sync with the file:
        // refuse before anything is mapped. (A read-only one becomes a private copy.)
        ensure(!req.shared_writable_file(), EINVAL)?;
    }
    if !anonymous && read_in {
        return map_by_reading(emu, start, len, req);
    }
    if head && pages.is_single_page(real_start, real_end) {
        // The whole mapping lies inside one host page.
        let mapped = map_fragment(emu, real_start, start, end, req, req.pos(0));
        if mapped.is_err() && mapped != err(EEXIST) {
            discard(emu, start, len);
        }
        return mapped;
    }
    let hs = pages.size_abi();
    let mid_start = if head { real_start.add(hs) } else { real_start };
    let mid_end = if tail { real_end.sub(hs) } else { real_end };
    let mid_len = mid_end.distance_from(mid_start);
    if mid_start < mid_end {
        let pos = req.pos(mid_start.distance_from(start));
        emu.mmap(mid_start, mid_len, req.prot, req.flags, req.fd, pos)?;
    }
    let fragments = (|| {
        if head {
            map_fragment(emu, real_start, start, mid_start, req, req.pos(0))?;
        }
        if tail {
            // The host page holding the end: the mapping's part of it is [mid_end, end).
            // (2.3 passes [mid_end, real_end), so live guest pages after `end` in that host
            // page were taken for part of the new mapping and replaced.)
            let tail_pos = req.pos(mid_end.distance_from(start));
            map_fragment(emu, mid_end, mid_end, end, req, tail_pos)?;
        }
        Ok(())
    })();
    match fragments {
        // A fresh host page the host refused with MAP_FIXED_NOREPLACE (foreign memory
        // there): the fragments changed nothing; only a middle mapped first is undone.
        Err(Failure::Errno(EEXIST)) if mid_start < mid_end => discard(emu, mid_start, mid_len),
        Err(Failure::Errno(EEXIST)) | Ok(()) => {}
        Err(_) => discard(emu, start, len),
    }
    fragments
}

/// A fixed file mapping whose offset is not congruent to its address modulo the host page:
/// anonymous memory filled with the file's data, then given its final protection. The
/// caller has checked the descriptor and refused a shared writable mapping; a shared
/// read-only one becomes a private copy of the file's data at the time of the call, as in
/// QEMU (it does not see later changes to the file). The caller sets the page flags.
fn map_by_reading(emu: &Emulator, start: GuestAddr, len: abi_ulong, req: Request) -> Outcome<()> {
    let flags = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | (req.flags & MAP_FIXED_NOREPLACE);
    let anon = Request::new(req.prot | PROT_WRITE, flags, -1, 0);
    map_fixed(emu, start, len, anon)?;
    // The original's inner `target_mmap` drops the range's translated code here already.
    emu.invalidate_translations(start, start.add(len));
    let filled = emu
        .read_file(req.fd, start, len as u64, req.offset as u64)
        .map_err(Failure::from)
        .and_then(|()| match req.prot {
            // What `target_mprotect` refuses (the original gave the mapping its final
            // protection through it).
            p if p & PROT_WRITE != 0 => Ok(()),
            p if p & !VALID_PROT != 0 => err(EINVAL),
            p => protect_mapped(emu, start, start.add(len), p & PAGE_BITS, false),
        });
    filled.inspect_err(|_| discard(emu, start, len))
}

/// Maps the guest pages `[start, end)` that lie inside the host page at `real_start`, which
/// may hold other guest pages. Those keep their contents; the host page's protection
/// becomes the union of theirs and `prot`; the new pages read as zero (anonymous) or as the
/// file's data at `file_pos` (read in by hand).
// Always inlined: fewer instructions per call on the benches (callgrind).
#[inline(always)]
fn map_fragment(
    emu: &Emulator,
    real_start: GuestAddr,
    start: GuestAddr,
    end: GuestAddr,
    req: Request,
    file_pos: u64,
) -> Outcome<()> {
    let (pages, prot, anonymous) = (emu.pages(), req.prot, req.anonymous());
    let real_end = real_start.add(pages.size_abi());
    // A shared writable file fragment could not be kept in sync with the file.
    ensure(!req.shared_writable_file(), EINVAL)?;
    // The protection of the other guest pages of this host page (one lookup per target
    // page: `start` and `end` are target-page aligned).
    let mut prot1 = flags_between(emu, real_start, start.min(real_end))
        | flags_between(emu, end.max(real_start), real_end);
    let fresh = prot1 == 0;
    let len = end.distance_from(start) as u64;
    if fresh {
        // No other guest page here: allocate the host page (it reads as zero), which has
        // the protection of its only guest pages: nothing more to do for anonymous memory.
        emu.mmap(real_start, pages.size, prot, req.anon_flags(), -1, 0)?;
        if anonymous {
            return Ok(());
        }
        prot1 = prot;
    }
    prot1 &= PAGE_BITS;
    // The host page's protection: the union of its guest pages' (only protection bits: a
    // PROT_GROWSDOWN the guest passed is not for the host's mprotect).
    let prot_new = (prot & PAGE_BITS) | prot1;
    if !fresh && pages.real_size <= TARGET_PAGE_SIZE as u64 {
        // Our part of the host page is whole real pages: replace it with fresh private
        // memory. It reads as zero (2.3 showed the old bytes), whatever was there: a hole
        // left by a partial unmap or shrink (which 2.3 wrote into, and crashed), or another
        // mapping's shared file pages (which writing zeros or data in place would change).
        let piece_prot = prot_new | if anonymous { 0 } else { PROT_WRITE };
        emu.map_anon(start, len, piece_prot)?;
        if !anonymous {
            emu.read_file(req.fd, start, len, file_pos)?;
        }
        // The host page gets its pages' union (it may still have a wider protection).
        // Best effort: our piece already has its protection, and a neighbour that shares a
        // read-only descriptor's file cannot take a wider one (EACCES), nor needs it. When
        // the host page call stopped early (a hole in the host page), the piece itself must
        // not keep the write permission it was filled with.
        if emu.mprotect(real_start, pages.size, prot_new).is_err() && piece_prot != prot_new {
            emu.mprotect(start, len, prot_new)?;
        }
        return Ok(());
    }
    // Real host pages larger than the target page: fill our part in place, with the host
    // page made writable meanwhile.
    if prot1 & PROT_WRITE == 0 {
        emu.mprotect(real_start, pages.size, prot1 | PROT_WRITE)?;
    }
    let filled = if anonymous {
        emu.zero(start, len);
        Ok(())
    } else {
        emu.read_file(req.fd, start, len, file_pos)
    };
    if prot_new != prot1 | PROT_WRITE {
        emu.mprotect(real_start, pages.size, prot_new)?;
    }
    Ok(filled?)
}

/// A target page larger than the real host page: the host faults on host pages wholly past
/// end of file, where a guest kernel would still show the rest of the target page holding
/// end of file (as zeros). Back that rest with anonymous memory, inside the part mapped from
/// the file (a fixed mapping's fragments are not). Pages wholly past end of file keep
/// faulting, as on Linux.
fn back_end_of_file(emu: &Emulator, start: GuestAddr, len: abi_ulong, req: Request) -> Outcome<()> {
    let (pages, end, fixed) = (emu.pages(), start.add(len), req.flags & MAP_FIXED != 0);
    let (hs, first, last) = (pages.size_abi(), pages.start_of(start), pages.start_of(end));
    let head = fixed && start > first;
    let tail = fixed && pages.align_guest(end) > end;
    let lo = if head { first.add(hs) } else { start };
    let hi = if tail { last } else { end };
    let size = host::file_size(req.fd)?.max(0) as u64;
    let (offset, len) = (req.offset as u64, len as u64);
    // Only a mapping that holds end of file (`offset < size < offset + len`; the sum may
    // pass 2^64 on a 64-bit ABI, which is past any end of file).
    if size <= offset || offset.checked_add(len).is_some_and(|end| size >= end) {
        return Ok(());
    }
    // `size - offset < len`, so `eof` lies inside the mapping; rounding it up stays inside
    // the guest space (which ends on a target page, below 2^64).
    let eof = start.wide() + (size - offset);
    let from = eof.next_multiple_of(pages.real_size).max(lo.wide());
    let to = eof.next_multiple_of(TARGET_PAGE_SIZE as u64).min(hi.wide());
    if from < to {
        emu.map_anon(GuestAddr(narrow(from)), to - from, req.prot)?;
    }
    Ok(())
}

/// Undoes a partly made mapping of `[start, start + len)` after a failure: the guest pages
/// are released (back to the reservation under `reserved_va`), so no half-filled mapping
/// stays valid and no hole is left in the reservation.
fn discard(emu: &Emulator, start: GuestAddr, len: abi_ulong) {
    let _ = unmap::release(emu, start, len);
}

/// Gives a placeholder or search result that will not be used back: to the reservation
/// under `reserved_va` (whose flags are untouched, so the pages stay free), to the host
/// otherwise.
fn give_back(emu: &Emulator, start: GuestAddr, host_len: abi_ulong) {
    if emu.reserved_va() != 0 {
        unmap::reserve(emu, start, host_len);
    } else {
        let _ = emu.munmap(start, host_len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testing::{self, BASE, PS};
    use crate::standalone;
    use std::os::fd::AsRawFd;

    /// The bytes of a file of `pages` target pages, each page filled with its number + 1.
    fn pages_of(pages: abi_ulong) -> Vec<u8> {
        (0..pages)
            .flat_map(|p| vec![p as u8 + 1; PS as usize])
            .collect()
    }

    #[test]
    fn a_fixed_file_map_off_the_host_page_is_read_in_with_its_final_protection() {
        // 64 KiB host pages: offset 0 at BASE + one target page is not congruent, so the
        // file is read into anonymous memory, then made read-only.
        let (_guest, emu) = testing::guest(65536);
        let file = testing::temp_file(&pages_of(3));
        let start = BASE.add(PS);
        let flags = libc::MAP_PRIVATE | MAP_FIXED;
        let (_, sets, drops) = standalone::call_counts();
        let r = mmap(
            start,
            2 * PS,
            Request::new(libc::PROT_READ, flags, file.as_raw_fd(), 0),
        );
        assert_eq!(r, Ok(start));
        assert_eq!(testing::read(&emu, start, 2 * PS), pages_of(2));
        assert_eq!(emu.page_flags(start), PAGE_VALID | libc::PROT_READ);
        assert_eq!(emu.page_flags(start.add(2 * PS)), 0);
        assert_eq!(testing::host_prot(&emu, start), "r--");
        // The page flags are set by the final protection and by mmap itself, no more; the
        // translated code is dropped twice, as by the original (the inner anonymous map,
        // then mmap itself).
        let (_, sets_now, drops_now) = standalone::call_counts();
        assert_eq!((sets_now - sets, drops_now - drops), (2, 2));
    }

    #[test]
    fn a_bad_descriptor_is_ebadf_first_and_changes_nothing() {
        // A non-fixed map leaves the descriptor to the host's map of the file, and looks
        // it up when the call fails otherwise: EBADF in every case, as Linux checks the
        // descriptor first, and the search's hint where it was.
        let (_guest, emu) = testing::guest(0);
        let (r, private) = (libc::PROT_READ, libc::MAP_PRIVATE);
        let file = testing::temp_file(&pages_of(1));
        let good = file.as_raw_fd();
        // (length, flags, the error with a good descriptor)
        let cases = [
            (PS, private, None),
            (abi_ulong::MAX - PS, private, Some(ENOMEM)),
            (PS, 0, Some(EINVAL)),
        ];
        for (len, flags, with_good) in cases {
            let hint = next_start();
            assert_eq!(
                mmap(GuestAddr(0), len, Request::new(r, flags, -1, 0)),
                err(libc::EBADF)
            );
            assert_eq!(next_start(), hint);
            if let Some(e) = with_good {
                assert_eq!(
                    mmap(GuestAddr(0), len, Request::new(r, flags, good, 0)),
                    err(e)
                );
            }
        }
        // Fixed: looked up before anything else changes.
        let req = Request::new(r, private | MAP_FIXED, -1, 0);
        assert_eq!(mmap(BASE, PS, req), err(libc::EBADF));
        assert_eq!(emu.page_flags(BASE), 0);
        // A good descriptor the host refuses (not open for reading): EACCES.
        let path = format!("/proc/self/fd/{good}");
        let wronly = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        let req = Request::new(r, private, wronly.as_raw_fd(), 0);
        assert_eq!(mmap(GuestAddr(0), PS, req), err(libc::EACCES));
    }

    #[test]
    fn a_read_in_map_with_a_protection_mprotect_refuses_fails_and_leaves_nothing() {
        // The read fallback gives the final protection as target_mprotect would, which
        // refuses unknown bits: EINVAL, and the range is released again.
        let (_guest, emu) = testing::guest(65536);
        let file = testing::temp_file(&pages_of(2));
        let start = BASE.add(PS);
        let flags = libc::MAP_PRIVATE | MAP_FIXED;
        let req = Request::new(libc::PROT_READ | 0x100, flags, file.as_raw_fd(), 0);
        let r = mmap(start, PS, req);
        assert_eq!(r, err(EINVAL));
        assert_eq!(emu.page_flags(start), 0);
        assert_eq!(testing::host_prot(&emu, start), "---");
    }

    #[test]
    fn a_fixed_anonymous_map_in_a_shared_host_page_keeps_the_neighbour() {
        let (_guest, emu) = testing::guest(65536);
        let anon = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | MAP_FIXED;
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        assert_eq!(mmap(BASE, PS, Request::new(rw, anon, -1, 0)), Ok(BASE));
        emu.zero(BASE, PS as u64);
        emu.zero(BASE, 1); // touched: the neighbour's contents must stay
        let second = BASE.add(PS);
        let r = mmap(second, PS, Request::new(libc::PROT_READ, anon, -1, 0));
        assert_eq!(r, Ok(second));
        assert_eq!(testing::read(&emu, BASE, 2 * PS), vec![0; 2 * PS as usize]);
        assert_eq!(emu.page_flags(BASE) & PAGE_BITS, rw);
        assert_eq!(emu.page_flags(second) & PAGE_BITS, libc::PROT_READ);
        // The host page has the union of its guest pages' protections.
        assert_eq!(testing::host_prot(&emu, second), "rw-");
    }
}
