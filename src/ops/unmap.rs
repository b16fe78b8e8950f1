//! `target_munmap`, and the re-reservation of released guest space under `reserved_va`.

use super::{releasable_host_range, Failure, Outcome};
use crate::config::abi_ulong;
use crate::emulator::Emulator;
use crate::guest::{target_page_align, GuestAddr};
use crate::host;
use crate::lock;

/// Unmaps the guest pages `[start, start + len)`.
///
/// A misaligned `start` or a length that rounds to 0 is `-EINVAL` (returned as the value).
/// Host pages still holding other guest pages stay mapped. Under `reserved_va` the released
/// host pages go back to the `PROT_NONE` reservation instead of to the host, and the call
/// always succeeds.
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
    let end = start.add(len);
    let (real_start, real_end) = releasable_host_range(&emu, start, end);

    if real_start < real_end {
        let size = real_end.distance_from(real_start);
        if emu.reserved_va() != 0 {
            reserve(&emu, real_start, size);
        } else {
            host::munmap(emu.window.g2h(real_start), size as u64)?;
        }
    }
    emu.set_page_flags(start, start.add(len), 0);
    emu.invalidate_translations(start, start.add(len));
    Ok(())
}

/// Gives `[start, start + size)` back to the `PROT_NONE` reservation of the guest space,
/// except host pages at either end still holding other guest pages. Failures are ignored,
/// as in the original.
pub(crate) fn reserve(emu: &Emulator, start: GuestAddr, size: abi_ulong) {
    let (real_start, real_end) = releasable_host_range(emu, start, start.add(size));
    if real_start != real_end {
        let _ = host::mmap(
            emu.window.g2h(real_start),
            real_end.distance_from(real_start) as u64,
            libc::PROT_NONE,
            libc::MAP_FIXED | libc::MAP_ANONYMOUS | libc::MAP_PRIVATE | libc::MAP_NORESERVE,
            -1,
            0,
        );
    }
}
