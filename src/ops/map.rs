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

use super::find::{find_vma, window_ok};
use super::{flags_between, protect, unmap, Failure, Outcome};
use crate::config::{
    abi_ulong, PAGE_BITS, PAGE_VALID, TARGET_PAGE_OFFSET_MASK, TARGET_PAGE_SIZE, TASK_UNMAPPED_BASE,
};
use crate::emulator::Emulator;
use crate::guest::{narrow, target_page_align, GuestAddr, HostAddr};
use crate::host;
use crate::lock;
use crate::state::{next_start, set_next_start};

/// `MAP_TYPE`: the sharing-type bits of the mmap flags.
const MAP_TYPE: c_int = 0x0f;
/// `MAP_SHARED_VALIDATE` (Linux 4.15): shared, with unknown flags refused by the host.
const MAP_SHARED_VALIDATE: c_int = 0x03;
/// `MAP_FIXED_NOREPLACE` (Linux 4.17): fixed, but fail with EEXIST over existing mappings.
pub const MAP_FIXED_NOREPLACE: c_int = 0x10_0000;
/// The flags Linux accepts with `MAP_SHARED_VALIDATE` on an ordinary file (its
/// `LEGACY_MAP_MASK`); anything else is EOPNOTSUPP.
const SHARED_VALIDATE_KNOWN: c_int = MAP_TYPE
    | libc::MAP_FIXED
    | libc::MAP_ANONYMOUS
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

/// A file position converted to `off_t`, as C converts it.
fn off_t(pos: u64) -> i64 {
    pos as i64
}

/// The file position `delta` bytes after `offset`, in 64 bits (a 32-bit ABI's offset plus a
/// distance may pass 4 GiB; Linux keeps file positions in 64 bits). `mmap` has checked that
/// the end of the mapping's file range fits, so the sum never saturates in practice.
fn file_pos(offset: abi_ulong, delta: abi_ulong) -> u64 {
    (offset as u64).saturating_add(delta as u64)
}

/// `flags` for anonymous host memory standing in for the mapping: anonymous memory knows
/// no `MAP_SHARED_VALIDATE`, so a shared type becomes plain `MAP_SHARED`.
fn anonymous_flags(flags: c_int) -> c_int {
    let sharing = if is_shared(flags) {
        libc::MAP_SHARED
    } else {
        libc::MAP_PRIVATE
    };
    (flags & !MAP_TYPE) | sharing | libc::MAP_ANONYMOUS
}

/// Whether the mapping type is shared (`MAP_SHARED` or `MAP_SHARED_VALIDATE`).
fn is_shared(flags: c_int) -> bool {
    matches!(flags & MAP_TYPE, libc::MAP_SHARED | MAP_SHARED_VALIDATE)
}

