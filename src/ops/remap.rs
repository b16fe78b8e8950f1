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

use super::find::search;
use super::unmap::{release_host, replace_with_reservation, reserve_exactly};
use super::Failure::Errno;
use super::{ensure, flags_between, fragment_model, set_union_protection};
use super::{tighten_edge_host_pages, Outcome};
use crate::config::{
    abi_ulong, PAGE_BITS, PAGE_VALID, PAGE_WRITE, PAGE_WRITE_ORG, TARGET_PAGE_SIZE,
};
use crate::emulator::Emulator;
use crate::guest::{narrow, GuestAddr, HostAddr};
use crate::lock;

const MAYMOVE: c_ulong = libc::MREMAP_MAYMOVE as c_ulong;
const FIXED: c_ulong = libc::MREMAP_FIXED as c_ulong;
const DONTUNMAP: c_ulong = libc::MREMAP_DONTUNMAP as c_ulong;

/// A length rounded up to target pages, or `None` when that does not fit `abi_ulong`
/// (Linux: EINVAL for a size that wraps when page-aligned).
fn pages_len(size: abi_ulong) -> Option<u64> {
    let len = (size as u64).checked_next_multiple_of(TARGET_PAGE_SIZE as u64)?;
    (len <= abi_ulong::MAX as u64).then_some(len)
}

