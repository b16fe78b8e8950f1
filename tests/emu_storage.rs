//! The library never destroys the emulator's memory: QEMU 2.3's `page_set_flags` allocates
//! with `mmap(NULL, ..)`, so at every callback the reserved guest window must have no hole
//! (an allocation landing there would be destroyed by a later re-reservation: the crash of
//! `target_mremap` under `reserved_va` fixed in a29dcf6). The standalone emulator allocates
//! like QEMU and checks the invariant at every callback (`standalone::storage`), aborting
//! the test on a violation; these tests run mremap moves, shrinks and fixed moves under
//! `reserved_va`, with the real host page size and with 64 KiB host pages.

#![allow(clippy::unnecessary_cast)]

mod common;
use common::ffi::*;

use std::os::raw::c_int;
use std::sync::Mutex;

use qemu_user_mmap::config::{abi_long, abi_ulong, TARGET_PAGE_SIZE};
use qemu_user_mmap::standalone::{self, page_get_flags, storage, Config};

static SERIAL: Mutex<()> = Mutex::new(());

const RW: c_int = libc::PROT_READ | libc::PROT_WRITE;
const ANON: c_int = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
const FIXED: c_int = ANON | libc::MAP_FIXED;
const MAYMOVE: u64 = libc::MREMAP_MAYMOVE as u64;
const MFIXED: u64 = libc::MREMAP_FIXED as u64;

fn flags(a: abi_ulong) -> c_int {
    page_get_flags(a as _) & 0xf
}

/// A free guest range of `len` bytes, host-page aligned.
fn fresh(len: abi_ulong, hps: abi_ulong) -> abi_ulong {
    let r = target_mmap(0, len + hps, libc::PROT_NONE, ANON, -1, 0);
    assert_ne!(r, -1);
    assert_eq!(target_munmap(r as abi_ulong, len + hps), 0);
    (r as abi_ulong).div_ceil(hps) * hps
}

fn moves(host_page_size: u64) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    storage::set_checks(true);
    standalone::init(&Config {
        host_page_size,
        reserved_va: 1 << 30,
        guest_base: 0,
        mmap_min_addr: 0x10000,
    })
    .expect("init");
    let before = storage::check_count();
    let tps = TARGET_PAGE_SIZE as abi_ulong;
    let hps = (host_page_size as abi_ulong).max(tps).max(4096);
    let valid_rw = (libc::PROT_READ | libc::PROT_WRITE | 8) as c_int;

    // growth that must move: a neighbour blocks growth in place
    let a = fresh(16 * hps, hps);
    assert_eq!(target_mmap(a, 4 * hps, RW, FIXED, -1, 0), a as abi_long);
    assert_eq!(
        target_mmap(a + 4 * hps, hps, libc::PROT_READ, FIXED, -1, 0),
        (a + 4 * hps) as abi_long
    );
    let b = target_mremap(a, 4 * hps, 8 * hps, MAYMOVE as _, 0);
    assert!(b != -1 && b != a as abi_long);
    let b = b as abi_ulong;
    assert_eq!(flags(b + 7 * hps), valid_rw);
    assert_eq!(flags(a), 0);

    // shrink in place
    assert_eq!(target_mremap(b, 8 * hps, 3 * hps, 0, 0), b as abi_long);
    assert_eq!(flags(b + 3 * hps), 0);

    // fixed move
    let dst = fresh(4 * hps, hps);
    assert_eq!(
        target_mremap(b, 3 * hps, 3 * hps, (MAYMOVE | MFIXED) as _, dst),
        dst as abi_long
    );
    assert_eq!(flags(b), 0);
    assert_eq!(flags(dst + 2 * hps), valid_rw);

    // a range larger than a QEMU page-table leaf (1024 target pages) moves
    let leaf = tps << 10;
    let big = fresh(leaf + 4 * hps, hps);
    assert_eq!(
        target_mmap(big, leaf + 2 * hps, RW, FIXED, -1, 0),
        big as abi_long
    );
    assert_eq!(
        target_mmap(big + leaf + 2 * hps, hps, libc::PROT_READ, FIXED, -1, 0),
        (big + leaf + 2 * hps) as abi_long
    );
    let moved = target_mremap(big, leaf + 2 * hps, leaf + 4 * hps, MAYMOVE as _, 0);
    assert!(moved != -1 && moved != big as abi_long);
    assert_eq!(flags(big), 0);

    // part of a host page moves out, with host pages larger than target pages
    if hps > tps {
        let h = fresh(2 * hps, hps);
        assert_eq!(target_mmap(h, hps, RW, FIXED, -1, 0), h as abi_long);
        let dst = fresh(2 * hps, hps);
        let half = hps / 2;
        assert_eq!(
            target_mremap(h + half, half, half, (MAYMOVE | MFIXED) as _, dst),
            dst as abi_long
        );
        assert_eq!(flags(h), valid_rw);
        assert_eq!(flags(h + half), 0);
        assert_eq!(target_mremap(h, half, tps, 0, 0), h as abi_long);
        assert_eq!(flags(h + tps), 0);
    }
    // the checker ran at the library's callbacks, and the emulator holds storage
    assert!(storage::check_count() > before + 20);
    assert!(storage::blocks() > 0);
}

#[test]
fn mremap_keeps_the_window_whole_real_pages() {
    moves(0);
}

#[test]
fn mremap_keeps_the_window_whole_64k_pages() {
    moves(65536);
}
