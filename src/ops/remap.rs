//! `target_mremap`: resizing and moving guest mappings.
//!
//! Differences from QEMU 2.3 (Linux semantics; see docs/COMPATIBILITY.md): arguments and guest
//! ranges are checked first (EINVAL for bad flags, sizes and new ranges, EFAULT for an old
//! range outside the guest space or not mapped, ENOMEM when there is no room); a failed
//! move keeps the old mapping; a shrink under `reserved_va` re-reserves exactly the freed
//! tail; growth in place works under `reserved_va`; the new range keeps the per-page
//! protections of the old one; `MREMAP_DONTUNMAP` keeps the old range; translated code of
//! the old range is dropped too.

use std::os::raw::{c_int, c_ulong};

use super::find::find_vma;
use super::unmap::{release_host, replace_with_reservation, reserve_exactly};
use super::{flags_between, set_union_protection, tighten_edge_host_pages, Failure, Outcome};
use crate::config::{abi_ulong, PAGE_BITS, PAGE_VALID, PAGE_WRITE, TARGET_PAGE_SIZE};
use crate::emulator::Emulator;
use crate::guest::{narrow, target_pages_touching, GuestAddr, HostAddr};
use crate::host::{self, Errno};
use crate::lock;
use crate::state::{next_start, set_next_start};

const MREMAP_MAYMOVE: c_ulong = libc::MREMAP_MAYMOVE as c_ulong;
const MREMAP_FIXED: c_ulong = libc::MREMAP_FIXED as c_ulong;
/// `MREMAP_DONTUNMAP` (Linux 5.7).
const MREMAP_DONTUNMAP: c_ulong = 4;
/// `PAGE_WRITE_ORG`: the page was writable before QEMU write-protected it for its
/// translated code.
const PAGE_WRITE_ORG: c_int = 0x10;

/// A length rounded up to target pages, or `None` when that does not fit `abi_ulong`
/// (Linux: EINVAL for a size that wraps when page-aligned).
fn pages_len(size: abi_ulong) -> Option<u64> {
    let ps = TARGET_PAGE_SIZE as u64;
    let len = (size as u64).checked_next_multiple_of(ps)?;
    (len <= abi_ulong::MAX as u64).then_some(len)
}

