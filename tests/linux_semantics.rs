//! The deliberate differences from QEMU 2.3 (docs/COMPATIBILITY.md), checked on our side through
//! the C ABI with the standalone emulator. The C suite (c-tests/api/t_fixes.c) runs the same
//! inputs against the original too, to show its behaviour.
//!
//! Every test runs in a reserved guest window (like QEMU's `-R`), so nothing the library
//! does can touch the test process's own memory.

// abi_ulong is u32 or u64 depending on the target.
#![allow(clippy::unnecessary_cast)]

use std::os::raw::c_int;

use qemu_user_mmap::config::{abi_long, abi_ulong};
use qemu_user_mmap::standalone;

mod common;
use common::ffi::*;
use common::{errno, map_at, temp_file, tempfile, Guest, ANON, BASE, FIXED, PS, RESERVED, RW};

fn map(start: abi_ulong, len: abi_ulong, prot: c_int, flags: c_int) -> abi_long {
    target_mmap(start, len, prot, flags, -1, 0)
}

#[test]
fn zero_and_overflowing_lengths_fail_like_linux() {
    let _g = Guest::new(0);
    assert_eq!(map(0, 0, RW, ANON), -1);
    assert_eq!(errno(), libc::EINVAL);
    assert_eq!(
        map(0, abi_ulong::MAX - 5, RW, ANON),
        -1,
        "a length that wraps when aligned"
    );
    assert_eq!(errno(), libc::ENOMEM);
    assert_eq!(
        map(0, (RESERVED + 0x1000) as abi_ulong, RW, ANON),
        -1,
        "longer than the guest space"
    );
    assert_eq!(errno(), libc::ENOMEM);
}

#[test]
fn fixed_ranges_are_checked_against_the_guest_space() {
    let g = Guest::new(0);
    let top = RESERVED as abi_ulong;
    assert_eq!(map(top - PS, 2 * PS, RW, FIXED), -1);
    assert_eq!(errno(), libc::ENOMEM);
    assert_eq!(map(top, PS, RW, FIXED), -1);
    assert_eq!(errno(), libc::ENOMEM);
    assert_eq!(g.flags(top - PS), 0, "nothing changed");
    assert_eq!(
        g.host_prot(top - PS).as_deref(),
        Some("---"),
        "the reservation is intact"
    );
    // The last page inside the window works.
    assert_eq!(map(top - PS, PS, RW, FIXED), (top - PS) as abi_long);
    assert_eq!(target_munmap(top - PS, PS), 0);
    assert_eq!(target_munmap(top - PS, 2 * PS), -libc::EINVAL);
    assert_eq!(target_munmap(abi_ulong::MAX & !(PS - 1), PS), -libc::EINVAL);
    // Outside the guest space: -1 with ENOMEM, the convention of the original's answer
    // where the host refused; a wrapping range is the literal -ENOMEM of its early checks.
    assert_eq!(target_mprotect(top, PS, RW), -1);
    assert_eq!(errno(), libc::ENOMEM);
    assert_eq!(target_msync(top, PS, libc::MS_SYNC), -1);
    assert_eq!(errno(), libc::ENOMEM);
    assert_eq!(
        target_mprotect(abi_ulong::MAX & !(PS - 1), 2 * PS, RW),
        -libc::ENOMEM
    );
    assert_eq!(
        target_msync(abi_ulong::MAX & !(PS - 1), 2 * PS, libc::MS_SYNC),
        -libc::ENOMEM
    );
    assert_eq!(
        target_msync(top - PS, PS, libc::MS_SYNC | libc::MS_ASYNC),
        -1,
        "bad flags"
    );
    assert_eq!(errno(), libc::EINVAL);
}

#[test]
fn mprotect_refuses_holes_and_unknown_bits() {
    let g = Guest::new(0);
    let a = map_at(BASE, 4 * PS, RW);
    assert_eq!(target_munmap(a + PS, PS), 0);
    assert_eq!(target_mprotect(a, 4 * PS, libc::PROT_READ), -1);
    assert_eq!(errno(), libc::ENOMEM);
    assert_eq!(
        g.flags(a) & 7,
        libc::PROT_READ,
        "the mapped part before the hole changes, as on Linux"
    );
    assert_eq!(
        g.host_prot(a + PS).as_deref(),
        Some("---"),
        "the hole stays reserved"
    );
    assert_eq!(
        target_mprotect(a, PS, libc::PROT_READ | 0x100),
        -libc::EINVAL
    );
    assert_eq!(
        target_mprotect(a, PS, libc::PROT_READ | libc::PROT_GROWSDOWN),
        0,
        "syscall.c may pass GROWSDOWN"
    );
    assert_eq!(g.flags(a) & 7, libc::PROT_READ);
    assert_eq!(
        target_mprotect(a, 0, 0x100),
        0,
        "a zero length succeeds first, as on Linux"
    );
}

