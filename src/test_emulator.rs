//! A minimal emulator side for the crate's own unit tests: the symbols QEMU would provide
//! (`page_get_flags`, `page_set_flags`, `tb_invalidate_phys_range` and the globals), with
//! QEMU 2.3's semantics, so that the test binary links and the operations can run against
//! real host memory with guest base 0 and no reserved space.

#![allow(non_upper_case_globals, missing_docs)]

use std::collections::BTreeMap;
use std::os::raw::{c_int, c_ulong};
use std::sync::Mutex;

use crate::config::{target_ulong, tb_page_addr_t, TARGET_PAGE_BITS};

pub static PAGES: Mutex<BTreeMap<u64, c_int>> = Mutex::new(BTreeMap::new());
pub static TB_LOG: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());

#[no_mangle]
pub static mut qemu_real_host_page_size: usize = 4096;
#[no_mangle]
pub static mut qemu_host_page_size: usize = 4096;
#[no_mangle]
pub static mut qemu_host_page_mask: usize = !4095;
#[cfg(qum_guest_base)]
#[no_mangle]
pub static mut guest_base: c_ulong = 0;
#[cfg(qum_guest_base)]
#[no_mangle]
pub static mut reserved_va: c_ulong = 0;
#[no_mangle]
pub static mut mmap_min_addr: c_ulong = 65536;

#[no_mangle]
pub extern "C" fn page_get_flags(address: target_ulong) -> c_int {
    let page = address as u64 >> TARGET_PAGE_BITS;
    PAGES.lock().unwrap().get(&page).copied().unwrap_or(0)
}

#[no_mangle]
pub extern "C" fn page_set_flags(start: target_ulong, end: target_ulong, flags: c_int) {
    assert!(
        start < end,
        "page_set_flags: start {start:#x} >= end {end:#x}"
    );
    let flags = if flags & 2 != 0 { flags | 0x10 } else { flags };
    let first = start as u64 >> TARGET_PAGE_BITS;
    let last = (end as u64 - 1) >> TARGET_PAGE_BITS;
    let mut pages = PAGES.lock().unwrap();
    for p in first..=last {
        if flags == 0 {
            pages.remove(&p);
        } else {
            pages.insert(p, flags);
        }
    }
}

#[no_mangle]
pub extern "C" fn tb_invalidate_phys_range(start: tb_page_addr_t, end: tb_page_addr_t, _w: c_int) {
    TB_LOG.lock().unwrap().push((start as u64, end as u64));
}
