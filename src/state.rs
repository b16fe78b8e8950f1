//! The data symbols the original exports: `mmap_next_start` and `last_brk`.
//!
//! Both are written by C code (QEMU's main.c sets `mmap_next_start` to `reserved_va`), so
//! they are atomics with the layout of the plain C integers: C reads and writes them as
//! `abi_ulong` and `unsigned long`, and Rust never holds a reference across a C call.

#![allow(non_upper_case_globals)]

use std::sync::atomic::Ordering::Relaxed;

use crate::config::{abi_ulong, TASK_UNMAPPED_BASE};
use crate::guest::GuestAddr;

#[cfg(qum_abi32)]
type AtomicAbiUlong = std::sync::atomic::AtomicU32;
#[cfg(not(qum_abi32))]
type AtomicAbiUlong = std::sync::atomic::AtomicU64;

/// `abi_ulong mmap_next_start`: where a search for free guest space starts when the caller
/// gives no hint. Initialised to the target's `TASK_UNMAPPED_BASE`.
#[no_mangle]
pub static mmap_next_start: AtomicAbiUlong = AtomicAbiUlong::new(TASK_UNMAPPED_BASE as abi_ulong);

/// `unsigned long last_brk`: exported for symbol parity; only BSD builds of QEMU use it.
#[no_mangle]
pub static last_brk: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The current `mmap_next_start`.
pub fn next_start() -> GuestAddr {
    GuestAddr(mmap_next_start.load(Relaxed))
}

/// Sets `mmap_next_start`.
pub fn set_next_start(addr: GuestAddr) {
    mmap_next_start.store(addr.raw(), Relaxed);
}
