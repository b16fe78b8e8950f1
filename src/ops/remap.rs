//! `target_mremap`: resizing and moving guest mappings.
//!
//! Differences from QEMU 2.3 (Linux semantics; see COMPATIBILITY.md): arguments and guest
//! ranges are checked first (EINVAL for bad flags, sizes and new ranges, EFAULT for an old
//! range outside the guest space or not mapped, ENOMEM when there is no room); a failed
//! move keeps the old mapping; a shrink under `reserved_va` re-reserves exactly the freed
//! tail; growth in place works under `reserved_va`; the new range keeps the per-page
//! protections of the old one; `MREMAP_DONTUNMAP` keeps the old range; translated code of
//! the old range is dropped too.

use std::os::raw::{c_int, c_ulong};

use super::find::find_vma;
use super::unmap::{release_host, reserve_exactly};
use super::{flags_between, tighten_edge_host_pages, Failure, Outcome};
use crate::config::{abi_ulong, PAGE_BITS, PAGE_VALID, PAGE_WRITE, TARGET_PAGE_SIZE};
use crate::emulator::Emulator;
use crate::guest::{target_pages_touching, GuestAddr, HostAddr};
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
        let overlap = new_addr.wide() < old_addr.wide() + old_len
            && old_addr.wide() < new_addr.wide() + new_len;
        if !new_addr.is_target_page_aligned() || !win.contains(new_addr, new_len) || overlap {
            return einval;
        }
    }
    // The old range must be guest memory, and mapped.
    if !win.contains(old_addr, old_len) {
        return Err(Failure::Errno(libc::EFAULT));
    }
    let first_flags = emu.page_flags(old_addr);
    // What must be mapped, as Linux requires it: resizing in place without growing needs
    // only the first page; growing needs the whole old range to be one mapping; a move
    // needs the part that moves (a shrinking move drops the rest first).
    let checked = if new_len > old_len {
        old_len
    } else if may_move {
        new_len
    } else {
        0
    };
    let mapped = first_flags & PAGE_VALID != 0
        && target_pages_touching(old_addr.wide(), old_addr.wide() + checked)
            .all(|p| emu.page_flags(GuestAddr(p as abi_ulong)) & PAGE_VALID != 0);
    if !mapped {
        return Err(Failure::Errno(libc::EFAULT));
    }

    let moved = if fixed {
        host::mremap_to(
            win.g2h(old_addr),
            old_size as u64,
            new_size as u64,
            flags,
            win.g2h(new_addr),
        )?
    } else if may_move {
        // A failed move changes nothing, the search's hint included.
        let hint = next_start();
        let target = find_vma(&emu, GuestAddr(0), new_size);
        if target == GuestAddr::INVALID {
            set_next_start(hint);
            return Err(Failure::Errno(libc::ENOMEM));
        }
        let r = host::mremap_to(
            win.g2h(old_addr),
            old_size as u64,
            new_size as u64,
            flags | MREMAP_FIXED,
            win.g2h(target),
        );
        match r {
            Ok(h) => h,
            Err(e) => {
                // The old mapping is untouched; drop the search's host reservation.
                set_next_start(hint);
                if emu.reserved_va() == 0 {
                    let _ = host::munmap(win.g2h(target), emu.pages.align_len(new_size) as u64);
                }
                return Err(e.into());
            }
        }
    } else {
        resize_in_place(&emu, old_addr, old_size, new_size, flags)?
    };
    let new_addr = win.h2g(moved);

    // What the host released: the whole old range after a move (unless asked not to), the
    // tail after a shrink in place (whole real host pages).
    let real = emu.pages.real_size;
    let base = old_addr.wide();
    let freed = if new_addr != old_addr {
        (!dont_unmap).then(|| (base, base + (old_size as u64).next_multiple_of(real)))
    } else if new_size < old_size {
        Some((
            base + (new_size as u64).next_multiple_of(real),
            base + (old_size as u64).next_multiple_of(real),
        ))
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
    let big_host_pages = emu.pages.size > real;
    if let Some((lo, hi)) = freed.filter(|_| emu.reserved_va() != 0 || big_host_pages) {
        reserve_exactly(&emu, lo, hi);
    }
    move_page_flags(
        &emu,
        old_addr,
        old_len,
        new_addr,
        new_len,
        dont_unmap,
        first_flags,
    );
    if let Some((lo, hi)) = freed.filter(|_| big_host_pages) {
        // A host page the range shared may now hold no guest page at all: release it too, as
        // munmap does. One that still holds guest pages keeps the placeholder over its
        // released real pages, with the host page's (union) protection, as every fragment
        // has: no hole inside a live host page.
        let _ = release_host(&emu, GuestAddr(lo as abi_ulong), (hi - lo) as abi_ulong);
        tighten_edge_host_pages(&emu, GuestAddr(lo as abi_ulong), GuestAddr(hi as abi_ulong));
    }

    if new_addr != old_addr && emu.pages.size > real {
        // The moved real pages keep their own protection; a host page they now share with
        // other guest pages (or with the search's reservation) gets the union, as every
        // fragment does.
        let first = emu.pages.start_of(new_addr);
        let last = emu.pages.start_of(new_addr.add((new_len - 1) as abi_ulong));
        for host_page in [first, last] {
            let union =
                flags_between(&emu, host_page, host_page.add(emu.pages.size_abi())) & PAGE_BITS;
            let _ = host::mprotect(win.g2h(host_page), emu.pages.size, union);
        }
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
fn resize_in_place(
    emu: &Emulator,
    old_addr: GuestAddr,
    old_size: abi_ulong,
    new_size: abi_ulong,
    flags: c_ulong,
) -> Result<HostAddr, Failure> {
    let win = emu.window;
    let reserved = emu.reserved_va() != 0;
    let real = emu.pages.real_size;
    let mut tail = None;
    if old_size < new_size {
        let (from, to) = (
            old_addr.wide() + old_size as u64,
            old_addr.wide() + new_size as u64,
        );
        if !pages_len(new_size).is_some_and(|len| win.contains(old_addr, len)) {
            return Err(Failure::Errno(libc::ENOMEM));
        }
        if reserved {
            // One lookup per page (2.3 made one per byte).
            if target_pages_touching(from, to)
                .any(|p| emu.page_flags(GuestAddr(p as abi_ulong)) != 0)
            {
                return Err(Failure::Errno(libc::ENOMEM));
            }
            let (lo, hi) = (from.next_multiple_of(real), to.next_multiple_of(real));
            if lo < hi {
                let _ = host::munmap(win.g2h_wide(lo), hi - lo);
                tail = Some((lo, hi));
            }
        }
    }
    let r = host::mremap(
        win.g2h(old_addr),
        old_size as u64,
        new_size as u64,
        flags as c_int,
    );
    if let (Err(_), Some((lo, hi))) = (r, tail) {
        reserve_exactly(emu, lo, hi);
    }
    r.map_err(|e: Errno| e.into())
}

/// The page flags follow the mapping: each page of the new range gets the protection of
/// the page it came from (a grown tail that of the last old page), and the old range is
/// cleared unless it stays mapped. `first_flags` is the old range's first page's.
#[allow(clippy::too_many_arguments)]
fn move_page_flags(
    emu: &Emulator,
    old: GuestAddr,
    old_len: u64,
    new: GuestAddr,
    new_len: u64,
    keep_old: bool,
    first_flags: c_int,
) {
    let ps = TARGET_PAGE_SIZE as u64;
    let uniform = emu.pages.size == ps;
    let prot_of = |flags: c_int| {
        let mut prot = flags & PAGE_BITS;
        if flags & PAGE_WRITE_ORG != 0 {
            prot |= PAGE_WRITE;
        }
        prot | PAGE_VALID
    };
    // Resized in place, the old range was one host mapping: with host pages of the
    // target's size its pages share one protection.
    let last_flags = || {
        if (uniform && new == old) || old_len <= ps {
            prot_of(first_flags)
        } else {
            prot_of(emu.page_flags(old.add((old_len - ps) as abi_ulong)))
        }
    };
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
                last_flags(),
            );
        }
        return;
    }
    // Runs of equal protection: (offset, end offset, flags). A move can take several host
    // mappings of different protections at once (Linux 6.17): look at every page.
    let copied = old_len.min(new_len);
    let mut runs: Vec<(u64, u64, c_int)> = Vec::new();
    for off in (0..copied).step_by(ps as usize) {
        let f = if off == 0 {
            prot_of(first_flags)
        } else {
            prot_of(emu.page_flags(old.add(off as abi_ulong)))
        };
        match runs.last_mut() {
            Some(run) if run.2 == f && run.1 == off => run.1 = off + ps,
            _ => runs.push((off, off + ps, f)),
        }
    }
    let tail_flags = if new_len > copied { last_flags() } else { 0 };
    if !keep_old && old_len != 0 {
        emu.set_page_flags(old, old.add(old_len as abi_ulong), 0);
    }
    for (from, to, f) in runs {
        emu.set_page_flags(new.add(from as abi_ulong), new.add(to as abi_ulong), f);
    }
    if new_len > copied {
        emu.set_page_flags(
            new.add(copied as abi_ulong),
            new.add(new_len as abi_ulong),
            tail_flags,
        );
    }
}
