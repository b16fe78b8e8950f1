//! `target_mmap`: creating guest mappings.
//!
//! Three situations shape the work:
//! * no `MAP_FIXED`: find free guest space first ([`find_vma`]), then map there;
//! * a target page larger than the real host page (8 KiB guests on 4 KiB hosts): a file
//!   mapping is cut at the host page after end of file, since the host would fault on the
//!   rest;
//! * a host page larger than the target page (`-p 65536`): the host pages at either end of a
//!   `MAP_FIXED` range may be shared with other guest pages ("fragments"), which are kept and
//!   filled by hand; and a file offset that is not congruent to the address modulo the host
//!   page cannot be mapped at all, so the data is read into anonymous memory instead.

use std::os::raw::c_int;

use super::find::find_vma;
use super::{flags_between, protect, Failure, Outcome};
use crate::config::{abi_ulong, PAGE_BITS, PAGE_VALID, TARGET_PAGE_OFFSET_MASK, TARGET_PAGE_SIZE};
use crate::emulator::Emulator;
use crate::guest::{narrow, target_page_align, GuestAddr, HostAddr};
use crate::host;
use crate::lock;

/// `MAP_TYPE`: the sharing-type bits of the mmap flags.
const MAP_TYPE: c_int = 0x0f;

/// An `abi_ulong` file offset converted to `off_t`, as C converts it.
fn off_t(offset: abi_ulong) -> i64 {
    offset as u64 as i64
}

fn is_shared_writable(prot: c_int, flags: c_int) -> bool {
    flags & MAP_TYPE == libc::MAP_SHARED && prot & libc::PROT_WRITE != 0
}

/// `offset + len > st_size`, with C's conversions: an `off_t` comparison for a 32-bit ABI,
/// an unsigned 64-bit one for a 64-bit ABI.
fn ends_beyond(end_offset: abi_ulong, st_size: i64) -> bool {
    #[cfg(qum_abi32)]
    {
        i64::from(end_offset) > st_size
    }
    #[cfg(not(qum_abi32))]
    {
        end_offset > st_size as u64
    }
}

/// Maps `[start, start + len)` for the guest. Returns the guest address (or, on one path of
/// the original, the value of a failed `target_mprotect`), or -1 with `errno`.
pub fn mmap(
    start: GuestAddr,
    len: abi_ulong,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: abi_ulong,
) -> Outcome<GuestAddr> {
    let _lock = lock::Guard::new();
    let emu = Emulator::current();
    let pages = emu.pages;
    let win = emu.window;
    let mut start = start;

    if offset & TARGET_PAGE_OFFSET_MASK != 0 {
        return Err(Failure::Errno(libc::EINVAL));
    }
    let mut len = target_page_align(len);
    if len == 0 {
        // The original's answer to a zero length: success, at `start`.
        return Ok(finish(&emu, start, len));
    }
    let mut real_start = pages.start_of(start);
    let host_offset = narrow(offset as u64 & pages.mask);
    let anonymous = flags & libc::MAP_ANONYMOUS != 0;
    let fixed = flags & libc::MAP_FIXED != 0;

    // Find the place before the length is cut at end of file below.
    if !fixed {
        let host_len = pages.align_len(len.wrapping_add(offset).wrapping_sub(host_offset));
        start = find_vma(&emu, real_start, host_len);
        if start == GuestAddr::INVALID {
            return Err(Failure::Errno(libc::ENOMEM));
        }
    }

    // A target page larger than the real host page: the host faults on host pages wholly
    // past end of file, so map the file only up to the host page holding its end.
    if pages.real_size < TARGET_PAGE_SIZE as u64 && !anonymous {
        let st_size = host::file_size(fd)?;
        if ends_beyond(offset.wrapping_add(len), st_size) {
            let file_len = narrow((st_size as u64).wrapping_sub(offset as u64));
            let rounded = narrow((file_len as u64).wrapping_add(pages.real_size - 1));
            len = rounded & narrow(!(pages.real_size - 1));
        }
    }

    if !fixed {
        let host_len = pages.align_len(len.wrapping_add(offset).wrapping_sub(host_offset));
        // Map anonymous memory over the whole host range first: we control the address,
        // which matters when qemu_host_page_size > qemu_real_host_page_size.
        let p = host::mmap(
            win.g2h(start),
            host_len as u64,
            prot,
            flags | libc::MAP_FIXED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )?;
        let mut host_start = p;
        if !anonymous {
            if let Err(e) = host::mmap(
                win.g2h(start),
                len as u64,
                prot,
                flags | libc::MAP_FIXED,
                fd,
                off_t(host_offset),
            ) {
                let _ = host::munmap(win.g2h(start), host_len as u64);
                return Err(e.into());
            }
            // Point at the byte of the file at `offset`.
            host_start = host_start.add(offset.wrapping_sub(host_offset) as u64);
        }
        start = win.h2g(host_start);
    } else {
        if !start.is_target_page_aligned() {
            return Err(Failure::Errno(libc::EINVAL));
        }
        let end = start.add(len);
        let mut real_end = pages.align_guest(end);

        // The range must fit the ABI (only a 32-bit guest on a 64-bit host can miss).
        if start.wide().wrapping_add(len as u64).wrapping_sub(1) > abi_ulong::MAX as u64 {
            return Err(Failure::Errno(libc::EINVAL));
        }

        // The file offset is not congruent to the address: read the data instead.
        if !anonymous && pages.offset_in(offset) != pages.offset_in(start.raw()) {
            return map_by_reading(&emu, start, len, prot, flags, fd, offset);
        }

        if start > real_start {
            if pages.is_single_page(real_start, real_end) {
                // The whole mapping lies inside one host page.
                map_fragment(&emu, real_start, start, end, prot, flags, fd, offset)?;
                emu.set_page_flags(start, start.add(len), prot | PAGE_VALID);
                return Ok(finish(&emu, start, len));
            }
            let first_end = real_start.add(pages.size_abi());
            map_fragment(&emu, real_start, start, first_end, prot, flags, fd, offset)?;
            real_start = first_end;
        }
        if end < real_end {
            let last = real_end.sub(pages.size_abi());
            let last_offset = narrow(
                (offset.wrapping_add(real_end.raw()) as u64)
                    .wrapping_sub(pages.size)
                    .wrapping_sub(start.wide()),
            );
            map_fragment(&emu, last, last, real_end, prot, flags, fd, last_offset)?;
            real_end = last;
        }

        // The whole host pages in the middle.
        if real_start < real_end {
            let middle_offset = if anonymous {
                0
            } else {
                offset
                    .wrapping_add(real_start.raw())
                    .wrapping_sub(start.raw()) as u64
            };
            host::mmap(
                win.g2h(real_start),
                real_end.distance_from(real_start) as u64,
                prot,
                flags,
                fd,
                middle_offset as i64,
            )?;
        }
    }
    emu.set_page_flags(start, start.add(len), prot | PAGE_VALID);
    Ok(finish(&emu, start, len))
}

