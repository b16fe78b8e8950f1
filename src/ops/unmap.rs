//! `target_munmap`, and the re-reservation of released guest space under `reserved_va`.

use super::{releasable_host_range, tighten_edge_host_pages, Failure, Outcome};
use crate::config::abi_ulong;
use crate::emulator::Emulator;
use crate::guest::{target_page_align, GuestAddr};
use crate::host;
use crate::lock;

/// Unmaps the guest pages `[start, start + len)`.
///
/// A misaligned `start`, a zero length, or a range that wraps or leaves the guest space is
/// `-EINVAL` (returned as the value, like the original's early checks; Linux gives EINVAL
/// too). Host pages still holding other guest pages stay mapped. Under `reserved_va` the
/// released host pages go back to the `PROT_NONE` reservation instead of to the host.
pub fn munmap(start: GuestAddr, len: abi_ulong) -> Outcome<()> {
    if !start.is_target_page_aligned() {
        return Err(Failure::Negative(libc::EINVAL));
    }
    let len = target_page_align(len);
    if len == 0 {
        return Err(Failure::Negative(libc::EINVAL));
    }
    let _lock = lock::Guard::new();
    let emu = Emulator::current();
    if !emu.window.contains(start, len as u64) {
        return Err(Failure::Negative(libc::EINVAL));
    }
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
/// other guest page go back to the reservation under `reserved_va`, to the host otherwise.
///
/// On failure nothing was released and the caller must leave the page flags as they are:
/// the guest then sees its munmap fail (Linux's munmap can fail with ENOMEM too) with the
/// memory still mapped, which is consistent, where releasing the flags over memory that
/// stayed mapped, or leaving a hole in the reservation, would not be.
pub(crate) fn release_host(
    emu: &Emulator,
    start: GuestAddr,
    len: abi_ulong,
) -> Result<(), host::Errno> {
    let (real_start, real_end) = releasable_host_range(emu, start, start.add(len));
    if real_start < real_end {
        let size = real_end.distance_from(real_start);
        if emu.reserved_va() != 0 {
            replace_with_reservation(emu, real_start.wide(), real_end.wide())?;
        } else {
            unmap_host(emu, real_start, size as u64)?;
        }
    }
    Ok(())
}

/// `munmap`, asked again after a refusal (a transient shortage: a munmap that splits a
/// mapping may need memory), so that a placeholder is not left behind as a leak.
fn unmap_host(emu: &Emulator, start: GuestAddr, len: u64) -> Result<(), host::Errno> {
    let at = emu.window.g2h(start);
    // SAFETY: a guest range through the window: guest memory.
    retried(|| unsafe { host::munmap(at, len) })
}

/// `call`, made up to [`RESERVE_ATTEMPTS`] times until the host accepts it: the last
/// result.
fn retried<T>(mut call: impl FnMut() -> Result<T, host::Errno>) -> Result<T, host::Errno> {
    let mut result = call();
    for _ in 1..RESERVE_ATTEMPTS {
        if result.is_ok() {
            break;
        }
        result = call();
    }
    result
}

/// Gives `[start, start + size)` back to the `PROT_NONE` reservation of the guest space,
/// except host pages at either end still holding other guest pages. Failures are ignored
/// (this runs on failure paths, as in the original), but never leave a hole.
pub(crate) fn reserve(emu: &Emulator, start: GuestAddr, size: abi_ulong) {
    let (real_start, real_end) = releasable_host_range(emu, start, start.add(size));
    if real_start != real_end {
        let _ = replace_with_reservation(emu, real_start.wide(), real_end.wide());
    }
}

/// How many times the reservation is asked for before giving up: a refusal of a
/// `PROT_NONE` `MAP_NORESERVE` mapping is a transient shortage (ENOMEM, EAGAIN, EINTR).
const RESERVE_ATTEMPTS: usize = 3;

/// Puts the `PROT_NONE` reservation over the guest range `[from, to)` (whole real host
/// pages) with `mmap(MAP_FIXED)`, asking again after a refusal.
///
/// This is the only way to fill a range the host has already vacated (after a host
/// `mremap` moved or shrank the mapping): nothing else can close such a hole, and a hole
/// must not stay, since the emulator's own allocations (`mmap(NULL)`) could land in it
/// and later be replaced by a guest mapping. The range is never unmapped instead (2.3's
/// fallback), for the same reason.
pub(crate) fn reserve_exactly(emu: &Emulator, from: u64, to: u64) -> Result<(), host::Errno> {
    if from >= to {
        return Ok(());
    }
    let at = emu.window.g2h_wide(from);
    retried(|| {
        // SAFETY: a guest range through the window: guest memory.
        unsafe {
            host::mmap(
                at,
                to - from,
                libc::PROT_NONE,
                libc::MAP_FIXED | libc::MAP_ANONYMOUS | libc::MAP_PRIVATE | libc::MAP_NORESERVE,
                -1,
                0,
            )
        }
    })
    .map(|_| ())
}

/// Releases the still mapped guest range `[from, to)` (whole real host pages) to the
/// reservation: [`reserve_exactly`], or, when the host keeps refusing a new mapping there,
/// the mapping that is there made inaccessible (`PROT_NONE`) and emptied
/// (`MADV_DONTNEED`: private pages dropped, fresh ones read as zero). Either way no hole
/// appears and nothing of the old contents stays reachable. An error means nothing
/// changed that the guest could see: the range is still mapped as before (a refused
/// `mprotect` changes nothing), and the caller reports the failure.
pub(crate) fn replace_with_reservation(
    emu: &Emulator,
    from: u64,
    to: u64,
) -> Result<(), host::Errno> {
    let err = match reserve_exactly(emu, from, to) {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    let at = emu.window.g2h_wide(from);
    // SAFETY: a guest range through the window: guest memory.
    if unsafe { host::mprotect(at, to - from, libc::PROT_NONE) }.is_err() {
        return Err(err);
    }
    // Best effort: inaccessible already; this only gives the memory back.
    // SAFETY: the same range, inaccessible now; its contents are discarded on purpose.
    let _ = unsafe { host::madvise(at, to - from, libc::MADV_DONTNEED) };
    Ok(())
}
