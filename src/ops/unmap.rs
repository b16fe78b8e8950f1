//! `target_munmap`, and the re-reservation of released guest space under `reserved_va`.

use super::{ensure_neg, releasable, tighten_edge_host_pages, Outcome};
use crate::config::abi_ulong;
use crate::emulator::Emulator;
use crate::guest::{target_page_align, GuestAddr};
use crate::host::Errno;
use crate::lock;

/// Unmaps the guest pages `[start, start + len)`.
///
/// A misaligned `start`, a zero length, or a range that wraps or leaves the guest space is
/// `-EINVAL` (returned as the value, like the original's early checks; Linux gives EINVAL
/// too). Host pages still holding other guest pages stay mapped. Under `reserved_va` the
/// released host pages go back to the `PROT_NONE` reservation instead of to the host.
pub(crate) fn munmap(start: GuestAddr, len: abi_ulong) -> Outcome<()> {
    ensure_neg(start.is_target_page_aligned(), libc::EINVAL)?;
    let len = target_page_align(len);
    ensure_neg(len != 0, libc::EINVAL)?;
    let _lock = lock::Guard::new();
    let emu = Emulator::current();
    ensure_neg(emu.window().contains(start, len as u64), libc::EINVAL)?;
    release(&emu, start, len)
}

/// Releases the guest pages `[start, start + len)` (a range inside the guest space): to the
/// reservation under `reserved_va`, to the host otherwise; clears their flags and drops
/// their translated code.
pub(crate) fn release(emu: &Emulator, start: GuestAddr, len: abi_ulong) -> Outcome<()> {
    release_host(emu, start, len)?;
    emu.set_page_flags(start, start.add(len), 0);
    tighten_edge_host_pages(emu, start, start.add(len));
    emu.invalidate_translations(start, start.add(len));
    Ok(())
}

/// The host side of [`release`]: the host pages of `[start, start + len)` that hold no
/// other guest page go back to the reservation under `reserved_va`, to the host otherwise
/// (`munmap`, asked again after a refusal: a munmap that splits a mapping may need memory,
/// and a placeholder must not be left behind as a leak).
///
/// On failure nothing was released and the caller must leave the page flags as they are:
/// the guest then sees its munmap fail (Linux's munmap can fail with ENOMEM too) with the
/// memory still mapped, which is consistent, where releasing the flags over memory that
/// stayed mapped, or leaving a hole in the reservation, would not be.
#[inline(always)]
pub(crate) fn release_host(emu: &Emulator, start: GuestAddr, len: abi_ulong) -> Result<(), Errno> {
    let pages = emu.pages();
    if emu.reserved_va() == 0 && pages.offset_in(start.raw() | len) == 0 && len != 0 {
        // Whole host pages, all released (the everyday case).
        return retried(|| emu.munmap(start, len));
    }
    release_host_pieces(emu, start, len)
}

/// [`release_host`] of a range with partial host pages at its ends, or under `reserved_va`.
#[inline(never)]
fn release_host_pieces(emu: &Emulator, start: GuestAddr, len: abi_ulong) -> Result<(), Errno> {
    match releasable(emu, start, start.add(len)) {
        None => Ok(()),
        Some((at, len)) if emu.reserved_va() != 0 => replace_with_reservation(emu, at, len),
        Some((at, len)) => retried(|| emu.munmap(at, len)),
    }
}

/// `call`, made up to [`RESERVE_ATTEMPTS`] times until the host accepts it: the last
/// result.
fn retried<T>(mut call: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    (1..RESERVE_ATTEMPTS).fold(call(), |result, _| result.or_else(|_| call()))
}

/// Gives `[start, start + size)` back to the `PROT_NONE` reservation of the guest space,
/// except host pages at either end still holding other guest pages. Failures are ignored
/// (this runs on failure paths, as in the original), but never leave a hole.
pub(crate) fn reserve(emu: &Emulator, start: GuestAddr, size: abi_ulong) {
    if let Some((at, len)) = releasable(emu, start, start.add(size)) {
        let _ = replace_with_reservation(emu, at, len);
    }
}

/// How many times the reservation is asked for before giving up: a refusal of a
/// `PROT_NONE` `MAP_NORESERVE` mapping is a transient shortage (ENOMEM, EAGAIN, EINTR).
const RESERVE_ATTEMPTS: usize = 3;

/// Puts the `PROT_NONE` reservation over the guest range `[at, at + len)` (whole real host
/// pages, `len` not 0) with `mmap(MAP_FIXED)`, asking again after a refusal.
///
/// This is the only way to fill a range the host has already vacated (after a host
/// `mremap` moved or shrank the mapping): nothing else can close such a hole, and a hole
/// must not stay, since the emulator's own allocations (`mmap(NULL)`) could land in it
/// and later be replaced by a guest mapping. The range is never unmapped instead (2.3's
/// fallback), for the same reason.
pub(crate) fn reserve_exactly(emu: &Emulator, at: GuestAddr, len: u64) -> Result<(), Errno> {
    let flags = libc::MAP_FIXED | libc::MAP_ANONYMOUS | libc::MAP_PRIVATE | libc::MAP_NORESERVE;
    retried(|| emu.mmap(at, len, libc::PROT_NONE, flags, -1, 0)).map(drop)
}

/// Releases the still mapped guest range `[at, at + len)` (whole real host pages) to the
/// reservation: [`reserve_exactly`], or, when the host keeps refusing a new mapping there,
/// the mapping that is there made inaccessible (`PROT_NONE`) and emptied
/// (`MADV_DONTNEED`: private pages dropped, fresh ones read as zero). Either way no hole
/// appears and nothing of the old contents stays reachable. An error means nothing
/// changed that the guest could see: the range is still mapped as before (a refused
/// `mprotect` changes nothing), and the caller reports the failure.
pub(crate) fn replace_with_reservation(
    emu: &Emulator,
    at: GuestAddr,
    len: u64,
) -> Result<(), Errno> {
    let Err(err) = reserve_exactly(emu, at, len) else {
        return Ok(());
    };
    emu.mprotect(at, len, libc::PROT_NONE).map_err(|_| err)?;
    // Best effort: inaccessible already; this only gives the memory back (its contents are
    // discarded on purpose).
    let _ = emu.madvise(at, len, libc::MADV_DONTNEED);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::map::{mmap, Request};
    use crate::ops::testing::{self, BASE, PS};
    use crate::ops::Failure;

    #[test]
    fn a_host_page_goes_back_to_the_reservation_with_its_last_guest_page() {
        let (_guest, emu) = testing::guest(65536);
        let anon = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        assert_eq!(mmap(BASE, 2 * PS, Request::new(rw, anon, -1, 0)), Ok(BASE));
        emu.zero(BASE, 2 * PS as u64);
        let p = emu.window().g2h(BASE).0 as *mut u8;
        // SAFETY: the guest page mapped writable just above.
        unsafe { *p = 7 };
        assert_eq!(munmap(BASE.add(PS), PS), Ok(()));
        assert_eq!(emu.page_flags(BASE.add(PS)), 0);
        // The host page still holds the first guest page, contents and all.
        assert_eq!(testing::read(&emu, BASE, 1), [7]);
        assert_eq!(testing::host_prot(&emu, BASE), "rw-");
        assert_eq!(munmap(BASE, PS), Ok(()));
        assert_eq!(testing::host_prot(&emu, BASE), "---");
        assert_eq!(
            munmap(BASE.add(1), PS),
            Err(Failure::Negative(libc::EINVAL))
        );
        assert_eq!(munmap(BASE, 0), Err(Failure::Negative(libc::EINVAL)));
    }
}