/// Maps `[start, start + len)` for the guest. Returns the guest address, or -1 with `errno`.
pub fn mmap(
    start: GuestAddr,
    len: abi_ulong,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: abi_ulong,
) -> Outcome<GuestAddr> {
    let _lock = lock::Guard::new();
    let emu = Emulator::current();
    let pages = emu.pages;
    let win = emu.window;
    let reserved = emu.reserved_va() != 0;

    // The checks, in the order of Linux's own (the arch's mmap, ksys_mmap_pgoff, do_mmap,
    // __get_unmapped_area), so that a call failing several of them gets Linux's errno. All
    // of them come before anything changes.
    if offset & TARGET_PAGE_OFFSET_MASK != 0 {
        return Err(Failure::Errno(libc::EINVAL));
    }
    let anonymous = flags & libc::MAP_ANONYMOUS != 0;
    if !anonymous {
        // The descriptor is looked up first (EBADF before any length or flag check).
        host::check_descriptor(fd)?;
    }
    if len == 0 {
        return Err(Failure::Errno(libc::EINVAL));
    }
    let len = target_page_align(len);
    if len == 0 || !win.contains(GuestAddr(0), len as u64) {
        // The length wrapped when aligned, or exceeds the guest space.
        return Err(Failure::Errno(libc::ENOMEM));
    }
    let noreplace = flags & MAP_FIXED_NOREPLACE != 0;
    let fixed = flags & libc::MAP_FIXED != 0 || noreplace;
    if fixed {
        // The range first, then the alignment of its start.
        if !win.contains(start, len as u64) {
            return Err(Failure::Errno(libc::ENOMEM));
        }
        if !start.is_target_page_aligned() {
            return Err(Failure::Errno(libc::EINVAL));
        }
        if noreplace && flags_between(&emu, start, start.add(len)) != 0 {
            return Err(Failure::Errno(libc::EEXIST));
        }
    }
    if !anonymous {
        // The end of the file range must be a file position (on a 64-bit ABI the offset
        // can be near 2^64; a 32-bit one cannot reach the limit).
        let overflows = match (offset as u64).checked_add(len as u64) {
            None => true,
            Some(end) if end > i64::MAX as u64 => end > host::mmap_end_limit(fd)?,
            Some(_) => false,
        };
        if overflows {
            return Err(Failure::Errno(libc::EOVERFLOW));
        }
    }
    // The mapping type (the host would check it, but not for a mapping made of fragments
    // only), then the descriptor's access mode.
    match flags & MAP_TYPE {
        libc::MAP_PRIVATE | libc::MAP_SHARED => {}
        MAP_SHARED_VALIDATE if !anonymous => {
            if flags & !SHARED_VALIDATE_KNOWN != 0 {
                return Err(Failure::Errno(libc::EOPNOTSUPP));
            }
        }
        _ => return Err(Failure::Errno(libc::EINVAL)),
    }
    if fixed && !anonymous {
        // A fixed map may change the old mappings before the host sees the file (fragments,
        // the read fallback): check the access now. A non-fixed map leaves it to the host.
        host::check_mappable(fd, prot, is_shared(flags))?;
    }
    // The host sees MAP_FIXED; NOREPLACE only where the host range can be free (without a
    // reservation, where it also keeps the guest off the emulator's own memory).
    let flags = match (noreplace, reserved) {
        (true, true) => (flags & !MAP_FIXED_NOREPLACE) | libc::MAP_FIXED,
        (true, false) => flags | libc::MAP_FIXED,
        (false, _) => flags,
    };

    let start = if fixed {
        map_fixed(&emu, start, len, prot, flags, fd, offset)?;
        start
    } else {
        map_anywhere(&emu, start, len, prot, flags, fd, offset)?
    };

    let read_in = fixed && !anonymous && pages.offset_in(offset) != pages.offset_in(start.raw());
    if pages.real_size < TARGET_PAGE_SIZE as u64 && !anonymous && !read_in {
        // The region the host maps directly from the file (not the fragments).
        let (lo, hi) = if fixed {
            let lo = if start > pages.start_of(start) {
                pages.start_of(start).add(pages.size_abi())
            } else {
                start
            };
            let end = start.add(len);
            let hi = if pages.align_guest(end) > end {
                pages.start_of(end)
            } else {
                end
            };
            (lo, hi)
        } else {
            (start, start.add(len))
        };
        if let Err(e) = back_end_of_file(&emu, start, len, prot, fd, offset, lo, hi) {
            discard(&emu, start, len);
            return Err(e);
        }
    }
    // Only the protection bits are page flags (2.3 stores `prot` unmasked, so stray bits
    // land on PAGE_VALID, PAGE_WRITE_ORG and others).
    emu.set_page_flags(start, start.add(len), (prot & PAGE_BITS) | PAGE_VALID);
    emu.invalidate_translations(start, start.add(len));
    Ok(start)
}

