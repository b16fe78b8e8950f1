//! `standalone::reset`: one process runs guest after guest (the fuzzer does so between
//! inputs); after a reset the window is a bare reservation again, the page table is empty
//! and `mmap_next_start` is back where `init` put it.

// abi_ulong is u32 or u64 depending on the target.
#![allow(clippy::unnecessary_cast)]
// a reserved guest window needs guest-base support
#![cfg(qum_guest_base)]

mod common;
use common::ffi::*;

use std::os::raw::c_int;

use qemu_user_mmap::config::{abi_long, abi_ulong, TARGET_PAGE_SIZE};
use qemu_user_mmap::standalone::{self, Config};
use qemu_user_mmap::state::mmap_next_start;

const PS: abi_ulong = TARGET_PAGE_SIZE;
const RW: c_int = libc::PROT_READ | libc::PROT_WRITE;
const RESERVED: u64 = 1 << 24;

/// `(start, end, perms)` of the host mappings meeting `[lo, hi)`.
fn host_maps(lo: u64, hi: u64) -> Vec<(u64, u64, String)> {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
    let mut out = Vec::new();
    for line in maps.lines() {
        let mut it = line.split_whitespace();
        let (Some(r), Some(perm)) = (it.next(), it.next()) else {
            continue;
        };
        let Some((l, h)) = r.split_once('-') else {
            continue;
        };
        let l = u64::from_str_radix(l, 16).expect("maps start");
        let h = u64::from_str_radix(h, 16).expect("maps end");
        if h > lo && l < hi {
            out.push((l.max(lo), h.min(hi), perm[..3].to_string()));
        }
    }
    out
}

#[test]
fn reset_returns_the_window_to_a_bare_reservation() {
    standalone::init(&Config {
        host_page_size: 0,
        reserved_va: RESERVED,
        guest_base: 0,
        mmap_min_addr: 0x10000,
    })
    .expect("init");
    let (base, size) = standalone::window();
    assert_eq!(size, RESERVED);
    let bare = vec![(base, base + size, "---".to_string())];
    assert_eq!(host_maps(base, base + size), bare, "after init");

    for round in 0..3u8 {
        // a fixed map, written, and one the library places
        let at: abi_ulong = 0x10 * PS;
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
        let r = target_mmap(at, 4 * PS, RW, flags, -1, 0);
        assert_eq!(r, at as abi_long, "round {round}: fixed map");
        // SAFETY: [at, at + 4 pages) is mapped writable in the window just above.
        let page =
            unsafe { std::slice::from_raw_parts_mut((base + at as u64) as *mut u8, PS as usize) };
        assert!(
            page.iter().all(|&b| b == 0),
            "round {round}: a fresh map reads zero"
        );
        page.fill(0xa5 ^ round);
        let r = target_mmap(
            0,
            2 * PS,
            RW,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(r, -1, "round {round}: map anywhere");
        assert_ne!(
            mmap_next_start.load(std::sync::atomic::Ordering::Relaxed) as u64,
            RESERVED,
            "round {round}: the search moved mmap_next_start"
        );
        assert_ne!(standalone::page_table().ranges().count(), 0);
        assert_ne!(host_maps(base, base + size), bare, "round {round}: mapped");

        standalone::reset().expect("reset");

        assert_eq!(
            standalone::page_table().ranges().count(),
            0,
            "round {round}: table cleared"
        );
        assert_eq!(
            mmap_next_start.load(std::sync::atomic::Ordering::Relaxed) as u64,
            RESERVED,
            "round {round}: mmap_next_start back to reserved_va"
        );
        assert_eq!(
            host_maps(base, base + size),
            bare,
            "round {round}: window reserved again"
        );
        assert_eq!(
            standalone::window(),
            (base, size),
            "round {round}: configuration kept"
        );
    }
}
