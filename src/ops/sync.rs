//! `target_msync`.

use std::os::raw::c_int;

use super::{ensure, ensure_neg, Outcome};
use crate::config::{abi_ulong, PAGE_VALID};
use crate::emulator::Emulator;
use crate::guest::{target_page_align, target_pages_touching, GuestAddr};
use crate::lock;

/// Flushes `[start, start + len)` (from the start of its host page) with the host `msync`.
///
/// Like Linux, in the original's conventions: a misaligned `start` is `-EINVAL` and a range
/// that wraps `-ENOMEM` (literal negative errnos, like its early checks); a length that is 0
/// once page-aligned (0, or one that wraps to 0 such as `(abi_ulong)-1`) succeeds; invalid flags are -1 with `errno` EINVAL, a range that leaves the guest space
/// or holds unmapped pages -1 with `errno` ENOMEM (where the host refused them in the
/// original), as is a failing host `msync` with its own `errno`.
/// Unlike the original it takes the mmap lock, to read the page flags.
pub(crate) fn msync(start: GuestAddr, len: abi_ulong, flags: c_int) -> Outcome<()> {
    ensure_neg(start.is_target_page_aligned(), libc::EINVAL)?;
    // Bad flags: -1 with errno, as the host's refusal came in the original.
    let known = libc::MS_ASYNC | libc::MS_SYNC | libc::MS_INVALIDATE;
    let both = flags & libc::MS_ASYNC != 0 && flags & libc::MS_SYNC != 0;
    ensure(flags & !known == 0 && !both, libc::EINVAL)?;
    let len = target_page_align(len);
    if len == 0 {
        // A zero length, or one that wraps to 0 when page-aligned (`(abi_ulong)-1`): Linux
        // aligns it the same way and finds nothing to do.
        return Ok(());
    }
    let end = start.add(len);
    ensure_neg(end >= start, libc::ENOMEM)?;
    // 2.3 takes no lock here; the page flags are read under it, as everywhere else.
    let _lock = lock::Guard::new();
    let emu = Emulator::current();
    ensure(emu.window().contains(start, len as u64), libc::ENOMEM)?;
    let unmapped = target_pages_touching(start.wide(), end.wide())
        .any(|p| emu.page_flags(GuestAddr(p as abi_ulong)) & PAGE_VALID == 0);
    // As the host's own refusal came in the original: -1 with errno.
    ensure(!unmapped, libc::ENOMEM)?;
    let host_start = emu.pages().start_of(start);
    Ok(emu.msync(host_start, end.distance_from(host_start), flags)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::map::{mmap, Request};
    use crate::ops::testing::{self, BASE, PS};
    use crate::ops::{err, Failure};

    #[test]
    fn msync_needs_every_page_mapped() {
        let (_guest, _emu) = testing::guest(0);
        let anon = libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
        assert_eq!(
            mmap(BASE, 2 * PS, Request::new(libc::PROT_READ, anon, -1, 0)),
            Ok(BASE)
        );
        assert_eq!(msync(BASE, 2 * PS, libc::MS_SYNC), Ok(()));
        assert_eq!(
            msync(BASE, 3 * PS, libc::MS_SYNC),
            Err(Failure::Errno(libc::ENOMEM))
        );
        assert_eq!(
            msync(BASE, PS, libc::MS_SYNC | libc::MS_ASYNC),
            err(libc::EINVAL)
        );
        assert_eq!(
            msync(BASE.add(1), PS, 0),
            Err(Failure::Negative(libc::EINVAL))
        );
        assert_eq!(msync(BASE, 0, 0), Ok(()));
    }
}