/// A non-fixed mapping: the search for free guest space, then the mapping there.
fn map_anywhere(
    emu: &Emulator,
    hint: GuestAddr,
    len: abi_ulong,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: abi_ulong,
) -> Outcome<GuestAddr> {
    let pages = emu.pages;
    let win = emu.window;
    let anonymous = flags & libc::MAP_ANONYMOUS != 0;
    let real_start = pages.start_of(hint);
    let host_offset = narrow(offset as u64 & pages.mask);
    // From the host page holding `offset` to the end of the guest's range.
    let file_len = (len as u64).checked_add((offset - host_offset) as u64);
    let host_len64 = file_len
        .and_then(|l| l.checked_add(pages.size - 1))
        .map(|l| l & pages.mask);
    let (file_len, host_len64) = match (file_len, host_len64) {
        (Some(f), Some(h)) if win.contains(GuestAddr(0), h) => (f, h),
        _ => return Err(Failure::Errno(libc::ENOMEM)),
    };
    let host_len = narrow(host_len64);

    // The placeholder: anonymous memory over the whole host range. Without a reservation,
    // ask the host for it at the hint directly; when it lands where the original's search
    // would accept it, that is the same address the search gives, one system call sooner.
    let start = match place_directly(emu, real_start, host_len, prot, flags) {
        Some(start) => start,
        None => {
            let start = find_vma(emu, real_start, host_len);
            if start == GuestAddr::INVALID {
                return Err(Failure::Errno(libc::ENOMEM));
            }
            // SAFETY: the guest range the search found free for this mapping: guest memory.
            let placeholder = unsafe {
                host::mmap(
                    win.g2h(start),
                    host_len as u64,
                    prot,
                    anonymous_flags(flags) | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if let Err(e) = placeholder {
                give_back(emu, start, host_len);
                return Err(e.into());
            }
            start
        }
    };
    if !anonymous {
        // The whole of `file_len` (2.3 maps only `len` bytes from the host page holding
        // `offset`, so the guest's last `offset - host_offset` bytes missed the file).
        // SAFETY: the placeholder mapped above for this mapping: guest memory.
        if let Err(e) = unsafe {
            host::mmap(
                win.g2h(start),
                file_len,
                prot,
                flags | libc::MAP_FIXED,
                fd,
                off_t(host_offset as u64),
            )
        } {
            give_back(emu, start, host_len);
            return Err(e.into());
        }
    }
    // Point at the byte of the file at `offset`.
    Ok(start.add(offset - host_offset))
}

/// Maps private anonymous memory at the hint without `MAP_FIXED` and keeps it when the
/// address is one the original's search would have accepted; otherwise undoes it. Only
/// without a reservation, and only for private mappings (whose placement the host decides
/// exactly as for the search's `PROT_NONE` probe).
fn place_directly(
    emu: &Emulator,
    hint: GuestAddr,
    host_len: abi_ulong,
    prot: c_int,
    flags: c_int,
) -> Option<GuestAddr> {
    if emu.reserved_va() != 0 || flags & MAP_TYPE != libc::MAP_PRIVATE {
        return None;
    }
    let search_start = if hint.raw() == 0 {
        next_start()
    } else {
        emu.pages.start_of(hint)
    };
    let host_flags = (flags & !(libc::MAP_FIXED | MAP_FIXED_NOREPLACE)) | libc::MAP_ANONYMOUS;
    // SAFETY: not MAP_FIXED: the host picks free memory, nothing is replaced.
    let p = unsafe {
        host::mmap(
            emu.window.g2h(search_start),
            host_len as u64,
            prot,
            host_flags,
            -1,
            0,
        )
    }
    .ok()?;
    match window_ok(emu, p, host_len) {
        Some(addr) => {
            if search_start == next_start() && addr.wide() >= TASK_UNMAPPED_BASE {
                set_next_start(addr.add(host_len));
            }
            Some(addr)
        }
        None => {
            // SAFETY: `p` is the trial mapping made just above, referenced by no one.
            let _ = unsafe { host::munmap(p, host_len as u64) };
            None
        }
    }
}

/// A fixed mapping: fragments at either end, whole host pages in the middle, or the read
/// fallback for an offset not congruent to the address.
fn map_fixed(
    emu: &Emulator,
    start: GuestAddr,
    len: abi_ulong,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: abi_ulong,
) -> Outcome<()> {
    let pages = emu.pages;
    let win = emu.window;
    let anonymous = flags & libc::MAP_ANONYMOUS != 0;
    let end = start.add(len);
    let real_start = pages.start_of(start);
    let real_end = pages.align_guest(end);

    // The caller has made Linux's checks (descriptor, offset, type, access). The host pages
    // at either end may hold other guest pages (fragments), filled by hand; the whole host
    // pages between them are mapped directly. A file that is read by hand (fragments, the
    // read fallback) is first offered to the host, which makes its own checks, so that a
    // map it refuses changes nothing; without fragments the middle is the first change and
    // the host validates it before changing anything.
    let head = start > real_start;
    let tail = end < real_end;
    let read_in = pages.offset_in(offset) != pages.offset_in(start.raw());
    if !anonymous && (head || tail || read_in) {
        host::try_map_file(fd, prot, offset as u64, pages.real_size)?;
        // A shared writable mapping read by hand could not be kept in sync with the file:
        // refuse before anything is mapped. (A read-only one becomes a private copy.)
        if is_shared(flags) && prot & libc::PROT_WRITE != 0 {
            return Err(Failure::Errno(libc::EINVAL));
        }
    }
    if !anonymous && read_in {
        return map_by_reading(emu, start, len, prot, flags, fd, offset);
    }
    if head && pages.is_single_page(real_start, real_end) {
        // The whole mapping lies inside one host page.
        let mapped = map_fragment(emu, real_start, start, end, prot, flags, fd, offset as u64);
        if mapped.is_err() && mapped != Err(Failure::Errno(libc::EEXIST)) {
            discard(emu, start, len);
        }
        return mapped;
    }
    let mid_start = if head {
        real_start.add(pages.size_abi())
    } else {
        real_start
    };
    let mid_end = if tail {
        real_end.sub(pages.size_abi())
    } else {
        real_end
    };
    if mid_start < mid_end {
        let middle_offset = if anonymous {
            0
        } else {
            file_pos(offset, mid_start.distance_from(start))
        };
        // SAFETY: whole host pages of the guest range being mapped (inside the window).
        unsafe {
            host::mmap(
                win.g2h(mid_start),
                mid_end.distance_from(mid_start) as u64,
                prot,
                flags,
                fd,
                middle_offset as i64,
            )
        }?;
    }
    let fragments = (|| {
        if head {
            map_fragment(
                emu,
                real_start,
                start,
                mid_start,
                prot,
                flags,
                fd,
                offset as u64,
            )?;
        }
        if tail {
            // The host page holding the end: the mapping's part of it is [mid_end, end).
            // (2.3 passes [mid_end, real_end), so live guest pages after `end` in that host
            // page were taken for part of the new mapping and replaced.)
            let tail_offset = file_pos(offset, mid_end.distance_from(start));
            map_fragment(emu, mid_end, mid_end, end, prot, flags, fd, tail_offset)?;
        }
        Ok(())
    })();
    match fragments {
        // A fresh host page the host refused with MAP_FIXED_NOREPLACE (foreign memory
        // there): the fragments changed nothing; only a middle mapped first is undone.
        Err(Failure::Errno(libc::EEXIST)) => {
            if mid_start < mid_end {
                discard(emu, mid_start, mid_end.distance_from(mid_start));
            }
        }
        Err(_) => discard(emu, start, len),
        Ok(()) => {}
    }
    fragments
}

/// A fixed file mapping whose offset is not congruent to its address modulo the host page:
/// anonymous memory filled with the file's data, then given its final protection. The
/// caller has checked the descriptor and refused a shared writable mapping; a shared
/// read-only one becomes a private copy of the file's data at the time of the call, as in
/// QEMU (it does not see later changes to the file).
fn map_by_reading(
    emu: &Emulator,
    start: GuestAddr,
    len: abi_ulong,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: abi_ulong,
) -> Outcome<()> {
    let anon_flags =
        libc::MAP_FIXED | libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | (flags & MAP_FIXED_NOREPLACE);
    mmap(start, len, prot | libc::PROT_WRITE, anon_flags, -1, 0)?;
    // SAFETY: the guest range mapped writable just above.
    let filled =
        unsafe { host::pread_full(fd, emu.window.g2h(start), len as u64, off_t(offset as u64)) }
            .map_err(Failure::from)
            .and_then(|()| {
                if prot & libc::PROT_WRITE == 0 {
                    protect::mprotect(start, len, prot)
                } else {
                    Ok(())
                }
            });
    if let Err(e) = filled {
        discard(emu, start, len);
        return Err(match e {
            Failure::Negative(n) => Failure::Errno(n),
            other => other,
        });
    }
    Ok(())
}

/// Maps the guest pages `[start, end)` that lie inside the host page at `real_start`, which
/// may hold other guest pages. Those keep their contents; the host page's protection
/// becomes the union of theirs and `prot`; the new pages read as zero (anonymous) or as the
/// file's data (read in by hand).
#[allow(clippy::too_many_arguments)]
fn map_fragment(
    emu: &Emulator,
    real_start: GuestAddr,
    start: GuestAddr,
    end: GuestAddr,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    file_pos: u64,
) -> Outcome<()> {
    let pages = emu.pages;
    let real_end = real_start.add(pages.size_abi());
    let host_page: HostAddr = emu.window.g2h(real_start);
    let anonymous = flags & libc::MAP_ANONYMOUS != 0;

    // A shared writable file fragment could not be kept in sync with the file.
    if !anonymous && is_shared(flags) && prot & libc::PROT_WRITE != 0 {
        return Err(Failure::Errno(libc::EINVAL));
    }

    // The protection of the other guest pages of this host page (one lookup per target
    // page: `start` and `end` are target-page aligned).
    let mut prot1 = flags_between(emu, real_start, start.min(real_end))
        | flags_between(emu, end.max(real_start), real_end);
    let fresh = prot1 == 0;
    let len = end.distance_from(start) as u64;
    let piece = emu.window.g2h(start);
    if fresh {
        // No other guest page here: allocate the host page (it reads as zero).
        // SAFETY: the host page of the guest range being mapped; no other guest page is in it.
        unsafe { host::mmap(host_page, pages.size, prot, anonymous_flags(flags), -1, 0) }?;
        prot1 = prot;
    }
    prot1 &= PAGE_BITS;
    // The host page's protection: the union of its guest pages' (only protection bits: a
    // PROT_GROWSDOWN the guest passed is not for the host's mprotect).
    let prot_new = (prot & PAGE_BITS) | prot1;

    if fresh && anonymous {
        if prot_new != prot1 {
            // SAFETY: the host page allocated just above for the guest.
            unsafe { host::mprotect(host_page, pages.size, prot_new) }?;
        }
        return Ok(());
    }
    if !fresh && pages.real_size <= TARGET_PAGE_SIZE as u64 {
        // Our part of the host page is whole real pages: replace it with fresh private
        // memory. It reads as zero (2.3 showed the old bytes), whatever was there: a hole
        // left by a partial unmap or shrink (which 2.3 wrote into, and crashed), or another
        // mapping's shared file pages (which writing zeros or data in place would change).
        let piece_prot = if anonymous {
            prot_new
        } else {
            prot_new | libc::PROT_WRITE
        };
        // SAFETY: the guest pages being mapped (inside the window).
        unsafe {
            host::mmap(
                piece,
                len,
                piece_prot,
                libc::MAP_FIXED | libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        }?;
        if !anonymous {
            // SAFETY: the piece mapped writable just above.
            unsafe { host::pread_full(fd, piece, len, off_t(file_pos)) }?;
        }
        // The host page gets its pages' union (it may still have a wider protection).
        // Best effort: our piece already has its protection, and a neighbour that shares a
        // read-only descriptor's file cannot take a wider one (EACCES), nor needs it.
        // SAFETY: a host page holding guest pages: guest memory.
        if unsafe { host::mprotect(host_page, pages.size, prot_new) }.is_err()
            && piece_prot != prot_new
        {
            // The host page call stopped early (a hole in the host page): the piece itself
            // must not keep the write permission it was filled with.
            // SAFETY: the guest pages being mapped.
            unsafe { host::mprotect(piece, len, prot_new) }?;
        }
        return Ok(());
    }
    // Real host pages larger than the target page: fill our part in place, with the host
    // page made writable meanwhile.
    if prot1 & libc::PROT_WRITE == 0 {
        // SAFETY: a host page holding guest pages: guest memory.
        unsafe { host::mprotect(host_page, pages.size, prot1 | libc::PROT_WRITE) }?;
    }
    let filled = if anonymous {
        // SAFETY: the guest pages being mapped, in a host page made writable above.
        unsafe { host::zero(piece, len) };
        Ok(())
    } else {
        // SAFETY: the guest pages being mapped, in a host page made writable above.
        unsafe { host::pread_full(fd, piece, len, off_t(file_pos)) }
    };
    if prot_new != prot1 | libc::PROT_WRITE {
        // SAFETY: a host page holding guest pages: guest memory.
        unsafe { host::mprotect(host_page, pages.size, prot_new) }?;
    }
    filled?;
    Ok(())
}

/// A target page larger than the real host page: the host faults on host pages wholly past
/// end of file, where a guest kernel would still show the rest of the target page holding
/// end of file (as zeros). Back that rest with anonymous memory, inside `[lo, hi)`, the
/// part mapped from the file. Pages wholly past end of file keep faulting, as on Linux.
#[allow(clippy::too_many_arguments)]
fn back_end_of_file(
    emu: &Emulator,
    start: GuestAddr,
    len: abi_ulong,
    prot: c_int,
    fd: c_int,
    offset: abi_ulong,
    lo: GuestAddr,
    hi: GuestAddr,
) -> Outcome<()> {
    let st_size = host::file_size(fd)?;
    let (size, offset, len) = (st_size.max(0) as u64, offset as u64, len as u64);
    // Only a mapping that holds end of file (`offset < size < offset + len`; the sum may
    // pass 2^64 on a 64-bit ABI, which is past any end of file).
    if size <= offset || offset.checked_add(len).is_some_and(|end| size >= end) {
        return Ok(());
    }
    // `size - offset < len`, so `eof` lies inside the mapping; rounding it up stays inside
    // the guest space (which ends on a target page, below 2^64).
    let round_up = |x: u64, page: u64| x.checked_add(page - 1).map(|x| x & !(page - 1));
    let eof = start.wide().checked_add(size - offset);
    let real = emu.pages.real_size;
    let (Some(from), Some(to)) = (
        eof.and_then(|e| round_up(e, real)),
        eof.and_then(|e| round_up(e, TARGET_PAGE_SIZE as u64)),
    ) else {
        return Ok(());
    };
    let (from, to) = (from.max(lo.wide()), to.min(hi.wide()));
    if from < to {
        // SAFETY: part of the guest range being mapped (inside the window).
        unsafe {
            host::mmap(
                emu.window.g2h_wide(from),
                to - from,
                prot,
                libc::MAP_FIXED | libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        }?;
    }
    Ok(())
}

/// Undoes a partly made mapping of `[start, start + len)` after a failure: the guest pages
/// are released (back to the reservation under `reserved_va`), so no half-filled mapping
/// stays valid and no hole is left in the reservation.
fn discard(emu: &Emulator, start: GuestAddr, len: abi_ulong) {
    if len != 0 {
        let _ = unmap::release(emu, start, len);
    }
}

/// Gives a placeholder or search result that will not be used back: to the reservation
/// under `reserved_va` (whose flags are untouched, so the pages stay free), to the host
/// otherwise.
fn give_back(emu: &Emulator, start: GuestAddr, host_len: abi_ulong) {
    if emu.reserved_va() != 0 {
        unmap::reserve(emu, start, host_len);
    } else {
        // SAFETY: the range this call mapped for the guest and now gives back.
        let _ = unsafe { host::munmap(emu.window.g2h(start), host_len as u64) };
    }
}