/// Resizes the guest mapping at `old_addr` from `old_size` to `new_size` bytes, moving it to
/// `new_addr` (`MREMAP_FIXED`), to a free guest range (`MREMAP_MAYMOVE`), or growing or
/// shrinking it in place. Returns the new guest address, or -1 with `errno`.
pub fn mremap(
    old_addr: GuestAddr,
    old_size: abi_ulong,
    new_size: abi_ulong,
    flags: c_ulong,
    new_addr: GuestAddr,
) -> Outcome<GuestAddr> {
    let einval = Err(Failure::Errno(libc::EINVAL));
    let may_move = flags & MREMAP_MAYMOVE != 0;
    let fixed = flags & MREMAP_FIXED != 0;
    let dont_unmap = flags & MREMAP_DONTUNMAP != 0;
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
        || (fixed && !may_move)
        || (dont_unmap && (!may_move || old_size != new_size))
        || !old_addr.is_target_page_aligned()
    {
        return einval;
    }
    let (Some(old_len), Some(new_len)) = (pages_len(old_size), pages_len(new_size)) else {
        return einval;
    };
    if new_len == 0 || (old_len == 0 && !may_move) {
        return einval;
    }

    let _lock = lock::Guard::new();
    let emu = Emulator::current();
    let win = emu.window;

    // Linux checks the new range of a fixed move first (EINVAL), then the old one (EFAULT).
    if fixed {
        // In 128 bits: neither end may wrap, whatever the inputs.
        let (old_lo, new_lo) = (old_addr.wide() as u128, new_addr.wide() as u128);
        let overlap = new_lo < old_lo + old_len as u128 && old_lo < new_lo + new_len as u128;
        if !new_addr.is_target_page_aligned() || !win.contains(new_addr, new_len) || overlap {
            return einval;
        }
    }
    // The old range must be guest memory, and mapped.
    if !win.contains(old_addr, old_len) {
        return Err(Failure::Errno(libc::EFAULT));
    }
    // From here `old_addr + old_len` fits the guest space (and so does any shorter end).
    let old_end = old_addr.wide() + old_len;
    let first_flags = emu.page_flags(old_addr);
    // Linux moves only when asked to (MREMAP_FIXED, MREMAP_DONTUNMAP) or when a growth
    // needs it: with MREMAP_MAYMOVE alone, a remap that does not grow stays in place.
    let moving = fixed || dont_unmap || (may_move && new_len > old_len);
    // What must be mapped, as Linux requires it: resizing in place without growing needs
    // only the first page (Linux looks up the mapping at `old_addr`, nothing after it);
    // growing needs the whole old range to be one mapping; a move needs the part that
    // moves (a shrinking move drops the rest first).
    let checked = if new_len > old_len {
        old_len
    } else if moving {
        new_len
    } else {
        0
    };
    // The same walk records the protections of those pages, which the page flags of the
    // new range take (`move_page_flags`): each page is looked up once.
    let runs = if first_flags & PAGE_VALID != 0 {
        protection_runs(&emu, old_addr, first_flags, checked.min(old_len))
    } else {
        None
    };
    let Some(runs) = runs else {
        return Err(Failure::Errno(libc::EFAULT));
    };
    // The host is given whole target pages (`old_len`, `new_len`): with target pages larger
    // than the real ones (8 KiB guests on 4 KiB hosts) Linux aligns both sizes to its page,
    // so a size inside the last target page neither drops nor leaves behind the rest of it.

    let moved = if fixed {
        // SAFETY: both ranges are guest memory inside the window (checked above).
        unsafe {
            host::mremap_to(
                win.g2h(old_addr),
                old_len,
                new_len,
                flags,
                win.g2h(new_addr),
            )
        }?
    } else if moving {
        // A failed move changes nothing, the search's hint included.
        let hint = next_start();
        let target = find_vma(&emu, GuestAddr(0), new_len as abi_ulong);
        if target == GuestAddr::INVALID {
            set_next_start(hint);
            return Err(Failure::Errno(libc::ENOMEM));
        }
        // SAFETY: the old range is guest memory (checked above), the target the free guest
        // range the search found.
        let r = unsafe {
            host::mremap_to(
                win.g2h(old_addr),
                old_len,
                new_len,
                flags | MREMAP_FIXED,
                win.g2h(target),
            )
        };
        match r {
            Ok(h) => h,
            Err(e) => {
                // The old mapping is untouched; drop the search's host reservation.
                set_next_start(hint);
                if emu.reserved_va() == 0 {
                    // SAFETY: the search's own reservation, referenced by no one.
                    let _ = unsafe { host::munmap(win.g2h(target), emu.pages.align(new_len)) };
                }
                return Err(e.into());
            }
        }
    } else {
        resize_in_place(&emu, old_addr, old_len, new_len, flags)?
    };
    let new_addr = win.h2g(moved);

    // What the host released: the whole old range after a move (unless asked not to), the
    // tail after a shrink in place (whole target pages, so whole real host pages).
    let real = emu.pages.real_size;
    let base = old_addr.wide();
    let freed = if new_addr != old_addr {
        (!dont_unmap).then_some((base, old_end))
    } else if new_len < old_len {
        Some((base + new_len, old_end))
    } else {
        None
    }
    .filter(|(lo, hi)| lo < hi);
    // The reservation invariant: the host never leaves a hole where this call will later
    // map with MAP_FIXED or unmap, and under `reserved_va` the guest window has no hole at
    // all, whenever the emulator runs. Its `page_set_flags` allocates with `mmap(NULL, ..)`:
    // an allocation landing in the range the host just vacated would be destroyed by a
    // later re-reservation or release. So the vacated range is filled with the `PROT_NONE`
    // reservation before any call into the emulator: under `reserved_va` that is the
    // re-reservation (as in the original); with host pages larger than the real ones it is
    // a placeholder that the release below gives back or, in a host page that still holds
    // guest pages, narrows to their union.
    //
    // A shrink in place under `reserved_va` already put the reservation over its tail
    // (`resize_in_place`). After a move the old range is a hole the host made: the only
    // remedy is a new mapping there, asked for again after a refusal; should the host keep
    // refusing (it is out of memory or of mappings), the hole stays and the move, which
    // has happened, is still reported.
    let big_host_pages = emu.pages.size > real;
    let filled = new_addr == old_addr && emu.reserved_va() != 0;
    if let Some((lo, hi)) = freed.filter(|_| !filled && (emu.reserved_va() != 0 || big_host_pages))
    {
        let _ = reserve_exactly(&emu, lo, hi);
    }
    move_page_flags(
        &emu,
        old_addr,
        old_len,
        new_addr,
        new_len,
        dont_unmap,
        prot_of(first_flags),
        &runs,
    );
    if let Some((lo, hi)) = freed.filter(|_| big_host_pages) {
        // A host page the range shared may now hold no guest page at all: release it too, as
        // munmap does. One that still holds guest pages keeps the placeholder over its
        // released real pages, with the host page's (union) protection, as every fragment
        // has: no hole inside a live host page.
        let _ = release_host(&emu, GuestAddr(lo as abi_ulong), (hi - lo) as abi_ulong);
        tighten_edge_host_pages(&emu, GuestAddr(lo as abi_ulong), GuestAddr(hi as abi_ulong));
    }

    // With host pages larger than target pages (`set_union_protection` does nothing
    // otherwise): real pages that arrived in a host page (moved there, or grown into it)
    // carry the protection of the host mapping they came from: the union of their old host
    // page, or, for a grown tail, the protection of the mapping it extends. Each host page
    // they now lie in gets the union of its guest pages, as every fragment has (also a
    // middle one: a move that shifts the range within host pages mixes real pages of two
    // old host pages).
    let arrived = if new_addr != old_addr {
        Some((new_addr.wide(), new_addr.wide() + new_len))
    } else if new_len > old_len {
        Some((old_end, old_addr.wide() + new_len))
    } else {
        None
    };
    if let Some((lo, hi)) = arrived {
        set_union_protection(&emu, lo, hi);
    }
    if old_len != 0 {
        // Also with MREMAP_DONTUNMAP: the contents moved away (the old range reads zero).
        emu.invalidate_translations(old_addr, old_addr.add(old_len as abi_ulong));
    }
    emu.invalidate_translations(new_addr, new_addr.add(new_len as abi_ulong));
    Ok(new_addr)
}

