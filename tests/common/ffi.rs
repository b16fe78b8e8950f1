//! The library's exports for the tests and the fuzz targets: the five that change guest
//! memory are `unsafe` (their callers vouch that the guest space belongs to the guest);
//! the tests and the fuzzer call them only on their standalone guest window, which holds
//! nothing of their own, so these wrappers are safe here. The rest is re-exported as it is.

use std::os::raw::{c_int, c_ulong};

use qemu_user_mmap::config::{abi_long, abi_ulong};
use qemu_user_mmap::ffi;

#[allow(unused_imports)]
pub use qemu_user_mmap::ffi::{
    mmap_find_vma, mmap_fork_end, mmap_fork_start, mmap_lock, mmap_unlock,
};

/// `target_mmap` on the test's guest window.
pub fn target_mmap(
    start: abi_ulong,
    len: abi_ulong,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: abi_ulong,
) -> abi_long {
    // SAFETY: the standalone guest window of the caller holds only guest memory.
    unsafe { ffi::target_mmap(start, len, prot, flags, fd, offset) }
}

/// `target_munmap` on the test's guest window.
pub fn target_munmap(start: abi_ulong, len: abi_ulong) -> c_int {
    // SAFETY: as for `target_mmap`.
    unsafe { ffi::target_munmap(start, len) }
}

/// `target_mprotect` on the test's guest window.
pub fn target_mprotect(start: abi_ulong, len: abi_ulong, prot: c_int) -> c_int {
    // SAFETY: as for `target_mmap`.
    unsafe { ffi::target_mprotect(start, len, prot) }
}

/// `target_mremap` on the test's guest window.
pub fn target_mremap(
    old_addr: abi_ulong,
    old_size: abi_ulong,
    new_size: abi_ulong,
    flags: c_ulong,
    new_addr: abi_ulong,
) -> abi_long {
    // SAFETY: as for `target_mmap`.
    unsafe { ffi::target_mremap(old_addr, old_size, new_size, flags, new_addr) }
}

/// `target_msync` on the test's guest window.
pub fn target_msync(start: abi_ulong, len: abi_ulong, flags: c_int) -> c_int {
    // SAFETY: as for `target_mmap`.
    unsafe { ffi::target_msync(start, len, flags) }
}