#[test]
fn mprotect_dropping_exec_invalidates_translations() {
    let _g = Guest::new(0);
    let a = map(0, PS, libc::PROT_READ | libc::PROT_EXEC, ANON) as abi_ulong;
    let before = standalone::call_counts().2;
    assert_eq!(target_mprotect(a, PS, libc::PROT_READ | libc::PROT_EXEC), 0);
    assert_eq!(
        standalone::call_counts().2,
        before,
        "exec kept: nothing to drop"
    );
    assert_eq!(target_mprotect(a, PS, libc::PROT_READ), 0);
    assert_eq!(standalone::call_counts().2, before + 1);
}

#[test]
fn mremap_shrink_keeps_the_neighbour_and_reserves_the_tail() {
    let g = Guest::new(0);
    let a = map_at(BASE, 4 * PS, RW);
    // The neighbour right after the mapping.
    assert_eq!(map(a + 4 * PS, PS, RW, FIXED), (a + 4 * PS) as abi_long);
    g.fill(a + 4 * PS, PS, 0x5a);
    assert_eq!(target_mremap(a, 4 * PS, PS, 0, 0), a as abi_long);
    assert!(g.all(a + 4 * PS, PS, 0x5a), "the neighbour keeps its data");
    assert_eq!(g.flags(a + 4 * PS) & 7, RW);
    assert_eq!(g.flags(a + PS), 0);
    assert_eq!(
        g.host_prot(a + PS).as_deref(),
        Some("---"),
        "the freed tail is reserved again"
    );
    assert_eq!(g.host_prot(a + 3 * PS).as_deref(), Some("---"));
}

#[test]
fn mremap_grows_in_place_under_reserved_va() {
    let g = Guest::new(0);
    let a = map_at(BASE, PS, RW);
    g.fill(a, PS, 7);
    // Make sure the next pages are free.
    assert_eq!(target_munmap(a + PS, 16 * PS), 0);
    assert_eq!(target_mremap(a, PS, 16 * PS, 0, 0), a as abi_long);
    assert!(g.all(a, PS, 7));
    assert_eq!(g.flags(a + 15 * PS) & 7, RW);
    g.fill(a + 15 * PS, PS, 1);
    // Into a used page it fails, and changes nothing.
    assert_eq!(map(a + 17 * PS, PS, RW, FIXED), (a + 17 * PS) as abi_long);
    assert_eq!(target_mremap(a, 16 * PS, 18 * PS, 0, 0), -1);
    assert_eq!(errno(), libc::ENOMEM);
    assert_eq!(g.flags(a + 16 * PS), 0);
    assert_eq!(g.host_prot(a + 16 * PS).as_deref(), Some("---"));
}

#[test]
fn mremap_checks_arguments_and_ranges() {
    let g = Guest::new(0);
    let a = map_at(BASE, 2 * PS, RW);
    assert_eq!(
        target_mremap(a, 0, PS, 0, 0),
        -1,
        "old_size 0 needs MREMAP_MAYMOVE"
    );
    assert_eq!(errno(), libc::EINVAL);
    assert_eq!(target_mremap(a, PS, 0, 0, 0), -1);
    assert_eq!(errno(), libc::EINVAL);
    assert_eq!(target_mremap(a, PS, PS, 0x100, 0), -1, "unknown flag");
    assert_eq!(errno(), libc::EINVAL);
    let free = a + 64 * PS;
    assert_eq!(target_munmap(free, PS), 0);
    assert_eq!(
        target_mremap(free, PS, 2 * PS, libc::MREMAP_MAYMOVE as _, 0),
        -1,
        "old range not mapped"
    );
    assert_eq!(errno(), libc::EFAULT);
    let top = RESERVED as abi_ulong;
    let fixed = (libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED) as _;
    assert_eq!(
        target_mremap(a, PS, PS, fixed, top),
        -1,
        "new range outside the guest space"
    );
    assert_eq!(errno(), libc::EINVAL);
    assert_eq!(
        target_mremap(top - PS, 2 * PS, PS, 0, 0),
        -1,
        "old range outside the guest space"
    );
    assert_eq!(errno(), libc::EFAULT);
    assert_eq!(g.flags(a) & 7, RW, "nothing changed");
}

