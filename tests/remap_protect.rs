//! Linux's results for mprotect over a range with a hole, mremap without a needed move,
//! mremap sizes inside a target page larger than the real page, edge host pages after
//! munmap and moves, and inputs whose sums wrap (docs/COMPATIBILITY.md D5/D6, D21, D33, D40,
//! D41), checked through the C ABI with the standalone emulator in a reserved window.
//!
//! The native results these follow were measured on Linux 6.18 (x86_64, 4 KiB pages):
//! `mprotect` over [mapped, mapped, mapped, hole, mapped] changes the first three pages
//! and fails ENOMEM; with the hole first it changes nothing; `mremap(a, n, n,
//! MREMAP_MAYMOVE)` and `mremap(a, n, m < n, MREMAP_MAYMOVE)` over a range with a hole
//! after its first page return `a` (the shrink unmaps only the tail); with the first page
//! unmapped they fail EFAULT.

// abi_ulong is u32 or u64 depending on the target.
#![allow(clippy::unnecessary_cast)]

use std::os::raw::c_int;

use qemu_user_mmap::config::{abi_long, abi_ulong};
use qemu_user_mmap::standalone::{self, Config};

mod common;
use common::ffi::*;
use common::{errno, map_at, real_page, temp_file, Guest, ANON, BASE, PS, RW};

const MAYMOVE: u64 = libc::MREMAP_MAYMOVE as u64;
const MAYMOVE_FIXED: u64 = (libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED) as u64;
const VALID: c_int = 0x8;

/// Five pages RW at BASE with page `hole` unmapped; the hole's neighbours are filled.
fn five_with_hole(g: &Guest, hole: abi_ulong) -> abi_ulong {
    let a = map_at(BASE, 5 * PS, RW);
    g.fill(a, 5 * PS, 0x5a);
    assert_eq!(target_munmap(a + hole * PS, PS), 0);
    a
}

fn mprotect_before_a_hole(host_page_size: u64) {
    let g = Guest::new(host_page_size);
    // Hole at page 3: pages 0..3 change, then ENOMEM; page 4 keeps its protection.
    let a = five_with_hole(&g, 3);
    assert_eq!(target_mprotect(a, 5 * PS, libc::PROT_READ), -1);
    assert_eq!(errno(), libc::ENOMEM);
    for p in 0..3 {
        assert_eq!(
            g.prot_flags(a + p * PS),
            VALID | libc::PROT_READ,
            "page {p}"
        );
    }
    assert_eq!(g.prot_flags(a + 3 * PS), 0);
    assert_eq!(g.prot_flags(a + 4 * PS), VALID | RW);
    if host_page_size <= PS as u64 {
        assert_eq!(g.host_prot(a).as_deref(), Some("r--"));
        assert_eq!(g.host_prot(a + 2 * PS).as_deref(), Some("r--"));
        assert_eq!(g.host_prot(a + 4 * PS).as_deref(), Some("rw-"));
    } else {
        // One host page holds them all: the union of r-- and rw-.
        assert_eq!(g.host_prot(a).as_deref(), Some("rw-"));
    }
    assert!(g.all(a, 3 * PS, 0x5a));

    // Hole at page 1 (the middle): only page 0 changes.
    let a = five_with_hole(&g, 1);
    assert_eq!(target_mprotect(a, 5 * PS, libc::PROT_READ), -1);
    assert_eq!(errno(), libc::ENOMEM);
    assert_eq!(g.prot_flags(a), VALID | libc::PROT_READ);
    for p in 2..5 {
        assert_eq!(g.prot_flags(a + p * PS), VALID | RW, "page {p}");
    }

    // Hole at the start: nothing changes.
    let a = five_with_hole(&g, 0);
    assert_eq!(target_mprotect(a, 5 * PS, libc::PROT_READ), -1);
    assert_eq!(errno(), libc::ENOMEM);
    for p in 1..5 {
        assert_eq!(g.prot_flags(a + p * PS), VALID | RW, "page {p}");
    }
    if host_page_size <= PS as u64 {
        assert_eq!(g.host_prot(a + PS).as_deref(), Some("rw-"));
    }
}

