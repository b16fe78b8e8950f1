//! `target_mprotect`.

use std::os::raw::c_int;

use super::{ensure, ensure_neg, host_edges, Outcome};
use crate::config::{abi_ulong, PAGE_BITS, PAGE_EXEC, PAGE_VALID, TARGET_PAGE_SIZE};
use crate::emulator::Emulator;
use crate::guest::{target_page_align, GuestAddr};
use crate::lock;

/// The protection bits Linux's `mprotect` accepts: R/W/X, `PROT_SEM`, and the stack-growth
/// bits (QEMU's syscall.c passes `PROT_GROWSDOWN` through when it is not its own stack).
pub(crate) const VALID_PROT: c_int = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC | 0x8 /* PROT_SEM */ | libc::PROT_GROWSDOWN | libc::PROT_GROWSUP;

/// Changes the protection of the guest pages `[start, start + len)`.
///
/// Validation follows Linux and answers with a literal negative errno, as the original's
/// early checks do: a misaligned `start` is `-EINVAL`; a zero length succeeds; a range that
/// wraps is `-ENOMEM`; unknown protection bits are `-EINVAL`. A range that leaves the guest
/// space or holds unmapped pages is -1 with `errno` ENOMEM (what the host answered in the
/// original, where it answered), as is a failing host `mprotect` with its own `errno`. A host page shared
/// with other guest pages gets the union of their protections. Translated code is dropped
/// when execute permission goes away.
pub(crate) fn mprotect(start: GuestAddr, len: abi_ulong, prot: c_int) -> Outcome<()> {
    ensure_neg(start.is_target_page_aligned(), libc::EINVAL)?;
    if len == 0 {
        return Ok(());
    }
    let len = target_page_align(len);
    let full_end = start.add(len);
    ensure_neg(len != 0 && full_end >= start, libc::ENOMEM)?;
    ensure_neg(prot & !VALID_PROT == 0, libc::EINVAL)?;
    let prot = prot & PAGE_BITS;

    let _lock = lock::Guard::new();
    let emu = Emulator::current();
    // -1 with errno, as the host's refusal of unmapped memory came in the original.
    ensure(emu.window().contains(start, len as u64), libc::ENOMEM)?;
    // Linux walks the mappings from `start` and changes each one until it meets a hole:
    // the pages before the first unmapped page take the new protection, then the call
    // fails with ENOMEM (-1 with errno, as the host's own refusal came in the original).
    // A hole at `start` changes nothing.
    let (mapped, seen) = mapped_prefix(&emu, start, len);
    let end = start.add(mapped);
    let lost_exec = seen & PAGE_EXEC != 0 && prot & PAGE_EXEC == 0;
    if end != start {
        protect_mapped(&emu, start, end, prot, lost_exec)?;
    }
    ensure(end == full_end, libc::ENOMEM)
}

/// The length of the mapped start of `[start, start + len)` (`len` whole target pages inside
/// the guest space), up to the first page without `PAGE_VALID`, and the union of those
/// pages' flags: one page flags lookup per page.
// Always inlined: fewer instructions per call on the benches (callgrind).
#[inline(always)]
fn mapped_prefix(emu: &Emulator, start: GuestAddr, len: abi_ulong) -> (abi_ulong, c_int) {
    let (mut seen, mut mapped) = (0, 0);
    while mapped < len {
        let flags = emu.page_flags(start.add(mapped));
        if flags & PAGE_VALID == 0 {
            break;
        }
        seen |= flags;
        mapped += TARGET_PAGE_SIZE;
    }
    (mapped, seen)
}

/// Gives the mapped guest pages `[start, end)` the protection `prot`: the host pages (one
/// shared with other guest pages gets the union of their protections), the page flags, and
/// the translated code when execute permission goes away.
pub(crate) fn protect_mapped(
    emu: &Emulator,
    start: GuestAddr,
    end: GuestAddr,
    prot: c_int,
    lost_exec: bool,
) -> Outcome<()> {
    let (mut host_start, mut host_end, head, tail) = host_edges(emu, start, end);
    let (size, size_abi) = (emu.pages().size, emu.pages().size_abi());
    if let Some(others) = head {
        // The host page containing `start` keeps the protections of the guest pages below.
        emu.mprotect(host_start, size, (prot | others) & PAGE_BITS)?;
        host_start = host_start.add(size_abi);
    }
    if let Some(others) = tail {
        // Likewise the host page containing the end.
        host_end = host_end.sub(size_abi);
        emu.mprotect(host_end, size, (prot | others) & PAGE_BITS)?;
    }
    if host_start < host_end {
        emu.mprotect(host_start, host_end.distance_from(host_start), prot)?;
    }
    emu.set_page_flags(start, end, prot | PAGE_VALID);
    if lost_exec {
        emu.invalidate_translations(start, end);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::map::{mmap, Request};
    use crate::ops::testing::{self, BASE, PS};
    use crate::ops::Failure;

    #[test]
    fn mprotect_changes_the_pages_before_a_hole_then_fails() {
        let (_guest, emu) = testing::guest(0);
        let anon = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        assert_eq!(mmap(BASE, 2 * PS, Request::new(rw, anon, -1, 0)), Ok(BASE));
        let r = mprotect(BASE, 3 * PS, libc::PROT_READ);
        assert_eq!(r, Err(Failure::Errno(libc::ENOMEM)));
        assert_eq!(emu.page_flags(BASE), PAGE_VALID | libc::PROT_READ);
        assert_eq!(emu.page_flags(BASE.add(PS)), PAGE_VALID | libc::PROT_READ);
        assert_eq!(emu.page_flags(BASE.add(2 * PS)), 0);
        assert_eq!(testing::host_prot(&emu, BASE.add(PS)), "r--");
        // A hole at the start changes nothing.
        let r = mprotect(BASE.add(2 * PS), PS, rw);
        assert_eq!(r, Err(Failure::Errno(libc::ENOMEM)));
        assert_eq!(testing::host_prot(&emu, BASE.add(2 * PS)), "---");
        // Unknown bits and a misaligned start are literal negative errnos.
        assert_eq!(
            mprotect(BASE, PS, 0x100),
            Err(Failure::Negative(libc::EINVAL))
        );
        assert_eq!(
            mprotect(BASE.add(1), PS, 0),
            Err(Failure::Negative(libc::EINVAL))
        );
        assert_eq!(mprotect(BASE, PS, rw), Ok(()));
        assert_eq!(testing::host_prot(&emu, BASE), "rw-");
    }

    #[test]
    fn a_shared_host_page_keeps_the_union_of_its_guest_pages() {
        let (_guest, emu) = testing::guest(65536);
        let anon = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        assert_eq!(mmap(BASE, 2 * PS, Request::new(rw, anon, -1, 0)), Ok(BASE));
        assert_eq!(mprotect(BASE.add(PS), PS, libc::PROT_NONE), Ok(()));
        assert_eq!(emu.page_flags(BASE.add(PS)), PAGE_VALID);
        assert_eq!(testing::host_prot(&emu, BASE.add(PS)), "rw-");
        assert_eq!(mprotect(BASE, PS, libc::PROT_READ), Ok(()));
        assert_eq!(testing::host_prot(&emu, BASE), "r--");
    }
}
