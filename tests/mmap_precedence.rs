//! `target_mmap` refusals: which errno wins when several checks fail (Linux's order), that a
//! refused call changes nothing on every host page size, `msync` of a length that aligns to
//! 0, the read-only shared read fallback, and inputs whose sums pass 2^64 (run in a debug
//! build, where an unchecked overflow aborts).
//!
//! The expectations were taken from the host kernel (6.18, x86_64) with the same calls.

// abi_ulong is u32 or u64 depending on the target.
#![allow(clippy::unnecessary_cast)]

use std::os::fd::AsRawFd;
use std::os::raw::c_int;

use qemu_user_mmap::config::{abi_long, abi_ulong};
use qemu_user_mmap::standalone;

mod common;
use common::ffi::*;
use common::{errno, map_at, temp_file, Guest, ANON, BASE, PS, RESERVED, RW};

const R: c_int = libc::PROT_READ;
const PRIVATE_FIXED: c_int = libc::MAP_PRIVATE | libc::MAP_FIXED;
const NOREPLACE: c_int = 0x10_0000;
const VALIDATE: c_int = 0x03;
/// The first guest address outside the reserved window.
const OUTSIDE: abi_ulong = RESERVED as abi_ulong;
const WIDE: bool = abi_ulong::BITS == 64;

fn set_errno(e: c_int) {
    // SAFETY: the calling thread's errno slot.
    unsafe { *libc::__errno_location() = e }
}

/// The errno of a call expected to fail (never a stale one).
fn fails(r: abi_long) -> c_int {
    assert_eq!(r, -1, "the call must fail");
    errno()
}

/// A descriptor of the same file with another access mode.
fn reopen(f: &std::fs::File, flags: c_int) -> std::fs::File {
    use std::os::fd::FromRawFd;
    let path = std::ffi::CString::new(format!("/proc/self/fd/{}", f.as_raw_fd())).unwrap();
    // SAFETY: a plain open of a path; the descriptor is owned by the File.
    let fd = unsafe { libc::open(path.as_ptr(), flags) };
    assert!(fd >= 0);
    // SAFETY: fd is a fresh descriptor that nothing else owns.
    unsafe { std::fs::File::from_raw_fd(fd) }
}

/// A snapshot of everything a refused call must leave as it was.
#[derive(PartialEq, Debug)]
struct State {
    flags: Vec<c_int>,
    maps: Vec<String>,
    tb: u64,
}

fn state(g: &Guest, start: abi_ulong, len: abi_ulong) -> State {
    State {
        flags: (0..len / PS).map(|i| g.flags(start + i * PS)).collect(),
        maps: g.host_maps(start, len),
        tb: standalone::call_counts().2,
    }
}

/// A fixed file map whose file range ends past the largest file position, over live
/// mappings: EOVERFLOW, and nothing changes, whether the range is whole host pages or
/// fragments of 64 KiB host pages (where the library fills pages by hand).
#[test]
fn refused_overflowing_offset_changes_nothing() {
    if !WIDE {
        return; // a 32-bit ABI's offset cannot reach the limit
    }
    let f = temp_file(65536, 7);
    let huge = !0xffff_u64 as abi_ulong; // 0xffffffffffff0000
    let past_lfs = (i64::MAX as u64 & !0xffff) as abi_ulong; // + 64 KiB passes 2^63 - 1
    for host_page in [0, 65536] {
        let g = Guest::new(host_page);
        let a = map_at(BASE, 32 * PS, RW);
        g.fill(a, 32 * PS, 0x21);
        let before = state(&g, a, 32 * PS);
        for (start, len, offset) in [
            (a, 16 * PS, huge),
            (a + PS, PS, huge),
            (a + PS, 3 * PS, huge),
            (a + 3 * PS, 16 * PS, huge),
            (a, 65536, past_lfs),
            (a + PS, 65536, past_lfs),
        ] {
            for flags in [PRIVATE_FIXED, libc::MAP_SHARED | libc::MAP_FIXED] {
                let e = fails(target_mmap(start, len, R, flags, f.as_raw_fd(), offset));
                assert_eq!(e, libc::EOVERFLOW, "{start:#x}+{len:#x} at {offset:#x}");
            }
        }
        assert_eq!(state(&g, a, 32 * PS), before, "nothing changed");
        assert!(g.all(a, 32 * PS, 0x21), "the old data is intact");
        // Not a fixed map either.
        let e = fails(target_mmap(
            0,
            PS,
            R,
            libc::MAP_PRIVATE,
            f.as_raw_fd(),
            huge,
        ));
        assert_eq!(e, libc::EOVERFLOW);
        // The last file range that fits is mapped (past end of file).
        let last = (i64::MAX as u64 + 1 - PS as u64) as abi_ulong;
        let r = target_mmap(a, PS, R, PRIVATE_FIXED, f.as_raw_fd(), last - PS);
        assert_eq!(r, a as abi_long);
    }
}