/// Growing or shrinking without moving. Under `reserved_va` the host cannot tell whether
/// the tail is free (the reservation occupies it): the page flags decide, and the tail's
/// reservation is lifted for the host to grow into (and put back if it cannot).
///
/// `old_len` and `new_len` are whole target pages (what Linux with the target's page size
/// would use); `old_addr + old_len` lies inside the guest space.
fn resize_in_place(
    emu: &Emulator,
    old_addr: GuestAddr,
    old_len: u64,
    new_len: u64,
    flags: c_ulong,
) -> Result<HostAddr, Failure> {
    let win = emu.window;
    let reserved = emu.reserved_va() != 0;
    let real = emu.pages.real_size;
    let mut tail = None;
    if old_len < new_len {
        if !win.contains(old_addr, new_len) {
            return Err(Failure::Errno(libc::ENOMEM));
        }
        // Inside the guest space, so neither end wraps.
        let (from, to) = (old_addr.wide() + old_len, old_addr.wide() + new_len);
        // Where the library itself holds the host memory of the tail, the page flags decide
        // whether it is free, and that memory is lifted for the host to grow into (and put
        // back if it cannot): under `reserved_va` the whole tail (the reservation); with
        // host pages larger than the real ones, the rest of the host page holding the old
        // end (the fragment model keeps a host page with guest pages mapped whole). No
        // emulator callback runs between the unmap and the host's mremap.
        // (Host pages larger than target pages: where a host page can hold the freed tail
        // of a guest mapping. With 8 KiB target pages on 4 KiB hosts the host page is the
        // target page and the host decides, as on Linux.)
        let big_host_pages = emu.pages.size > TARGET_PAGE_SIZE as u64;
        if reserved || big_host_pages {
            // One lookup per page (2.3 made one per byte).
            if target_pages_touching(from, to)
                .any(|p| emu.page_flags(GuestAddr(p as abi_ulong)) != 0)
            {
                return Err(Failure::Errno(libc::ENOMEM));
            }
            let lo = from.next_multiple_of(real);
            let hi = if reserved {
                to.next_multiple_of(real)
            } else {
                to.next_multiple_of(real).min(emu.pages.align(from))
            };
            if lo < hi {
                // SAFETY: the free tail inside the guest window (no page flags: checked above).
                let _ = unsafe { host::munmap(win.g2h_wide(lo), hi - lo) };
                tail = Some((lo, hi));
            }
        }
    }
    if new_len == old_len {
        // Linux: nothing to do once the mapping at `old_addr` is found.
        return Ok(win.g2h(old_addr));
    }
    if new_len < old_len && reserved {
        // Under `reserved_va` the reservation replaces the tail in one step, which is the
        // shrink: no hole at any moment. Should the host refuse, nothing changed, and the
        // guest sees the failure (Linux's shrink can fail with ENOMEM too).
        replace_with_reservation(emu, old_addr.wide() + new_len, old_addr.wide() + old_len)?;
        return Ok(win.g2h(old_addr));
    }
    if new_len > old_len && !reserved && emu.pages.size > real {
        // With host pages larger than the real ones, a host page holding guest pages is
        // mapped whole (the fragment model). A growth ending inside a host page that holds
        // no guest page after the new end takes the rest of that host page too (real pages
        // without page flags, narrowed to the union afterwards), so none of its real pages
        // stays unmapped. Where the host refuses, the exact growth is tried.
        let end = old_addr.wide() + new_len;
        let host_end = emu.pages.align(end);
        if host_end > end
            && win.contains(old_addr, host_end - old_addr.wide())
            && flags_between(emu, GuestAddr(narrow(end)), GuestAddr(narrow(host_end))) == 0
        {
            let whole = host_end - old_addr.wide();
            // SAFETY: the old range and its free tail inside the guest window (checked above).
            if let Ok(h) =
                unsafe { host::mremap(win.g2h(old_addr), old_len, whole, flags as c_int) }
            {
                return Ok(h);
            }
        }
    }
    // SAFETY: the old range and its tail lie inside the guest window (checked above); the
    // host refuses a tail that is not free.
    let r = unsafe { host::mremap(win.g2h(old_addr), old_len, new_len, flags as c_int) };
    if let (Err(_), Some((lo, hi))) = (r, tail) {
        // Put back what was lifted: the reservation, and in a host page that holds guest
        // pages the host page's (union) protection, as before the call (a refused growth,
        // e.g. EFAULT for an old range of several mappings, changes nothing).
        let _ = reserve_exactly(emu, lo, hi);
        set_union_protection(emu, lo, hi);
    }
    r.map_err(|e: Errno| e.into())
}