/// The common exit: drop translated code of the range, answer `start`.
fn finish(emu: &Emulator, start: GuestAddr, len: abi_ulong) -> GuestAddr {
    emu.invalidate_translations(start, start.add(len));
    start
}

/// A fixed file mapping whose offset is not congruent to its address modulo the host page:
/// anonymous memory filled with `pread`, then given its final protection. Shared writable
/// mappings cannot work this way (msync could not write back) and are refused.
fn map_by_reading(
    emu: &Emulator,
    start: GuestAddr,
    len: abi_ulong,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: abi_ulong,
) -> Outcome<GuestAddr> {
    if is_shared_writable(prot, flags) {
        return Err(Failure::Errno(libc::EINVAL));
    }
    mmap(
        start,
        len,
        prot | libc::PROT_WRITE,
        libc::MAP_FIXED | libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
        0,
    )?;
    host::pread(fd, emu.window.g2h(start), len as u64, off_t(offset))?;
    if prot & libc::PROT_WRITE == 0 {
        let ret = super::c_status(protect::mprotect(start, len, prot));
        if ret != 0 {
            // 2.3 quirk: the status of the failed mprotect becomes the returned address.
            return Ok(finish(emu, GuestAddr(ret as abi_ulong), len));
        }
    }
    // The flags were set by the calls above; only the translations are left.
    Ok(finish(emu, start, len))
}

/// Maps the guest pages `[start, end)` that lie inside the host page at `real_start`, which
/// may hold other guest pages. Those keep their contents; the host page's protection
/// becomes the union of theirs and `prot`, and file data is read in by hand.
#[allow(clippy::too_many_arguments)]
fn map_fragment(
    emu: &Emulator,
    real_start: GuestAddr,
    start: GuestAddr,
    end: GuestAddr,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: abi_ulong,
) -> Outcome<()> {
    let pages = emu.pages;
    let real_end = real_start.add(pages.size_abi());
    let host_page: HostAddr = emu.window.g2h(real_start);

    // The protection of the guest pages of this host page outside the new mapping (the
    // original looks at every byte; one lookup per target page gives the same answer,
    // since `start` and `end` are target-page aligned).
    let mut prot1 = if real_end > real_start {
        flags_between(emu, real_start, start.min(real_end))
            | flags_between(emu, end.max(real_start), real_end)
    } else {
        0
    };

    if prot1 == 0 {
        // No other guest page here: allocate the host page.
        host::mmap(
            host_page,
            pages.size,
            prot,
            flags | libc::MAP_ANONYMOUS,
            -1,
            0,
        )?;
        prot1 = prot;
    }
    prot1 &= PAGE_BITS;
    let prot_new = prot | prot1;

    if flags & libc::MAP_ANONYMOUS == 0 {
        // A shared writable file fragment cannot be kept in sync with the file.
        if is_shared_writable(prot, flags) {
            return Err(Failure::StaleErrno);
        }
        // Make the page writable to read the data in.
        if prot1 & libc::PROT_WRITE == 0 {
            let _ = host::mprotect(host_page, pages.size, prot1 | libc::PROT_WRITE);
        }
        host::pread(
            fd,
            emu.window.g2h(start),
            end.distance_from(start) as u64,
            off_t(offset),
        )?;
        if prot_new != prot1 | libc::PROT_WRITE {
            let _ = host::mprotect(host_page, pages.size, prot_new);
        }
    } else if prot_new != prot1 {
        let _ = host::mprotect(host_page, pages.size, prot_new);
    }
    Ok(())
}