#[test]
fn mremap_move_keeps_per_page_protections_and_invalidates_both_ranges() {
    // With 64 KiB host pages one host mapping holds guest pages of different protection
    // (the host page gets their union): the move must keep each page's own.
    let g = Guest::new(65536);
    if PS >= 65536 {
        return;
    }
    const HP: abi_ulong = 65536;
    let a = map_at(BASE, HP, RW);
    g.fill(a, HP, 9);
    assert_eq!(target_mprotect(a + PS, PS, libc::PROT_READ), 0);
    let tb_before = standalone::call_counts().2;
    let b = target_mremap(a, HP, 2 * HP, libc::MREMAP_MAYMOVE as _, 0);
    assert!(b > 0 && b as abi_ulong != a, "moved: {b:#x}");
    let b = b as abi_ulong;
    assert_eq!(
        standalone::call_counts().2,
        tb_before + 2,
        "old and new ranges"
    );
    assert_eq!(g.flags(b) & 7, RW);
    assert_eq!(
        g.flags(b + PS) & 7,
        libc::PROT_READ,
        "2.3 gives every page the first page's"
    );
    assert_eq!(g.flags(b + 2 * PS) & 7, RW);
    assert_eq!(
        g.flags(b + HP) & 7,
        RW,
        "the grown tail takes the last page's protection"
    );
    assert!(g.all(b, HP, 9));
    assert_eq!(g.flags(a), 0);
    assert_eq!(
        g.host_prot(a).as_deref(),
        Some("---"),
        "the old range is reserved again"
    );
}

#[test]
fn failed_move_keeps_the_old_mapping() {
    let g = Guest::new(0);
    let a = map_at(BASE, 2 * PS, RW);
    g.fill(a, 2 * PS, 3);
    // Two host mappings of different protection: the host refuses to move them as one.
    assert_eq!(target_mprotect(a + PS, PS, libc::PROT_READ), 0);
    let hint = qemu_user_mmap::state::next_start();
    let r = target_mremap(a, 2 * PS, 4 * PS, libc::MREMAP_MAYMOVE as _, 0);
    assert_eq!(r, -1);
    assert_eq!(errno(), libc::EFAULT);
    assert_eq!(
        qemu_user_mmap::state::next_start(),
        hint,
        "the search hint is restored"
    );
    assert!(g.all(a, 2 * PS, 3), "the data is still there");
    assert_eq!(g.flags(a) & 7, RW);
    assert_eq!(g.flags(a + PS) & 7, libc::PROT_READ);
}

#[test]
fn fixed_noreplace_refuses_occupied_ranges() {
    let g = Guest::new(0);
    let noreplace = ANON | 0x10_0000;
    let a = map_at(BASE, 2 * PS, RW);
    g.fill(a, 2 * PS, 4);
    assert_eq!(map(a + PS, 2 * PS, RW, noreplace), -1);
    assert_eq!(errno(), libc::EEXIST);
    assert!(g.all(a, 2 * PS, 4));
    let free = a + 32 * PS;
    assert_eq!(target_munmap(free, 2 * PS), 0);
    assert_eq!(
        map(free, 2 * PS, RW, noreplace),
        free as abi_long,
        "exactly its address"
    );
}

#[test]
fn address_search_stays_above_mmap_min_addr() {
    let _g = Guest::new(0);
    // Fill the whole window with 1 MiB mappings: every result is above mmap_min_addr.
    let mut count = 0;
    loop {
        let r = map(0, 1 << 20, libc::PROT_NONE, ANON);
        if r == -1 {
            assert_eq!(errno(), libc::ENOMEM);
            break;
        }
        assert!(r as u64 >= 0x10000, "{r:#x} is below mmap_min_addr");
        count += 1;
        assert!(count <= 256, "more mappings than fit");
    }
    assert!(count >= 250);
}

