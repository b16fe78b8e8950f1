//! `target_mremap`: resizing and moving guest mappings.

use std::os::raw::{c_int, c_ulong};

use super::find::find_vma;
use super::unmap::reserve;
use super::{Failure, Outcome};
use crate::config::{abi_ulong, PAGE_VALID};
use crate::emulator::Emulator;
use crate::guest::{target_pages_touching, GuestAddr, HostAddr};
use crate::host::{self, Errno};
use crate::lock;

const MREMAP_MAYMOVE: c_ulong = libc::MREMAP_MAYMOVE as c_ulong;
const MREMAP_FIXED: c_ulong = libc::MREMAP_FIXED as c_ulong;

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
    let _lock = lock::Guard::new();
    let emu = Emulator::current();
    let win = emu.window;
    let reserved = emu.reserved_va() != 0;

    let moved: Result<HostAddr, Errno> = if flags & MREMAP_FIXED != 0 {
        let r = host::mremap_to(
            win.g2h(old_addr),
            old_size as u64,
            new_size as u64,
            flags,
            win.g2h(new_addr),
        );
        if reserved && r.is_ok() {
            // Overlapping old and new ranges would have made the host call fail.
            reserve(&emu, old_addr, old_size);
        }
        r
    } else if flags & MREMAP_MAYMOVE != 0 {
        let target = find_vma(&emu, GuestAddr(0), new_size);
        if target == GuestAddr::INVALID {
            Err(Errno(libc::ENOMEM))
        } else {
            let r = host::mremap_to(
                win.g2h(old_addr),
                old_size as u64,
                new_size as u64,
                flags | MREMAP_FIXED,
                win.g2h(target),
            );
            if reserved {
                // 2.3 quirk: the old range is re-reserved even when the move failed.
                reserve(&emu, old_addr, old_size);
            }
            r
        }
    } else {
        resize_in_place(&emu, old_addr, old_size, new_size, flags)
    };

    match moved {
        Err(e) => {
            // The original still "invalidates" from (abi_ulong)-1, which is a no-op.
            emu.invalidate_translations(GuestAddr::INVALID, GuestAddr::INVALID.add(new_size));
            Err(Failure::Errno(e.0))
        }
        Ok(host_addr) => {
            let new_addr = win.h2g(host_addr);
            let prot = emu.page_flags(old_addr);
            emu.set_page_flags(old_addr, old_addr.add(old_size), 0);
            emu.set_page_flags(new_addr, new_addr.add(new_size), prot | PAGE_VALID);
            emu.invalidate_translations(new_addr, new_addr.add(new_size));
            Ok(new_addr)
        }
    }
}

/// Growing or shrinking without moving.
fn resize_in_place(
    emu: &Emulator,
    old_addr: GuestAddr,
    old_size: abi_ulong,
    new_size: abi_ulong,
    flags: c_ulong,
) -> Result<HostAddr, Errno> {
    let win = emu.window;
    let reserved = emu.reserved_va() != 0;
    let mut prot: c_int = 0;
    if reserved && old_size < new_size {
        // Under reserved_va the host cannot tell whether the tail is free: ask the page
        // flags. (The original asks for every byte; every page gives the same answer.)
        let from = old_addr.add(old_size);
        let to = old_addr.add(new_size);
        if from < to {
            prot = target_pages_touching(from.wide(), to.wide())
                .fold(0, |acc, p| acc | emu.page_flags(GuestAddr(p as abi_ulong)));
        }
    }
    let mut r = if prot == 0 {
        let r = host::mremap(
            win.g2h(old_addr),
            old_size as u64,
            new_size as u64,
            flags as c_int,
        );
        if r.is_ok() && reserved && old_size > new_size {
            // 2.3 quirk: the start is the old end and the length is negative (it wraps).
            reserve(emu, old_addr.add(old_size), new_size.wrapping_sub(old_size));
        }
        r
    } else {
        Err(Errno(libc::ENOMEM))
    };
    // The result must fit the ABI. 2.3 tests the *host* address here, and also when the
    // call failed (MAP_FAILED + new_size wraps and passes).
    let host_value = match r {
        Ok(h) => h.0,
        Err(_) => libc::MAP_FAILED as usize as u64,
    };
    if host_value.wrapping_add(new_size as u64) > abi_ulong::MAX as u64 {
        // Revert the resize.
        let _ = host::mremap(
            win.g2h(old_addr),
            new_size as u64,
            old_size as u64,
            flags as c_int,
        );
        r = Err(Errno(libc::ENOMEM));
    }
    r
}