#[test]
fn mprotect_changes_the_mapped_part_before_a_hole() {
    mprotect_before_a_hole(0);
}

#[test]
fn mprotect_changes_the_mapped_part_before_a_hole_with_big_host_pages() {
    if PS < 65536 {
        mprotect_before_a_hole(65536);
    }
}

#[test]
fn mprotect_dropping_exec_before_a_hole_invalidates_only_that_part() {
    let g = Guest::new(0);
    let rwx = RW | libc::PROT_EXEC;
    let a = map_at(BASE, 4 * PS, rwx);
    assert_eq!(target_munmap(a + 2 * PS, PS), 0);
    assert_eq!(target_mprotect(a, 4 * PS, RW), -1);
    assert_eq!(g.prot_flags(a + PS), VALID | RW);
    assert_eq!(g.prot_flags(a + 3 * PS), VALID | rwx);
}

#[test]
fn maymove_without_growth_stays_in_place() {
    let g = Guest::new(0);
    // Same size over a hole after the first page: Linux returns the address and changes
    // nothing.
    let a = five_with_hole(&g, 2);
    assert_eq!(
        target_mremap(a, 5 * PS, 5 * PS, MAYMOVE as _, 0),
        a as abi_long
    );
    assert_eq!(g.prot_flags(a + 2 * PS), 0, "the hole stays");
    for p in [0, 1, 3, 4] {
        assert_eq!(g.prot_flags(a + p * PS), VALID | RW, "page {p}");
    }
    assert!(g.all(a, 2 * PS, 0x5a));
    assert!(g.all(a + 3 * PS, 2 * PS, 0x5a));

    // A shrink with MREMAP_MAYMOVE shrinks in place: only the tail goes.
    assert_eq!(
        target_mremap(a, 5 * PS, 4 * PS, MAYMOVE as _, 0),
        a as abi_long
    );
    assert_eq!(g.prot_flags(a + 4 * PS), 0);
    assert_eq!(g.host_prot(a + 4 * PS).as_deref(), Some("---"));
    assert_eq!(g.prot_flags(a + 3 * PS), VALID | RW);
    assert!(g.all(a + 3 * PS, PS, 0x5a));

    // The first page unmapped: EFAULT.
    let a = five_with_hole(&g, 0);
    assert_eq!(target_mremap(a, 5 * PS, 5 * PS, MAYMOVE as _, 0), -1);
    assert_eq!(errno(), libc::EFAULT);
    assert_eq!(target_mremap(a, 5 * PS, 2 * PS, MAYMOVE as _, 0), -1);
    assert_eq!(errno(), libc::EFAULT);

    // A growth with MREMAP_MAYMOVE still needs the whole old range and moves.
    let a = five_with_hole(&g, 2);
    assert_eq!(target_mremap(a, 5 * PS, 6 * PS, MAYMOVE as _, 0), -1);
    assert_eq!(errno(), libc::EFAULT);
}

#[test]
fn sizes_inside_a_big_target_page_keep_the_whole_page() {
    let real = real_page();
    if PS <= real {
        return; // only targets with pages larger than the real host page
    }
    let g = Guest::new(0);
    // A shrink by part of the last target page: Linux aligns both sizes, nothing changes.
    let a = map_at(BASE, 2 * PS, RW);
    g.fill(a, 2 * PS, 0x77);
    assert_eq!(target_mremap(a, 2 * PS, 2 * PS - real, 0, 0), a as abi_long);
    assert_eq!(g.prot_flags(a + PS), VALID | RW);
    assert_eq!(g.host_prot(a + 2 * PS - real).as_deref(), Some("rw-"));
    assert!(
        g.all(a, 2 * PS, 0x77),
        "the last target page keeps all its bytes"
    );

    // A move with an old size inside the last target page carries the whole page.
    let target = BASE + 16 * PS;
    assert_eq!(
        target_mremap(a, PS + 1, PS + 1, MAYMOVE_FIXED as _, target),
        target as abi_long
    );
    assert_eq!(g.prot_flags(target + PS), VALID | RW);
    assert_eq!(g.host_prot(target + 2 * PS - real).as_deref(), Some("rw-"));
    assert!(g.all(target, 2 * PS, 0x77), "both target pages moved whole");
    assert_eq!(g.prot_flags(a), 0);
    assert_eq!(g.host_prot(a + PS + real).as_deref(), Some("---"));

    // A shrink to a size inside the first target page drops only the second one.
    assert_eq!(
        target_mremap(target, 2 * PS, real, 0, 0),
        target as abi_long
    );
    assert_eq!(g.prot_flags(target + PS), 0);
    assert_eq!(g.host_prot(target + PS - real).as_deref(), Some("rw-"));
    assert!(g.all(target, PS, 0x77));
}

