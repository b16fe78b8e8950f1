//! `mmap_find_vma`: finding free guest address space.
//!
//! Two strategies, as in the original. With a pre-reserved guest space (`reserved_va`) the
//! page flags are the truth, and the search walks down from the hint to the highest free
//! window. Without one, the host kernel is asked: a `PROT_NONE` probe mapping at the hint,
//! accepted when it lies inside the guest space and is target-page aligned, and otherwise
//! retried (aligned up, aligned down, from low memory) before giving up.
//!
//! Differences from QEMU 2.3 (see docs/COMPATIBILITY.md): the result is never 0 nor below
//! `mmap_min_addr`, never ends past the guest space, and is host-page aligned; under `reserved_va` every target page of a candidate host page is
//! checked (2.3 checks only the first), the top of the space is the usable end of the guest
//! space (a 4 GiB reservation no longer narrows to 0), and a window that holds a used page
//! is skipped at once instead of one host page at a time.

use crate::config::{abi_ulong, target_ulong, TARGET_PAGE_SIZE, TASK_UNMAPPED_BASE};
use crate::emulator::Emulator;
use crate::guest::{GuestAddr, HostAddr};
use crate::host;
use crate::state::{next_start, set_next_start};

/// Finds `size` bytes of free guest space, starting the search at `start` (0: at
/// `mmap_next_start`), and moves `mmap_next_start` as the search asks. Returns
/// [`GuestAddr::INVALID`] when there is none, without setting `errno`. The caller holds the
/// mmap lock. Without `reserved_va` the range found is left reserved on the host
/// (`PROT_NONE`), to be replaced by the caller's `MAP_FIXED` mapping.
pub(crate) fn find_vma(emu: &Emulator, start: GuestAddr, size: abi_ulong) -> GuestAddr {
    search(emu, start, size).map_or(GuestAddr::INVALID, |found| found.commit())
}

/// What a search found: the address, and the new `mmap_next_start` when the search moves it.
pub(crate) struct Found {
    pub addr: GuestAddr,
    next: Option<GuestAddr>,
}

impl Found {
    /// Stores the new `mmap_next_start`, when there is one; returns the address.
    pub(crate) fn commit(&self) -> GuestAddr {
        if let Some(next) = self.next {
            set_next_start(next);
        }
        self.addr
    }
}

/// [`find_vma`] without touching `mmap_next_start`: the caller commits the result.
pub(crate) fn search(emu: &Emulator, start: GuestAddr, size: abi_ulong) -> Option<Found> {
    let start = search_start(emu, start);
    // No size, a size that wraps when host-page aligned (2.3 then searches for 0 bytes),
    // or one that exceeds the guest space: no room anywhere (2.3 returned an address).
    let (pages, limit) = (emu.pages(), emu.window().end_limit());
    if size == 0 || pages.align(size as u64) > limit || pages.align_len(size) == 0 {
        return None;
    }
    let size = pages.align_len(size);
    if emu.reserved_va() != 0 {
        return find_reserved(emu, start, size);
    }
    find_by_probing(emu, start, size)
}

/// Where a search from `hint` begins: `mmap_next_start` for 0, otherwise `hint`'s host page.
pub(crate) fn search_start(emu: &Emulator, hint: GuestAddr) -> GuestAddr {
    if hint.raw() == 0 {
        next_start()
    } else {
        emu.pages().start_of(hint)
    }
}

/// The lowest address a search may return: the host page holding `mmap_min_addr` rounded
/// up, and never page 0.
pub(crate) fn floor(emu: &Emulator) -> u64 {
    emu.pages().align(emu.mmap_min_addr().max(1))
}

/// Whether a host mapping `[p, p + size)` lies where the search may return it: inside the
/// guest space as this library bounds it (so its end never wraps), not below [`floor`].
fn inside(emu: &Emulator, p: HostAddr, size: abi_ulong) -> bool {
    let win = emu.window();
    // A valid start makes `h2g_nocheck` exact, and `contains` then bounds the last byte
    // by the guest space too.
    win.h2g_valid(p)
        && win.contains(win.h2g_nocheck(p), size as u64)
        && win.h2g_nocheck(p).wide() >= floor(emu)
}

/// The guest address of a host mapping `[p, p + size)` when the search may return it:
/// [`inside`] and starting a host page (as the emulator sizes them). 2.3 accepted a target
/// page; with `-p 65536` on a 4 KiB host that lets a mapping start inside a host page,
/// whose other parts later unmaps and fragments take for the guest's.
pub(crate) fn window_ok(emu: &Emulator, p: HostAddr, size: abi_ulong) -> Option<GuestAddr> {
    let addr = emu.window().h2g_nocheck(p);
    (inside(emu, p, size) && emu.pages().offset_in(addr.raw()) == 0).then_some(addr)
}

/// The search inside the reserved guest space: the highest free window at or below
/// `start + size` (capped at the top of the space), then once more from the top.
fn find_reserved(emu: &Emulator, start: GuestAddr, size: abi_ulong) -> Option<Found> {
    // A window of one page gets its own copy of the walk, where the size is a constant:
    // 8 instructions per page instead of 13 (callgrind, search_rva S = 1).
    match size as u64 == TARGET_PAGE_SIZE as u64 {
        true => scan_reserved(emu, start, TARGET_PAGE_SIZE as u64),
        false => scan_reserved(emu, start, size as u64),
    }
}