/// A file map the host refuses for its own reasons (a directory cannot be mapped): on 64 KiB
/// host pages the library would fill fragments by hand; the host is asked first, so
/// nothing changes.
#[test]
fn file_the_host_cannot_map_changes_nothing() {
    let dir = std::fs::File::open(std::env::temp_dir()).unwrap();
    for host_page in [0, 65536] {
        let g = Guest::new(host_page);
        let a = map_at(BASE, 32 * PS, RW);
        g.fill(a, 32 * PS, 0x21);
        let before = state(&g, a, 32 * PS);
        for (start, len, offset) in [(a + PS, PS, PS), (a + PS, 3 * PS, 0), (a, 16 * PS, 0)] {
            let e = fails(target_mmap(
                start,
                len,
                R,
                PRIVATE_FIXED,
                dir.as_raw_fd(),
                offset,
            ));
            assert_eq!(e, libc::ENODEV, "{start:#x}+{len:#x} at {offset:#x}");
        }
        assert_eq!(state(&g, a, 32 * PS), before, "nothing changed");
        assert!(g.all(a, 32 * PS, 0x21));
    }
}

/// One call: what it shows, start, len, prot, flags, fd, offset, the errno expected.
type Case = (
    &'static str,
    abi_ulong,
    abi_ulong,
    c_int,
    c_int,
    c_int,
    abi_ulong,
    c_int,
);