#[test]
fn anonymous_fragments_read_as_zero() {
    let g = Guest::new(65536);
    if PS >= 65536 {
        return;
    }
    let a = map(0, 65536, RW, ANON) as abi_ulong;
    g.fill(a, 65536, 0xaa);
    assert_eq!(target_munmap(a + PS, PS), 0);
    assert_eq!(map(a + PS, PS, RW, FIXED), (a + PS) as abi_long);
    assert!(g.all(a + PS, PS, 0), "fresh anonymous memory is zero");
    assert!(g.all(a, PS, 0xaa), "the neighbours keep their data");
    // Read-only too.
    assert_eq!(
        map(a + 2 * PS, PS, libc::PROT_READ, FIXED),
        (a + 2 * PS) as abi_long
    );
    assert!(g.all(a + 2 * PS, PS, 0));
}

#[test]
fn read_fallback_reads_everything_and_refuses_shared_writable() {
    use std::os::fd::AsRawFd;
    let g = Guest::new(65536);
    if PS >= 65536 {
        return;
    }
    // A file shorter than the mapping, at an offset not congruent to the address.
    let f = temp_file(PS as usize + 100, 0x33);
    let a = map(0, 65536, RW, ANON) as abi_ulong;
    g.fill(a, 65536, 0xee);
    let r = target_mmap(
        a + PS,
        2 * PS,
        libc::PROT_READ,
        libc::MAP_PRIVATE | libc::MAP_FIXED,
        f.as_raw_fd(),
        0,
    );
    assert_eq!(r, (a + PS) as abi_long);
    assert!(g.all(a + PS, PS + 100, 0x33));
    assert!(
        g.all(a + 2 * PS + 100, PS - 100, 0),
        "zero past end of file"
    );
    // A shared writable mapping cannot be kept in sync with the file: refused. A shared
    // read-only one becomes a private copy, as in QEMU (tests/mmap_precedence.rs).
    let shared = libc::MAP_SHARED | libc::MAP_FIXED;
    assert_eq!(
        target_mmap(a + 4 * PS, PS, RW, shared, f.as_raw_fd(), 0),
        -1
    );
    assert_eq!(errno(), libc::EINVAL);
    assert!(g.all(a + 4 * PS, PS, 0xee), "nothing changed");
}

#[test]
fn shared_writable_fragment_sets_errno() {
    use std::os::fd::AsRawFd;
    let _g = Guest::new(65536);
    if PS >= 65536 {
        return;
    }
    let f = temp_file(65536, 1);
    let a = map(0, 65536, RW, ANON) as abi_ulong;
    // Offset congruent to the address, but only part of the host page: a fragment.
    let shared = libc::MAP_SHARED | libc::MAP_FIXED;
    // SAFETY: setting errno to a marker value.
    unsafe { *libc::__errno_location() = 0 };
    assert_eq!(
        target_mmap(a + PS, PS, RW, shared, f.as_raw_fd(), PS as abi_ulong),
        -1
    );
    assert_eq!(errno(), libc::EINVAL, "never a stale errno");
}

#[test]
fn big_target_pages_show_the_whole_page_holding_end_of_file() {
    use std::os::fd::AsRawFd;
    let g = Guest::new(0);
    // SAFETY: sysconf has no preconditions.
    let real = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as abi_ulong;
    if PS <= real {
        return;
    }
    let f = temp_file(100, 0x44);
    let a = target_mmap(
        BASE,
        3 * PS,
        libc::PROT_READ,
        libc::MAP_PRIVATE | libc::MAP_FIXED,
        f.as_raw_fd(),
        0,
    );
    assert_eq!(a, BASE as abi_long);
    assert!(g.all(BASE, 100, 0x44));
    assert!(
        g.all(BASE + 100, PS - 100, 0),
        "the rest of the target page reads as zero"
    );
    for p in 0..3 {
        assert_eq!(
            g.flags(BASE + p * PS) & 7,
            libc::PROT_READ,
            "the whole length is mapped"
        );
    }
    // Mapping at or past end of file is no longer a negative length.
    let b = target_mmap(
        0,
        2 * PS,
        libc::PROT_READ,
        libc::MAP_PRIVATE,
        f.as_raw_fd(),
        PS,
    );
    assert!(b > 0, "{b}");
    assert_eq!(g.flags(b as abi_ulong + PS) & 7, libc::PROT_READ);
}