/// The protection a page of the old range gives the page it moves to: its own, with the
/// write permission that QEMU took away for its translated code given back.
fn prot_of(flags: c_int) -> c_int {
    let mut prot = flags & PAGE_BITS;
    if flags & PAGE_WRITE_ORG != 0 {
        prot |= PAGE_WRITE;
    }
    prot | PAGE_VALID
}

/// Runs of equal protection (`prot_of`) over the start of the old range, as (offset, end
/// offset, protection): the runs before the last one, which only a range of several
/// protections has (no allocation otherwise), then the last run.
#[derive(Default)]
struct ProtRuns {
    before: Vec<(u64, u64, c_int)>,
    last: Option<(u64, u64, c_int)>,
}

/// Looks up the target pages of `[old, old + len)` (`len` whole target pages inside the
/// guest space; the first page's flags are `first_flags`) and returns their runs of equal
/// protection, or `None` at the first page that is not mapped.
///
/// Every page is looked at: a move can take several host mappings of different protections
/// at once (Linux 6.17), and one host mapping can hold guest pages of different
/// protections (a page QEMU write-protected for its translated code has the host
/// protection of a read-only neighbour); only the page flags tell.
fn protection_runs(
    emu: &Emulator,
    old: GuestAddr,
    first_flags: c_int,
    len: u64,
) -> Option<ProtRuns> {
    let ps = TARGET_PAGE_SIZE as u64;
    let mut runs = ProtRuns::default();
    if len == 0 {
        return Some(runs);
    }
    if first_flags & PAGE_VALID == 0 {
        return None;
    }
    // The run being read: its start and its pages' flags (equal flags, equal protection).
    let (mut start, mut flags) = (0, first_flags);
    let mut off = ps;
    loop {
        // Past the pages whose flags equal the run's (the common case, a tight loop) to
        // the first that differs, with its flags.
        let mut f = flags;
        while off < len {
            f = emu.page_flags(old.add(off as abi_ulong));
            if f != flags {
                break;
            }
            off += ps;
        }
        if off >= len {
            break;
        }
        if f & PAGE_VALID == 0 {
            return None;
        }
        if prot_of(f) != prot_of(flags) {
            runs.before.push((start, off, prot_of(flags)));
            start = off;
        }
        flags = f;
        off += ps;
    }
    runs.last = Some((start, len, prot_of(flags)));
    Some(runs)
}

