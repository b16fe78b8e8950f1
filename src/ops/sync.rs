//! `target_msync`.

use std::os::raw::c_int;

use super::{Failure, Outcome};
use crate::config::abi_ulong;
use crate::emulator::Emulator;
use crate::guest::{target_page_align, GuestAddr};
use crate::host;

/// Flushes `[start, start + len)` (from the start of its host page) with the host `msync`.
///
/// A misaligned `start` or a wrapping range is `-EINVAL`; a zero length succeeds. Takes no
/// lock, like the original.
pub fn msync(start: GuestAddr, len: abi_ulong, flags: c_int) -> Outcome<()> {
    if !start.is_target_page_aligned() {
        return Err(Failure::Negative(libc::EINVAL));
    }
    let len = target_page_align(len);
    let end = start.add(len);
    if end < start {
        return Err(Failure::Negative(libc::EINVAL));
    }
    if end == start {
        return Ok(());
    }
    let emu = Emulator::current();
    let host_start = emu.pages.start_of(start);
    host::msync(
        emu.window.g2h(host_start),
        end.distance_from(host_start) as u64,
        flags,
    )?;
    Ok(())
}