#[test]
fn sizes_inside_a_big_target_page_keep_a_file_mapping_whole() {
    use std::os::fd::AsRawFd;
    let real = real_page();
    if PS <= real {
        return;
    }
    let g = Guest::new(0);
    let f = temp_file(4 * PS as usize, 0x3c);
    let fixed = libc::MAP_PRIVATE | libc::MAP_FIXED;
    assert_eq!(
        target_mmap(BASE, 2 * PS, libc::PROT_READ, fixed, f.as_raw_fd(), 0),
        BASE as abi_long
    );
    assert_eq!(
        target_mremap(BASE, 2 * PS, 2 * PS - real, 0, 0),
        BASE as abi_long
    );
    assert!(g.all(BASE, 2 * PS, 0x3c));
    let target = BASE + 16 * PS;
    assert_eq!(
        target_mremap(
            BASE,
            2 * PS - real,
            2 * PS - real,
            MAYMOVE_FIXED as _,
            target
        ),
        target as abi_long
    );
    assert!(
        g.all(target, 2 * PS, 0x3c),
        "the second real page moved too"
    );
}

#[test]
fn munmap_narrows_an_all_prot_none_host_page() {
    let g = Guest::new(65536);
    if PS >= 65536 {
        return;
    }
    const HP: abi_ulong = 65536;
    let a = map_at(BASE, HP, RW);
    assert_eq!(target_mprotect(a, PS, libc::PROT_NONE), 0);
    assert_eq!(g.host_prot(a).as_deref(), Some("rw-"));
    assert_eq!(target_munmap(a + PS, HP - PS), 0);
    assert_eq!(g.prot_flags(a), VALID);
    assert_eq!(
        g.host_prot(a).as_deref(),
        Some("---"),
        "the host page is narrowed to its remaining page's PROT_NONE"
    );
}

#[test]
fn moved_real_pages_take_their_new_host_pages_union() {
    let g = Guest::new(65536);
    if PS >= 65536 {
        return;
    }
    const HP: abi_ulong = 65536;
    // Two host pages: the first read-only but for one rwx page, the second read-only.
    let a = map_at(BASE, 2 * HP, libc::PROT_READ);
    assert_eq!(target_mprotect(a, PS, libc::PROT_READ | libc::PROT_EXEC), 0);
    assert_eq!(g.host_prot(a + PS).as_deref(), Some("r-x"));
    // Move from the middle of the first host page: the moved range starts a host page,
    // and its first host page mixes real pages of both old host pages.
    let target = BASE + 8 * HP;
    let from = a + HP / 2;
    assert_eq!(
        target_mremap(from, HP, HP, MAYMOVE_FIXED as _, target),
        target as abi_long
    );
    for p in [target, target + HP / 2] {
        assert_eq!(g.prot_flags(p), VALID | libc::PROT_READ);
        assert_eq!(g.host_prot(p).as_deref(), Some("r--"), "at {p:#x}");
    }
    // A growth in place into the next host page: the grown page's host page gets the
    // union of its pages, not the wider protection of the mapping it extends.
    let b = map_at(BASE + 16 * HP, HP, libc::PROT_READ);
    assert_eq!(target_mprotect(b, PS, RW), 0);
    assert_eq!(
        target_mremap(b + HP - PS, PS, 2 * PS, 0, 0),
        (b + HP - PS) as abi_long
    );
    assert_eq!(g.prot_flags(b + HP), VALID | libc::PROT_READ);
    assert_eq!(g.host_prot(b + HP).as_deref(), Some("r--"));
}