#[test]
fn non_fixed_file_maps_at_unaligned_offsets_see_the_whole_range() {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let g = Guest::new(65536);
    if PS >= 65536 {
        return;
    }
    let mut f = tempfile();
    let data: Vec<u8> = (0..0x40000u64).map(|i| (i / PS as u64) as u8 + 1).collect();
    f.write_all(&data).unwrap();
    // The offset is a target page but not a host page: the guest sees offset..offset+len.
    let len = 0x20000 as abi_ulong;
    let r = target_mmap(
        0,
        len,
        libc::PROT_READ,
        libc::MAP_PRIVATE,
        f.as_raw_fd(),
        PS,
    );
    assert!(r > 0);
    let r = r as abi_ulong;
    // SAFETY: [r, r + len) was just mapped readable.
    let seen = unsafe { std::slice::from_raw_parts(g.host(r), len as usize) };
    let want = &data[PS as usize..(PS + len) as usize];
    let wrong = seen.iter().zip(want).position(|(a, b)| a != b);
    assert_eq!(wrong, None, "2.3 shows zeros in the last {PS} bytes");
}

#[test]
fn end_fragment_keeps_live_pages_after_the_mapping() {
    let g = Guest::new(65536);
    if PS >= 65536 {
        return;
    }
    const HP: abi_ulong = 65536;
    let a = map_at(BASE, 2 * HP, RW);
    g.fill(a, 2 * HP, 0x77);
    // Map over [a + PS, a + HP + PS): the second host page holds live pages after the end.
    assert_eq!(
        target_mmap(a + PS, HP, RW, FIXED, -1, 0),
        (a + PS) as abi_long
    );
    assert!(g.all(a + PS, HP, 0), "the new pages read as zero");
    assert!(
        g.all(a + HP + PS, HP - PS, 0x77),
        "2.3 replaced the live pages after the end"
    );
    assert!(g.all(a, PS, 0x77));
}

#[test]
fn page_flags_hold_only_protection_bits() {
    let g = Guest::new(0);
    let a = map(0, PS, libc::PROT_READ | 0x40, ANON);
    assert!(a > 0);
    assert_eq!(
        g.flags(a as abi_ulong),
        libc::PROT_READ | 0x8,
        "PAGE_READ | PAGE_VALID only"
    );
}

#[test]
fn refused_fixed_file_map_leaves_the_old_mapping() {
    for host_page in [0, 65536] {
        let g = Guest::new(host_page);
        let a = map_at(BASE, 4 * PS, RW);
        g.fill(a, 4 * PS, 0x21);
        let tb = standalone::call_counts().2;
        // A bad descriptor, whether the range is whole host pages or fragments.
        for (start, len) in [(a, 4 * PS), (a + PS, PS)] {
            let r = target_mmap(
                start,
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                1000,
                0,
            );
            assert_eq!(r, -1);
            assert_eq!(errno(), libc::EBADF);
        }
        assert!(g.all(a, 4 * PS, 0x21), "the old data is intact");
        assert_eq!(g.flags(a + PS) & 7, RW);
        assert_eq!(standalone::call_counts().2, tb, "nothing to invalidate");
    }
}

#[test]
fn moving_pages_of_different_protections_keeps_each() {
    // Linux 6.17 moves several host mappings in one same-size mremap; older kernels refuse
    // (EFAULT). Either way the guest's view must follow what the host did. (A fixed move:
    // MREMAP_MAYMOVE alone without growth stays in place.)
    let g = Guest::new(0);
    let a = map_at(BASE, 2 * PS, RW);
    g.fill(a, 2 * PS, 5);
    assert_eq!(target_mprotect(a + PS, PS, libc::PROT_READ), 0);
    let fixed = (libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED) as _;
    let r = target_mremap(a, 2 * PS, 2 * PS, fixed, BASE + 16 * PS);
    if r == -1 {
        assert_eq!(errno(), libc::EFAULT);
        assert_eq!(g.flags(a + PS) & 7, libc::PROT_READ);
        assert!(g.all(a, 2 * PS, 5));
    } else {
        let b = r as abi_ulong;
        assert_eq!(g.flags(b) & 7, RW);
        assert_eq!(g.flags(b + PS) & 7, libc::PROT_READ);
        assert_eq!(g.host_prot(b + PS).as_deref(), Some("r--"));
        assert_eq!(g.flags(a), 0);
    }
}