/// The page flags follow the mapping: each page of the new range gets the protection of
/// the page it came from (a grown tail that of the last old page), and the old range is
/// cleared unless it stays mapped. `runs` are the protections of the old range's pages
/// that `mremap` looked at (`protection_runs`): all of them when the mapping grows, the
/// part that moves when it moves; `first_prot` is the first page's.
#[allow(clippy::too_many_arguments)]
fn move_page_flags(
    emu: &Emulator,
    old: GuestAddr,
    old_len: u64,
    new: GuestAddr,
    new_len: u64,
    keep_old: bool,
    first_prot: c_int,
    runs: &ProtRuns,
) {
    // A grown tail takes the protection of the last old page (looked at when growing;
    // an old size of 0 has only the first page).
    let last_prot = runs.last.map_or(first_prot, |run| run.2);
    if new == old {
        // Resized in place: the pages kept keep their flags.
        if new_len < old_len {
            emu.set_page_flags(
                old.add(new_len as abi_ulong),
                old.add(old_len as abi_ulong),
                0,
            );
        } else if new_len > old_len {
            emu.set_page_flags(
                old.add(old_len as abi_ulong),
                old.add(new_len as abi_ulong),
                last_prot,
            );
        }
        return;
    }
    let copied = old_len.min(new_len);
    debug_assert_eq!(runs.last.map_or(0, |run| run.1), copied);
    if !keep_old && old_len != 0 {
        emu.set_page_flags(old, old.add(old_len as abi_ulong), 0);
    }
    for &(from, to, prot) in runs.before.iter().chain(&runs.last) {
        emu.set_page_flags(new.add(from as abi_ulong), new.add(to as abi_ulong), prot);
    }
    if new_len > copied {
        emu.set_page_flags(
            new.add(copied as abi_ulong),
            new.add(new_len as abi_ulong),
            last_prot,
        );
    }
}
