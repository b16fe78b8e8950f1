//! `mmap_find_vma`: finding free guest address space.
//!
//! Two strategies, as in the original. With a pre-reserved guest space (`reserved_va`) the
//! page flags are the truth, and the search walks down from the hint, one host page at a
//! time. Without one, the host kernel is asked: a `PROT_NONE` probe mapping at the hint,
//! accepted when it lies inside the guest space and is target-page aligned, and otherwise
//! retried (aligned up, aligned down, from low memory) before giving up.

use crate::config::{abi_ulong, TARGET_PAGE_SIZE, TASK_UNMAPPED_BASE};
use crate::emulator::Emulator;
use crate::guest::{narrow, target_page_align_ulong, GuestAddr, HostAddr};
use crate::host;
use crate::state::{next_start, set_next_start};

/// Finds `size` bytes of free guest space, starting the search at `start` (0: at
/// `mmap_next_start`). Returns [`GuestAddr::INVALID`] when there is none, without setting
/// `errno`. The caller holds the mmap lock. Without `reserved_va` the range found is left
/// reserved on the host (`PROT_NONE`), to be replaced by the caller's `MAP_FIXED` mapping.
pub fn find_vma(emu: &Emulator, start: GuestAddr, size: abi_ulong) -> GuestAddr {
    let start = if start.raw() == 0 {
        next_start()
    } else {
        emu.pages.start_of(start)
    };
    let size = emu.pages.align_len(size);
    if emu.reserved_va() != 0 {
        return find_reserved(emu, start, size);
    }
    find_by_probing(emu, start, size)
}

/// The search inside the reserved guest space: downward from `start + size` (capped at
/// `reserved_va`), then once more from the top.
fn find_reserved(emu: &Emulator, start: GuestAddr, size: abi_ulong) -> GuestAddr {
    let reserved = emu.reserved_va();
    if size as u64 > reserved {
        return GuestAddr::INVALID;
    }
    let size = emu.pages.align_len(size);
    let step = emu.pages.size_abi();
    // `end_addr = RESERVED_VA` narrows: a 4 GiB reservation of a 32-bit guest becomes 0.
    let top = GuestAddr(narrow(reserved));
    let mut end_addr = start.add(size);
    if end_addr.wide() > reserved {
        end_addr = top;
    }
    let mut addr = end_addr.sub(step);
    let mut looped = false;
    loop {
        if addr > end_addr {
            // Went below 0: search again from the top, once.
            if looped {
                return GuestAddr::INVALID;
            }
            end_addr = top;
            addr = end_addr.sub(step);
            looped = true;
            continue;
        }
        if emu.page_flags(addr) != 0 {
            end_addr = addr;
        }
        if addr.add(size) == end_addr {
            break;
        }
        addr = addr.sub(step);
    }
    if start == next_start() {
        set_next_start(addr);
    }
    addr
}

/// The search by host probing, for a guest space that is not pre-reserved.
fn find_by_probing(emu: &Emulator, start: GuestAddr, size: abi_ulong) -> GuestAddr {
    let win = emu.window;
    let mut addr = start;
    let mut wrapped = false;
    let mut repeat = 0u32;
    let mut prev: Option<HostAddr> = None;
    loop {
        // Reserve the area to avoid a race; the caller replaces it with MAP_FIXED.
        let ptr = match host::mmap(
            win.g2h(addr),
            size as u64,
            libc::PROT_NONE,
            libc::MAP_ANONYMOUS | libc::MAP_PRIVATE | libc::MAP_NORESERVE,
            -1,
            0,
        ) {
            Ok(p) => p,
            Err(_) => return GuestAddr::INVALID,
        };
        // Count how often in a row the kernel returns the same address.
        repeat = if prev == Some(ptr) { repeat + 1 } else { 0 };

        let last_byte = HostAddr(ptr.0.wrapping_add(size as u64).wrapping_sub(1));
        if win.h2g_valid(last_byte) {
            addr = win.h2g(ptr);
            if addr.is_target_page_aligned() {
                if start == next_start() && addr.wide() >= TASK_UNMAPPED_BASE {
                    set_next_start(addr.add(size));
                }
                return addr;
            }
            // Inside the guest space but not aligned to a target page.
            addr = match repeat {
                // Assume the kernel gave the first free area: retry at the next target page.
                0 => addr.target_page_align(),
                // The kernel may allocate from the top instead: retry aligned down.
                1 => addr.target_page_start(),
                // Start over in low memory.
                2 => GuestAddr(0),
                // This unaligned block must be the last one.
                _ => GuestAddr::INVALID,
            };
        } else {
            // The area the kernel gave is outside the guest space: retry from low memory,
            // unless this is a repetition.
            addr = if repeat != 0 {
                GuestAddr::INVALID
            } else {
                GuestAddr(0)
            };
        }

        let _ = host::munmap(ptr, size as u64);

        if addr == GuestAddr::INVALID {
            return GuestAddr::INVALID;
        } else if addr.raw() == 0 {
            if wrapped {
                return GuestAddr::INVALID;
            }
            wrapped = true;
            // Do not use 0 when wrapping: ask for low memory above mmap_min_addr.
            addr = if emu.mmap_min_addr > TARGET_PAGE_SIZE as u64 {
                GuestAddr(narrow(target_page_align_ulong(emu.mmap_min_addr)))
            } else {
                GuestAddr(TARGET_PAGE_SIZE)
            };
        } else if wrapped && addr >= start {
            return GuestAddr::INVALID;
        }
        prev = Some(ptr);
    }
}