/// Several failing checks at once: Linux's errno (its order: offset alignment, descriptor,
/// length, range, start alignment, NOREPLACE, offset overflow, type, access), and the
/// emulator's own refusals (shared writable maps read by hand) only after all of them.
#[test]
fn errno_precedence_follows_linux() {
    let f = temp_file(65536, 1);
    let ro = reopen(&f, libc::O_RDONLY);
    let wo = reopen(&f, libc::O_WRONLY);
    let (fd, ro, wo) = (f.as_raw_fd(), ro.as_raw_fd(), wo.as_raw_fd());
    let huge = if WIDE { !0xffff_u64 as abi_ulong } else { 0 };
    for host_page in [0, 65536] {
        let g = Guest::new(host_page);
        let a = map_at(BASE, 32 * PS, RW);
        g.fill(a, 32 * PS, 0x21);
        let before = state(&g, a, 32 * PS);
        let fixed = libc::MAP_FIXED;
        let shared = libc::MAP_SHARED | fixed;
        #[rustfmt::skip]
        let mut cases: Vec<Case> = vec![
            // what,                         start,       len, prot, flags,                 fd,  offset, errno
            ("bad fd, misaligned offset",    0,           PS,  R,  libc::MAP_PRIVATE,        -1,  1,      libc::EINVAL),
            ("no type, bad fd",              a,           PS,  R,  fixed,                    -1,  0,      libc::EBADF),
            ("bad fd, length 0",             0,           0,   R,  libc::MAP_PRIVATE,        -1,  0,      libc::EBADF),
            ("bad fd, length wraps",         0,  abi_ulong::MAX, R, libc::MAP_PRIVATE,       -1,  0,      libc::EBADF),
            ("bad fd, outside",              OUTSIDE,     PS,  R,  PRIVATE_FIXED,            -1,  0,      libc::EBADF),
            ("bad fd, misaligned start",     a + 1,       PS,  R,  PRIVATE_FIXED,            -1,  0,      libc::EBADF),
            ("no type, anonymous, length 0", 0,           0,   R,  libc::MAP_ANONYMOUS,      -1,  0,      libc::EINVAL),
            ("no type, anonymous, wraps",    0,  abi_ulong::MAX, R, libc::MAP_ANONYMOUS,     -1,  0,      libc::ENOMEM),
            ("no type, anonymous, outside",  OUTSIDE,     PS,  R,  fixed | libc::MAP_ANONYMOUS, -1, 0,    libc::ENOMEM),
            ("no type, file, outside",       OUTSIDE,     PS,  R,  fixed,                    fd,  0,      libc::ENOMEM),
            ("misaligned start, outside",    OUTSIDE + 1, PS,  R,  fixed | ANON,             -1,  0,      libc::ENOMEM),
            ("misaligned start, no type",    a + 1,       PS,  R,  fixed | libc::MAP_ANONYMOUS, -1, 0,    libc::EINVAL),
            ("anonymous VALIDATE, outside",  OUTSIDE,     PS,  R,  VALIDATE | fixed | libc::MAP_ANONYMOUS, -1, 0, libc::ENOMEM),
            ("VALIDATE unknown, outside",    OUTSIDE,     PS,  R,  VALIDATE | fixed | 0x80_0000, fd, 0,   libc::ENOMEM),
            ("VALIDATE unknown, O_RDONLY w", a,           PS,  RW, VALIDATE | fixed | 0x80_0000, ro, 0,   libc::EOPNOTSUPP),
            ("O_WRONLY, no type",            a,           PS,  R,  fixed,                    wo,  0,      libc::EINVAL),
            ("O_WRONLY, outside",            OUTSIDE,     PS,  R,  PRIVATE_FIXED,            wo,  0,      libc::ENOMEM),
            ("O_WRONLY",                     a,           PS,  R,  PRIVATE_FIXED,            wo,  0,      libc::EACCES),
            ("O_RDONLY shared writable",     a,           PS,  RW, shared,                   ro,  0,      libc::EACCES),
            ("NOREPLACE busy, bad fd",       a,           PS,  R,  libc::MAP_PRIVATE | NOREPLACE, -1, 0,  libc::EBADF),
            ("NOREPLACE busy, no type",      a,           PS,  R,  NOREPLACE,                fd,  0,      libc::EEXIST),
            ("NOREPLACE busy, O_WRONLY",     a,           PS,  R,  libc::MAP_PRIVATE | NOREPLACE, wo, 0,  libc::EEXIST),
            ("NOREPLACE busy, anonymous no type", a,      PS,  R,  NOREPLACE | libc::MAP_ANONYMOUS, -1, 0, libc::EEXIST),
            // The emulator's own refusals come last (64 KiB: a fragment, or an offset not
            // congruent to the address, would be read by hand).
            ("shared writable part, bad fd", a + PS,      PS,  RW, shared,                   -1,  PS,     libc::EBADF),
            ("shared writable part, O_RDONLY", a + PS,    PS,  RW, shared,                   ro,  PS,     libc::EACCES),
            ("shared writable noncongruent, bad fd", a + PS, PS, RW, shared,                 -1,  0,      libc::EBADF),
            ("shared writable noncongruent, O_RDONLY", a + PS, PS, RW, shared,               ro,  0,      libc::EACCES),
        ];
        if WIDE {
            #[rustfmt::skip]
            cases.extend([
                ("bad fd, offset overflow",      a,       PS, R, PRIVATE_FIXED, -1, huge, libc::EBADF),
                ("no type, offset overflow",     a,       PS, R, fixed,         fd, huge, libc::EOVERFLOW),
                ("outside, offset overflow",     OUTSIDE, PS, R, PRIVATE_FIXED, fd, huge, libc::ENOMEM),
                ("misaligned start, overflow",   a + 1,   PS, R, PRIVATE_FIXED, fd, huge, libc::EINVAL),
                ("O_WRONLY, offset overflow",    a,       PS, R, PRIVATE_FIXED, wo, huge, libc::EOVERFLOW),
                ("O_RDONLY shared w, overflow",  a,       PS, RW, shared,       ro, huge, libc::EOVERFLOW),
                ("VALIDATE unknown, overflow",   a,       PS, R, VALIDATE | fixed | 0x80_0000, fd, huge, libc::EOVERFLOW),
                ("NOREPLACE busy, overflow",     a,       PS, R, libc::MAP_PRIVATE | NOREPLACE, fd, huge, libc::EEXIST),
                ("shared writable part, overflow", a + PS, PS, RW, shared,      fd, PS + huge - 65536, libc::EOVERFLOW),
            ]);
        }
        for (what, start, len, prot, flags, fd, offset, want) in cases {
            set_errno(0);
            let e = fails(target_mmap(start, len, prot, flags, fd, offset));
            assert_eq!(e, want, "{what} (host page {host_page})");
        }
        assert_eq!(
            state(&g, a, 32 * PS),
            before,
            "refused calls changed nothing"
        );
        assert!(g.all(a, 32 * PS, 0x21));
        // The emulator's refusal itself, once the descriptor is fine (64 KiB host pages).
        if host_page == 65536 && PS < 65536 {
            assert_eq!(
                fails(target_mmap(a + PS, PS, RW, shared, fd, PS)),
                libc::EINVAL
            );
            assert_eq!(
                fails(target_mmap(a + PS, PS, RW, shared, fd, 0)),
                libc::EINVAL
            );
            assert_eq!(state(&g, a, 32 * PS), before);
        }
    }
}

