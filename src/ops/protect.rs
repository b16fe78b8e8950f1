//! `target_mprotect`.

use std::os::raw::c_int;

use super::{flags_between, Failure, Outcome};
use crate::config::{abi_ulong, PAGE_BITS, PAGE_VALID};
use crate::emulator::Emulator;
use crate::guest::{target_page_align, GuestAddr};
use crate::host;
use crate::lock;

/// Changes the protection of the guest pages `[start, start + len)`.
///
/// A misaligned `start` or a range that wraps is `-EINVAL` (returned as the value); a
/// length that rounds to 0 succeeds without doing anything; a failing host `mprotect` is -1
/// with its `errno`. A host page shared with other guest pages gets the union of their
/// protections.
pub fn mprotect(start: GuestAddr, len: abi_ulong, prot: c_int) -> Outcome<()> {
    if !start.is_target_page_aligned() {
        return Err(Failure::Negative(libc::EINVAL));
    }
    let len = target_page_align(len);
    let mut end = start.add(len);
    if end < start {
        return Err(Failure::Negative(libc::EINVAL));
    }
    let prot = prot & PAGE_BITS;
    if len == 0 {
        return Ok(());
    }

    let _lock = lock::Guard::new();
    let emu = Emulator::current();
    let pages = emu.pages;
    let win = emu.window;
    let mut host_start = pages.start_of(start);
    let mut host_end = pages.align_guest(end);

    if start > host_start {
        // The host page containing `start` keeps the protections of the guest pages below.
        let mut prot1 = prot | flags_between(&emu, host_start, start);
        if pages.is_single_page(host_start, host_end) {
            prot1 |= flags_between(&emu, end, host_end);
            end = host_end;
        }
        host::mprotect(win.g2h(host_start), pages.size, prot1 & PAGE_BITS)?;
        host_start = host_start.add(pages.size_abi());
    }
    if end < host_end {
        // Likewise the host page containing the end.
        let prot1 = prot | flags_between(&emu, end, host_end);
        let last = win.g2h_wide(host_end.wide().wrapping_sub(pages.size));
        host::mprotect(last, pages.size, prot1 & PAGE_BITS)?;
        host_end = host_end.sub(pages.size_abi());
    }
    if host_start < host_end {
        host::mprotect(
            win.g2h(host_start),
            host_end.distance_from(host_start) as u64,
            prot,
        )?;
    }
    emu.set_page_flags(start, start.add(len), prot | PAGE_VALID);
    Ok(())
}