/// [`find_reserved`]'s walk: windows from the highest down, each checked from its lowest
/// page up; a used page sends the search below its host page.
// Always inlined: two copies, each with the fewest instructions per page (callgrind).
#[inline(always)]
fn scan_reserved(emu: &Emulator, start: GuestAddr, size: u64) -> Option<Found> {
    let pages = emu.pages();
    (size <= emu.reserved_va()).then_some(())?;
    let top = emu.window().end_limit() & pages.mask;
    let bottom = floor(emu).saturating_add(size);
    // A hint near the top of a 64-bit space: the window ends at the top.
    let mut end = start.wide().saturating_add(size).min(top) & pages.mask;
    let mut looped = false;
    loop {
        if end < bottom {
            // Reached the bottom: search again from the top, once.
            (!looped && top >= bottom).then_some(())?;
            (end, looped) = (top, true);
            continue;
        }
        // `end >= bottom >= size`: the window is at least one page, checked from its
        // lowest page up; a used page sends the search below its host page.
        let candidate = end.wrapping_sub(size);
        let mut page = candidate;
        loop {
            if emu.page_flags_at(page as target_ulong) != 0 {
                end = page & pages.mask;
                break;
            }
            page += TARGET_PAGE_SIZE as u64;
            if page >= end {
                let addr = GuestAddr(candidate as abi_ulong);
                let next = (start == next_start()).then_some(addr);
                return Some(Found { addr, next });
            }
        }
    }
}

/// The search by host probing, for a guest space that is not pre-reserved.
fn find_by_probing(emu: &Emulator, start: GuestAddr, size: abi_ulong) -> Option<Found> {
    let (mut addr, mut wrapped, mut repeat) = (start, false, 0u32);
    let mut prev: Option<HostAddr> = None;
    loop {
        // Reserve the area to avoid a race; the caller replaces it with MAP_FIXED.
        let flags = libc::MAP_ANONYMOUS | libc::MAP_PRIVATE | libc::MAP_NORESERVE;
        let ptr = emu.mmap(addr, size, libc::PROT_NONE, flags, -1, 0).ok()?;
        // Count how often in a row the kernel returns the same address.
        repeat = if prev == Some(ptr) { repeat + 1 } else { 0 };
        let guest = emu.window().h2g_nocheck(ptr);
        addr = match window_ok(emu, ptr, size) {
            Some(addr) => {
                let moves = start == next_start() && addr.wide() >= TASK_UNMAPPED_BASE;
                let next = moves.then_some(addr.add(size));
                return Some(Found { addr, next });
            }
            // The area the kernel gave is outside the guest space: retry from low memory,
            // unless this is a repetition.
            None if repeat != 0 && !inside(emu, ptr, size) => GuestAddr::INVALID,
            None if !inside(emu, ptr, size) => GuestAddr(0),
            // Inside the guest space but not aligned to a host page.
            // Assume the kernel gave the first free area: retry at the next host page.
            None if repeat == 0 => emu.pages().align_guest(guest),
            // The kernel may allocate from the top instead: retry aligned down.
            None if repeat == 1 => emu.pages().start_of(guest),
            // Start over in low memory.
            None if repeat == 2 => GuestAddr(0),
            // This unaligned block must be the last one.
            None => GuestAddr::INVALID,
        };
        // SAFETY: `ptr` is the probe mapped above, referenced by no one.
        let _ = unsafe { host::munmap(ptr, size as u64) };
        // After a wrap, a second wrap or a retry at or above the start ends the search.
        if addr == GuestAddr::INVALID || (wrapped && (addr.raw() == 0 || addr >= start)) {
            return None;
        } else if addr.raw() == 0 {
            wrapped = true;
            // Never 0: ask for low memory from mmap_min_addr up.
            addr = GuestAddr(floor(emu) as abi_ulong);
        }
        prev = Some(ptr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testing::{self, PS};

    #[test]
    fn the_search_leaves_mmap_next_start_to_its_caller() {
        let (_guest, emu) = testing::guest(0);
        let hint = next_start();
        let found = search(&emu, GuestAddr(0), 4 * PS).expect("room in an empty guest");
        // The highest free window below the hint (the top of the reservation).
        assert_eq!(found.addr, hint.sub(4 * PS));
        assert_eq!(found.next, Some(found.addr));
        assert_eq!(next_start(), hint, "not moved before the caller commits");
        found.commit();
        assert_eq!(next_start(), found.addr);
        // find_vma commits by itself; a search from an explicit start moves nothing.
        let lower = find_vma(&emu, GuestAddr(0), 4 * PS);
        assert_eq!((lower, next_start()), (found.addr, found.addr));
        let at = search(&emu, GuestAddr(0x0100_0000), PS).unwrap();
        assert_eq!((at.addr, at.next), (GuestAddr(0x0100_0000), None));
        // No room: nothing found, nothing moved.
        assert!(search(&emu, GuestAddr(0), (1 << 28) + PS).is_none());
        assert_eq!(find_vma(&emu, GuestAddr(0), 0), GuestAddr::INVALID);
        assert_eq!(next_start(), found.addr);
    }
}
