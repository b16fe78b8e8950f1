//! The target configuration chosen at build time (see `build.rs`) and the C integer types
//! whose widths it decides.
//!
//! Every other module reads this one; none writes it.

#![allow(non_camel_case_types)]

include!(concat!(env!("OUT_DIR"), "/config.rs"));

/// QEMU's `abi_ulong`: the guest ABI's unsigned long (32 bits under `TARGET_ABI32`).
#[cfg(qum_abi32)]
pub type abi_ulong = u32;
/// QEMU's `abi_long`.
#[cfg(qum_abi32)]
pub type abi_long = i32;
/// QEMU's `abi_ulong`: the guest ABI's unsigned long.
#[cfg(not(qum_abi32))]
pub type abi_ulong = u64;
/// QEMU's `abi_long`.
#[cfg(not(qum_abi32))]
pub type abi_long = i64;

/// QEMU's `target_ulong` (the CPU's register width; 64 bits on sparc32plus, mipsn32 and
/// ppc64abi32 even though their `abi_ulong` is 32 bits).
#[cfg(qum_long32)]
pub type target_ulong = u32;
/// QEMU's `target_ulong`.
#[cfg(not(qum_long32))]
pub type target_ulong = u64;

/// QEMU's `tb_page_addr_t`, which is `abi_ulong` in user mode.
pub type tb_page_addr_t = abi_ulong;

/// `TARGET_PAGE_SIZE`.
pub const TARGET_PAGE_SIZE: abi_ulong = 1 << TARGET_PAGE_BITS;

/// `~TARGET_PAGE_MASK`: the offset bits of a target page.
pub const TARGET_PAGE_OFFSET_MASK: abi_ulong = TARGET_PAGE_SIZE - 1;

/// `TARGET_PAGE_MASK` as it behaves in C: a negative `int` that sign-extends, so in any
/// unsigned type it is "all ones except the offset bits".
pub const TARGET_PAGE_MASK: abi_ulong = !TARGET_PAGE_OFFSET_MASK;

// The page flags of QEMU 2.3 (`include/exec/cpu-all.h`).
/// `PAGE_READ`.
pub const PAGE_READ: i32 = 0x1;
/// `PAGE_WRITE`.
pub const PAGE_WRITE: i32 = 0x2;
/// `PAGE_EXEC`.
pub const PAGE_EXEC: i32 = 0x4;
/// `PAGE_BITS`: the protection bits.
pub const PAGE_BITS: i32 = PAGE_READ | PAGE_WRITE | PAGE_EXEC;
/// `PAGE_VALID`.
pub const PAGE_VALID: i32 = 0x8;
/// `PAGE_WRITE_ORG`: the page was writable before QEMU write-protected it for its
/// translated code (`page_set_flags` adds it whenever `PAGE_WRITE` is set).
pub const PAGE_WRITE_ORG: i32 = 0x10;