#[test]
fn moving_the_last_guest_page_of_a_host_page_releases_it() {
    let g = Guest::new(65536);
    if PS >= 65536 {
        return;
    }
    const HP: abi_ulong = 65536;
    let host_page = BASE;
    let page = map_at(host_page + PS, PS, RW);
    let target = BASE + 4 * HP;
    let fixed = (libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED) as _;
    assert_eq!(
        target_mremap(page, PS, PS, fixed, target),
        target as abi_long
    );
    for p in [host_page, host_page + PS, host_page + 2 * PS] {
        assert_eq!(g.flags(p), 0);
        assert_eq!(
            g.host_prot(p).as_deref(),
            Some("---"),
            "no guest page left: back to the reservation"
        );
    }
}

#[test]
fn anonymous_fragment_never_writes_into_a_shared_file() {
    use std::os::fd::AsRawFd;
    let g = Guest::new(65536);
    if PS >= 65536 {
        return;
    }
    const HP: abi_ulong = 65536;
    let f = temp_file(HP as usize, 0x66);
    let shared = libc::MAP_SHARED | libc::MAP_FIXED;
    assert_eq!(
        target_mmap(BASE, HP, RW, shared, f.as_raw_fd(), 0),
        BASE as abi_long
    );
    assert_eq!(map(BASE + PS, PS, RW, FIXED), (BASE + PS) as abi_long);
    assert!(g.all(BASE + PS, PS, 0), "the anonymous page reads as zero");
    let mut byte = [0u8; 1];
    use std::os::unix::fs::FileExt;
    f.read_exact_at(&mut byte, PS as u64).unwrap();
    assert_eq!(byte[0], 0x66, "the file is not written");
    g.fill(BASE + 2 * PS, 1, 0x67);
    f.read_exact_at(&mut byte, 2 * PS as u64).unwrap();
    assert_eq!(byte[0], 0x67, "the neighbours still share the file");
}

#[test]
fn fragment_over_a_hole_left_by_a_shrink() {
    let g = Guest::new(65536);
    if PS >= 65536 {
        return;
    }
    let a = map_at(BASE, 32 * PS, RW);
    assert_eq!(target_mremap(a, 12 * PS, 11 * PS, 0, 0), a as abi_long);
    // 2.3 (and an earlier version of this library) wrote into the released real page.
    assert_eq!(map(a + 11 * PS, PS, RW, FIXED), (a + 11 * PS) as abi_long);
    assert!(g.all(a + 11 * PS, PS, 0));
}

#[test]
fn map_types_are_checked_like_linux() {
    use std::os::fd::AsRawFd;
    for host_page in [0, 65536] {
        let _g = Guest::new(host_page);
        let f = temp_file(65536, 1);
        for bad in [0, 0xf] {
            assert_eq!(
                target_mmap(
                    BASE + PS,
                    PS,
                    RW,
                    (ANON & !3) | bad | libc::MAP_FIXED,
                    -1,
                    0
                ),
                -1
            );
            assert_eq!(errno(), libc::EINVAL);
        }
        let validate = 0x03 | libc::MAP_FIXED;
        assert_eq!(
            target_mmap(
                BASE + PS,
                PS,
                libc::PROT_READ,
                validate | 0x80_0000,
                f.as_raw_fd(),
                PS
            ),
            -1
        );
        assert_eq!(errno(), libc::EOPNOTSUPP);
        assert_eq!(
            target_mmap(BASE + PS, PS, libc::PROT_READ, validate, f.as_raw_fd(), PS),
            (BASE + PS) as abi_long
        );
    }
}

#[test]
fn mremap_sizes_that_wrap_are_einval() {
    let _g = Guest::new(0);
    let a = map_at(BASE, PS, RW);
    for size in [abi_ulong::MAX - 5, abi_ulong::MAX] {
        assert_eq!(target_mremap(a, PS, size, libc::MREMAP_MAYMOVE as _, 0), -1);
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(target_mremap(a, size, PS, libc::MREMAP_MAYMOVE as _, 0), -1);
        assert_eq!(errno(), libc::EINVAL);
    }
    qemu_user_mmap::ffi::mmap_lock();
    assert_eq!(
        mmap_find_vma(0, abi_ulong::MAX - 5),
        abi_ulong::MAX,
        "no room for a size that wraps"
    );
    qemu_user_mmap::ffi::mmap_unlock();
}