/// Resizes the guest mapping at `old_addr` from `old_size` to `new_size` bytes, moving it to
/// `new_addr` (`MREMAP_FIXED`), to a free guest range (`MREMAP_MAYMOVE`), or growing or
/// shrinking it in place. Returns the new guest address, or -1 with `errno`.
pub(crate) fn mremap(
    old_addr: GuestAddr,
    old_size: abi_ulong,
    new_size: abi_ulong,
    flags: c_ulong,
    new_addr: GuestAddr,
) -> Outcome<GuestAddr> {
    let has = |flag: c_ulong| flags & flag != 0;
    let (may_move, fixed, dont_unmap) = (has(MAYMOVE), has(FIXED), has(DONTUNMAP));
    let bad_flags = flags & !(MAYMOVE | FIXED | DONTUNMAP) != 0 || (fixed && !may_move);
    let bad_dont_unmap = dont_unmap && (!may_move || old_size != new_size);
    let aligned = old_addr.is_target_page_aligned();
    ensure(!bad_flags && !bad_dont_unmap && aligned, libc::EINVAL)?;
    let lens = pages_len(old_size).zip(pages_len(new_size));
    let lens = lens.filter(|&(old, new)| new != 0 && (old != 0 || may_move));
    let (old_len, new_len) = lens.ok_or(Errno(libc::EINVAL))?;
    let _lock = lock::Guard::new();
    let emu = Emulator::current();
    let win = emu.window();
    // Linux checks the new range of a fixed move first (EINVAL), then the old one (EFAULT).
    if fixed {
        // In 128 bits: neither end may wrap, whatever the inputs.
        let (old_lo, new_lo) = (old_addr.wide() as u128, new_addr.wide() as u128);
        let overlap = new_lo < old_lo + old_len as u128 && old_lo < new_lo + new_len as u128;
        let fits = new_addr.is_target_page_aligned() && win.contains(new_addr, new_len);
        ensure(fits && !overlap, libc::EINVAL)?;
    }
    // The old range must be guest memory, and mapped.
    ensure(win.contains(old_addr, old_len), libc::EFAULT)?;
    // From here any end at most `old_addr + old_len` fits the guest space.
    let old_end = old_addr.add(old_len as abi_ulong);
    // Linux moves only when asked to (MREMAP_FIXED, MREMAP_DONTUNMAP) or when a growth
    // needs it: with MREMAP_MAYMOVE alone, a remap that does not grow stays in place.
    let moving = fixed || dont_unmap || (may_move && new_len > old_len);
    // What must be mapped, as Linux requires it: resizing in place without growing needs
    // only the first page (Linux looks up the mapping at `old_addr`, nothing after it);
    // growing needs the whole old range to be one mapping; a move needs the part that
    // moves (a shrinking move drops the rest first). The same walk records the protections
    // of those pages, which the page flags of the new range take (`ProtRuns::apply`): each
    // page is looked up once. (Growing: `old_len`; moving: `new_len`; otherwise none.)
    let checked = if new_len > old_len || moving {
        old_len.min(new_len)
    } else {
        0
    };
    let runs = protection_runs(&emu, old_addr, checked).ok_or(Errno(libc::EFAULT))?;
    // The host is given whole target pages (`old_len`, `new_len`): with target pages larger
    // than the real ones (8 KiB guests on 4 KiB hosts) Linux aligns both sizes to its page,
    // so a size inside the last target page neither drops nor leaves behind the rest of it.
    let landed = if fixed {
        emu.mremap_to(old_addr, old_len, new_len, flags, new_addr)?
    } else if moving {
        // A failed move changes nothing, the search's hint included.
        let found = search(&emu, GuestAddr(0), new_len as abi_ulong).ok_or(Errno(libc::ENOMEM))?;
        let moved = emu.mremap_to(old_addr, old_len, new_len, flags | FIXED, found.addr);
        if moved.is_err() && emu.reserved_va() == 0 {
            // The old mapping is untouched; drop the search's host reservation.
            let _ = emu.munmap(found.addr, emu.pages().align(new_len));
        }
        moved.inspect(|_| _ = found.commit())?
    } else {
        resize_in_place(&emu, old_addr, old_len, new_len, flags)?
    };
    let new_addr = win.h2g(landed);
    let moved = new_addr != old_addr;

    // What the host released: the whole old range after a move (unless asked not to), the
    // tail after a shrink in place (whole target pages, so whole real host pages).
    let kept = if moved { 0 } else { new_len.min(old_len) };
    let freed = (old_addr.add(kept as abi_ulong), old_len - kept);
    let freed = Some(freed).filter(|&(_, len)| len != 0 && !(moved && dont_unmap));
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
    let big_host_pages = emu.pages().size > emu.pages().real_size;
    let reserved = emu.reserved_va() != 0;
    // (Under `reserved_va` only after a move: a shrink in place is filled already.)
    if let Some((lo, len)) = freed.filter(|_| if reserved { moved } else { big_host_pages }) {
        let _ = reserve_exactly(&emu, lo, len);
    }
    runs.apply(&emu, (old_addr, old_len), (new_addr, new_len), dont_unmap);
    if let Some((lo, len)) = freed.filter(|_| big_host_pages) {
        // A host page the range shared may now hold no guest page at all: release it too, as
        // munmap does. One that still holds guest pages keeps the placeholder over its
        // released real pages, with the host page's (union) protection, as every fragment
        // has: no hole inside a live host page.
        let _ = release_host(&emu, lo, len as abi_ulong);
        tighten_edge_host_pages(&emu, lo, lo.add(len as abi_ulong));
    }
    // With host pages larger than target pages (`set_union_protection` does nothing
    // otherwise): real pages that arrived in a host page (moved there, or grown into it)
    // carry the protection of the host mapping they came from: the union of their old host
    // page, or, for a grown tail, the protection of the mapping it extends. Each host page
    // they now lie in gets the union of its guest pages, as every fragment has (also a
    // middle one: a move that shifts the range within host pages mixes real pages of two
    // old host pages).
    // (Resized in place, only a growth has such pages: `[old_end, new end)`, empty otherwise.)
    let arrived = if moved { new_addr } else { old_end };
    set_union_protection(&emu, arrived.wide(), new_addr.wide() + new_len);
    if old_len != 0 {
        // Also with MREMAP_DONTUNMAP: the contents moved away (the old range reads zero).
        emu.invalidate_translations(old_addr, old_end);
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
) -> Outcome<HostAddr> {
    let (win, pages) = (emu.window(), emu.pages());
    let reserved = emu.reserved_va() != 0;
    let remap = |len: u64| emu.mremap(old_addr, old_len, len, flags as c_int);
    if new_len == old_len {
        // Linux: nothing to do once the mapping at `old_addr` is found.
        return Ok(win.g2h(old_addr));
    } else if new_len < old_len && reserved {
        // Under `reserved_va` the reservation replaces the tail in one step, which is the
        // shrink: no hole at any moment. Should the host refuse, nothing changed, and the
        // guest sees the failure (Linux's shrink can fail with ENOMEM too).
        replace_with_reservation(emu, old_addr.add(new_len as abi_ulong), old_len - new_len)?;
        return Ok(win.g2h(old_addr));
    } else if new_len < old_len {
        return Ok(remap(new_len)?);
    }
    ensure(win.contains(old_addr, new_len), libc::ENOMEM)?;
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
    let mut tail = None;
    if reserved || fragment_model(emu) {
        ensure(range_is_free(emu, from, to), libc::ENOMEM)?;
        // The rest of the host page holding the old end, or (reserved) the whole tail.
        let cap = if reserved { !0 } else { pages.align(from) };
        let lo = from.next_multiple_of(pages.real_size);
        let hi = to.next_multiple_of(pages.real_size).min(cap);
        if lo < hi {
            // The free tail inside the guest window (no page flags: checked above).
            let _ = emu.munmap(GuestAddr(narrow(lo)), hi - lo);
            tail = Some((lo, hi));
        }
    }
    let host_end = pages.align(to);
    if !reserved
        && pages.size > pages.real_size
        && host_end > to
        && win.contains(old_addr, host_end - old_addr.wide())
        && flags_between(emu, GuestAddr(narrow(to)), GuestAddr(narrow(host_end))) == 0
    {
        // With host pages larger than the real ones, a host page holding guest pages is
        // mapped whole (the fragment model). A growth ending inside a host page that holds
        // no guest page after the new end takes the rest of that host page too (real pages
        // without page flags, narrowed to the union afterwards), so none of its real pages
        // stays unmapped. Where the host refuses, the exact growth is tried.
        if let Ok(h) = remap(host_end - old_addr.wide()) {
            return Ok(h);
        }
    }
    // The host refuses a tail that is not free.
    let r = remap(new_len);
    if let (Err(_), Some((lo, hi))) = (r, tail) {
        // Put back what was lifted: the reservation, and in a host page that holds guest
        // pages the host page's (union) protection, as before the call (a refused growth,
        // e.g. EFAULT for an old range of several mappings, changes nothing).
        let _ = reserve_exactly(emu, GuestAddr(narrow(lo)), hi - lo);
        set_union_protection(emu, lo, hi);
    }
    Ok(r?)
}

/// Whether no target page touching `[from, to)` (inside the guest space) has page flags:
/// one lookup per page (2.3 made one per byte).
// A loop of its own rather than `target_pages_touching(..).all(..)`: 2 instructions per
// page fewer (callgrind, mremap_grow_rva), and a used page ends it, unlike `flags_between`.
fn range_is_free(emu: &Emulator, from: u64, to: u64) -> bool {
    let mut page = from & !(TARGET_PAGE_SIZE as u64 - 1);
    while page < to {
        if emu.page_flags(GuestAddr(narrow(page))) != 0 {
            return false;
        }
        page += TARGET_PAGE_SIZE as u64;
    }
    true
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
/// protections has (no allocation otherwise), then the last run (empty for a range of no
/// pages, with the first page's protection).
struct ProtRuns {
    before: Vec<(u64, u64, c_int)>,
    last: (u64, u64, c_int),
}

/// Looks up the target pages of `[old, old + len)` (`len` whole target pages inside the
/// guest space) and returns their runs of equal protection, or `None` when the first page,
/// or one of the range, is not mapped.
///
/// Every page is looked at: a move can take several host mappings of different protections
/// at once (Linux 6.17), and one host mapping can hold guest pages of different
/// protections (a page QEMU write-protected for its translated code has the host
/// protection of a read-only neighbour); only the page flags tell.
fn protection_runs(emu: &Emulator, old: GuestAddr, len: u64) -> Option<ProtRuns> {
    let mut flags = emu.page_flags(old);
    if flags & PAGE_VALID == 0 {
        return None;
    }
    // The run being read: its start and its pages' flags (equal flags, equal protection).
    let (mut before, mut start) = (Vec::new(), 0);
    let mut off = TARGET_PAGE_SIZE as u64;
    while off < len {
        let f = emu.page_flags(old.add(off as abi_ulong));
        if f != flags {
            if f & PAGE_VALID == 0 {
                return None;
            } else if prot_of(f) != prot_of(flags) {
                before.push((start, off, prot_of(flags)));
                start = off;
            }
            flags = f;
        }
        off += TARGET_PAGE_SIZE as u64;
    }
    let last = (start, len, prot_of(flags));
    Some(ProtRuns { before, last })
}

impl ProtRuns {
    /// The page flags follow the mapping: each page of the new range gets the protection
    /// of the page it came from (a grown tail that of the last old page looked at), and
    /// the old range is cleared unless it stays mapped (`keep_old`). Ranges are (start,
    /// length).
    fn apply(&self, emu: &Emulator, old: (GuestAddr, u64), new: (GuestAddr, u64), keep_old: bool) {
        let ((old, old_len), (new, new_len)) = (old, new);
        let set = |at: GuestAddr, from: u64, to: u64, prot| {
            emu.set_page_flags(at.add(from as abi_ulong), at.add(to as abi_ulong), prot)
        };
        // Resized in place, the pages kept keep their flags: a shrink clears the tail, a
        // growth sets the new pages (below, as after a move).
        if new == old && new_len < old_len {
            set(old, new_len, old_len, 0);
        } else if new != old {
            if !keep_old && old_len != 0 {
                set(old, 0, old_len, 0);
            }
            for &(from, to, prot) in self.before.iter().chain([&self.last]) {
                if from < to {
                    set(new, from, to, prot);
                }
            }
        }
        let copied = old_len.min(new_len);
        if new_len > copied {
            set(new, copied, new_len, self.last.2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{PAGE_READ, PAGE_WRITE_ORG};
    use crate::lock;
    use crate::ops::map::{mmap, Request};
    use crate::ops::testing::{self, BASE};

    const PS: u64 = TARGET_PAGE_SIZE as u64;
    const R: c_int = PAGE_READ | PAGE_VALID;
    const RW: c_int = PAGE_READ | PAGE_WRITE | PAGE_VALID;

    #[test]
    fn protection_runs_follow_the_page_flags_to_the_new_range() {
        let (_guest, emu) = testing::guest(0);
        let _lock = lock::Guard::new();
        let at = |g: GuestAddr, page: u64| g.add((page * PS) as abi_ulong);
        // Pages R, RW, R, R; then a hole.
        emu.set_page_flags(at(BASE, 0), at(BASE, 4), R);
        emu.set_page_flags(at(BASE, 1), at(BASE, 2), RW);
        let runs = protection_runs(&emu, BASE, 4 * PS).expect("all mapped");
        assert_eq!(runs.before, vec![(0, PS, R), (PS, 2 * PS, RW)]);
        assert_eq!(runs.last, (2 * PS, 4 * PS, R));
        assert!(protection_runs(&emu, BASE, 5 * PS).is_none(), "the hole");
        assert!(
            protection_runs(&emu, at(BASE, 4), 0).is_none(),
            "unmapped first page"
        );
        let none = protection_runs(&emu, BASE, 0).expect("the first page is mapped");
        assert_eq!((none.before.len(), none.last), (0, (0, 0, R)));
        // A move that grows: the new pages take the old ones' protections, the grown tail
        // the last one's; the old range is cleared.
        let new = at(BASE, 16);
        runs.apply(&emu, (BASE, 4 * PS), (new, 6 * PS), false);
        let flags: Vec<_> = (0..7)
            .map(|p| emu.page_flags(at(new, p)) & !PAGE_WRITE_ORG)
            .collect();
        assert_eq!(flags, [R, RW, R, R, R, R, 0]);
        assert!((0..4).all(|p| emu.page_flags(at(BASE, p)) == 0));
        // Shrinking in place clears the tail only.
        runs.apply(&emu, (new, 6 * PS), (new, 2 * PS), false);
        assert_eq!(emu.page_flags(at(new, 1)) & !PAGE_WRITE_ORG, RW);
        assert_eq!(emu.page_flags(at(new, 2)), 0);
    }

    #[test]
    fn a_move_keeps_the_contents_and_moves_mmap_next_start_once() {
        let (_guest, emu) = testing::guest(0);
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        let anon = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
        let len = 2 * TARGET_PAGE_SIZE;
        assert_eq!(mmap(BASE, len, Request::new(rw, anon, -1, 0)), Ok(BASE));
        emu.zero(BASE, len as u64);
        // A mark in the first page.
        let p = emu.window().g2h(BASE).0 as *mut u8;
        // SAFETY: the guest page mapped writable just above.
        unsafe { *p = 0x5a };
        // Growing a mapping with the next pages in use moves it.
        assert_eq!(
            mmap(BASE.add(len), len, Request::new(rw, anon, -1, 0)),
            Ok(BASE.add(len))
        );
        let hint = crate::state::next_start();
        let moved = mremap(BASE, len, 2 * len, MAYMOVE, GuestAddr(0)).expect("moved");
        assert_ne!(moved, BASE);
        assert_eq!(
            crate::state::next_start(),
            moved,
            "the search's hint, committed"
        );
        assert!(moved < hint);
        assert_eq!(testing::read(&emu, moved, 1), [0x5a]);
        assert_eq!(emu.page_flags(BASE), 0);
        assert_eq!(emu.page_flags(moved.add(2 * len - 1)) & PAGE_BITS, rw);
    }
}