/// Sums of guest values that would wrap 64 bits: refused, never a debug-build overflow.
#[test]
fn wrapping_inputs_are_refused_without_overflow() {
    let _g = Guest::new(0);
    let top = abi_ulong::MAX & !(PS - 1);
    let a = map_at(BASE, 2 * PS, RW);
    // A fixed move whose old range wraps: EINVAL or EFAULT, no panic.
    let r = target_mremap(top, 2 * PS, PS, MAYMOVE_FIXED as _, top - 4 * PS);
    assert_eq!(r, -1);
    assert!([libc::EINVAL, libc::EFAULT].contains(&errno()));
    // A fixed move to a new range that wraps.
    assert_eq!(target_mremap(a, PS, 2 * PS, MAYMOVE_FIXED as _, top), -1);
    assert_eq!(errno(), libc::EINVAL);
    // Growth in place to a size that does not fit above the mapping.
    assert_eq!(target_mremap(a, PS, top, 0, 0), -1);
    assert!([libc::ENOMEM, libc::EINVAL].contains(&errno()));
    // mprotect and munmap of ranges that wrap.
    assert_eq!(target_mprotect(top, 2 * PS, libc::PROT_READ), -libc::ENOMEM);
    assert_eq!(target_munmap(top, 2 * PS), -libc::EINVAL);
    assert_eq!(
        target_mprotect(a, abi_ulong::MAX - 2, libc::PROT_READ),
        -libc::ENOMEM
    );
    assert_eq!(standalone::page_get_flags(a as _) & !0x10, VALID | RW);
}

/// Host pages of 64 KiB without `reserved_va` (a 64-bit guest under `-p 65536`): a
/// mapping whose tail was unmapped grows back in place into that tail, as on Linux. The
/// library keeps the host page holding the freed tail mapped (no hole inside a host page
/// with guest pages), so it must lift that memory for the host to grow into. Found by
/// the real-QEMU suite (qemu-x86_64 -p 65536, a guest's mremap growth failing ENOMEM).
#[test]
fn growth_in_place_into_a_freed_part_of_a_big_host_page() {
    if real_page() >= 65536 || PS >= 65536 || abi_ulong::MAX as u64 != u64::MAX {
        eprintln!("skipped: needs a 64-bit guest and target pages smaller than 64 KiB");
        return;
    }
    let g = Guest::with(&Config {
        host_page_size: 65536,
        reserved_va: 0,
        guest_base: 0,
        mmap_min_addr: 0x10000,
    });
    let a = target_mmap(0, 4 * PS, RW, ANON, -1, 0);
    assert!(a > 0, "mmap: errno {}", errno());
    let a = a as abi_ulong;
    g.fill(a, 2 * PS, 0x5a);
    assert_eq!(target_munmap(a + 2 * PS, 2 * PS), 0);
    let r = target_mremap(a, 2 * PS, 4 * PS, 0, 0);
    assert_eq!(r, a as abi_long, "grow in place: errno {}", errno());
    // SAFETY: [a, a + 4 pages) is mapped read-write for the guest now.
    let bytes = unsafe { std::slice::from_raw_parts(g.host(a), 4 * PS as usize) };
    assert!(bytes[..2 * PS as usize].iter().all(|&b| b == 0x5a));
    assert!(bytes[2 * PS as usize..].iter().all(|&b| b == 0));
    for k in 0..4 {
        assert_eq!(
            g.prot_flags(a + k * PS) & (RW | VALID),
            RW | VALID,
            "page {k}"
        );
    }
    // A tail holding a guest page is not free: Linux refuses (ENOMEM), nothing changes.
    assert_eq!(target_munmap(a + 2 * PS, PS), 0);
    assert_eq!(target_mremap(a, 2 * PS, 4 * PS, 0, 0), -1);
    assert_eq!(errno(), libc::ENOMEM);
    assert_eq!(g.prot_flags(a + 2 * PS), 0);
    assert_eq!(g.prot_flags(a + 3 * PS) & VALID, VALID);
    assert_eq!(target_munmap(a, 4 * PS), 0);
}