/// msync of a length that is 0 once page-aligned (`(abi_ulong)-1`): Linux aligns it the
/// same way and returns 0, mapped or not; the flags and the alignment are checked first.
#[test]
fn msync_length_that_aligns_to_zero_succeeds() {
    let _g = Guest::new(0);
    let a = map_at(BASE, PS, RW);
    assert_eq!(target_msync(a, abi_ulong::MAX, libc::MS_ASYNC), 0);
    assert_eq!(target_msync(a, abi_ulong::MAX - PS + 2, libc::MS_SYNC), 0);
    assert_eq!(
        target_msync(BASE + 64 * PS, abi_ulong::MAX, libc::MS_ASYNC),
        0
    );
    set_errno(0);
    assert_eq!(target_msync(a, abi_ulong::MAX, 0xff), -1);
    assert_eq!(errno(), libc::EINVAL);
    assert_eq!(
        target_msync(a + 1, abi_ulong::MAX, libc::MS_ASYNC),
        -libc::EINVAL
    );
    // A length that does not align to 0 but wraps the range: -ENOMEM, as before.
    assert_eq!(
        target_msync(a, abi_ulong::MAX - PS + 1, libc::MS_ASYNC),
        -libc::ENOMEM
    );
}

/// 64 KiB host pages, a shared read-only file map at an offset not congruent to the
/// address: as QEMU does, a private read-only copy of the file's data (a shared writable one
/// is refused).
#[test]
fn shared_read_only_noncongruent_map_is_a_private_copy() {
    use std::os::unix::fs::FileExt;
    let g = Guest::new(65536);
    if PS >= 65536 {
        return;
    }
    let f = temp_file(4 * PS as usize, 0x33);
    let a = map_at(BASE, 16 * PS, RW);
    g.fill(a, 16 * PS, 0xee);
    for flags in [libc::MAP_SHARED, VALIDATE] {
        let r = target_mmap(a + PS, 2 * PS, R, flags | libc::MAP_FIXED, f.as_raw_fd(), 0);
        assert_eq!(r, (a + PS) as abi_long);
        assert!(g.all(a + PS, 2 * PS, 0x33), "the file's data");
        assert_eq!(g.flags(a + PS) & 7, R);
        assert!(
            g.all(a, PS, 0xee) && g.all(a + 3 * PS, PS, 0xee),
            "neighbours kept"
        );
        // A copy: the file's later changes are not seen.
        f.write_all_at(&[0x44; 8], 0).unwrap();
        assert!(g.all(a + PS, 8, 0x33));
        f.write_all_at(&[0x33; 8], 0).unwrap();
    }
    let shared = libc::MAP_SHARED | libc::MAP_FIXED;
    assert_eq!(
        fails(target_mmap(a + 8 * PS, PS, RW, shared, f.as_raw_fd(), 0)),
        libc::EINVAL
    );
    assert!(g.all(a + 8 * PS, PS, 0xee));
}

/// Inputs whose sums pass the top of the address type: a search hint, a file offset and a
/// length near 2^64 (2^32). In a debug build an unchecked addition aborts the process.
#[test]
fn sums_near_the_top_of_the_address_type_do_not_overflow() {
    let f = temp_file(65536, 5);
    let top_hint = abi_ulong::MAX & !(PS - 1);
    for host_page in [0, 65536] {
        let _g = Guest::new(host_page);
        // A hint near the top: the reserved search caps its window at the top of the space.
        let r = target_mmap(top_hint, PS, RW, ANON, -1, 0);
        assert!(r != -1 && (r as u64) < RESERVED, "found {r:#x}");
        mmap_lock();
        let found = mmap_find_vma(top_hint, 2 * PS);
        mmap_unlock();
        assert!((found as u64) < RESERVED, "found {found:#x}");
        let r = target_mmap(top_hint, PS, R, libc::MAP_PRIVATE, f.as_raw_fd(), PS);
        assert!(r != -1 && (r as u64) < RESERVED, "found {r:#x}");
        // Offsets near the top, not fixed: ENOMEM-free paths never wrap.
        for offset in [abi_ulong::MAX & !(PS - 1), (abi_ulong::MAX & !0xffff) + PS] {
            let r = target_mmap(0, PS, R, libc::MAP_PRIVATE, f.as_raw_fd(), offset);
            if WIDE {
                assert_eq!(fails(r), libc::EOVERFLOW);
            } else {
                assert!(r != -1, "a 32-bit offset near 4 GiB is past end of file");
            }
            let r = target_mmap(BASE + PS, PS, R, PRIVATE_FIXED, f.as_raw_fd(), offset);
            if WIDE {
                assert_eq!(fails(r), libc::EOVERFLOW);
            } else {
                assert_eq!(r, (BASE + PS) as abi_long);
            }
        }
        // Lengths near the top.
        for len in [
            abi_ulong::MAX,
            abi_ulong::MAX - PS,
            abi_ulong::MAX - 2 * PS + 1,
        ] {
            assert!(target_mmap(0, len, R, libc::MAP_PRIVATE, f.as_raw_fd(), PS) == -1);
            assert!(target_mmap(BASE, len, R, PRIVATE_FIXED, f.as_raw_fd(), PS) == -1);
            assert!(target_msync(BASE, len, libc::MS_ASYNC) <= 0);
        }
    }
}
