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
pub(crate) fn release_host(
    emu: &Emulator,
    start: GuestAddr,
    len: abi_ulong,
) -> Result<(), host::Errno> {
    let (real_start, real_end) = releasable_host_range(emu, start, start.add(len));
    if real_start < real_end {
        let size = real_end.distance_from(real_start);
        if emu.reserved_va() != 0 {
            reserve(emu, real_start, size);
        } else {
            host::munmap(emu.window.g2h(real_start), size as u64)?;
        }
    }
    Ok(())
}

/// Gives `[start, start + size)` back to the `PROT_NONE` reservation of the guest space,
/// except host pages at either end still holding other guest pages. Failures are ignored,
/// as in the original.
pub(crate) fn reserve(emu: &Emulator, start: GuestAddr, size: abi_ulong) {
    let (real_start, real_end) = releasable_host_range(emu, start, start.add(size));
    if real_start != real_end {
        reserve_exactly(emu, real_start.wide(), real_end.wide());
    }
}

/// Puts the `PROT_NONE` reservation over the guest range `[from, to)` (whole real host
/// pages). Should the host refuse, the range is unmapped instead: a hole in the reservation
/// is better than guest memory left accessible after it was released.
pub(crate) fn reserve_exactly(emu: &Emulator, from: u64, to: u64) {
    if from >= to {
        return;
    }
    let at = emu.window.g2h_wide(from);
    let reserved = host::mmap(
        at,
        to - from,
        libc::PROT_NONE,
        libc::MAP_FIXED | libc::MAP_ANONYMOUS | libc::MAP_PRIVATE | libc::MAP_NORESERVE,
        -1,
        0,
    );
    if reserved.is_err() {
        let _ = host::munmap(at, to - from);
    }
}
