//! The C ABI: exactly the functions `linux-user/mmap.c` exports, with its C types.
//!
//! This layer only converts arguments and results. C conventions come out exactly as the
//! original's: -1 with `errno` set, or a literal negative errno where the original returns
//! one. No panic unwinds into C: the library is built with `panic = "abort"`, so a panic
//! aborts the process with its message and source location, as a failed assertion in QEMU
//! would; every guest call also runs inside a panic boundary (`boundary`) that stops an
//! unwinding build (the test harness) at the C boundary. The lock functions cannot panic
//! (their own failures abort through `fatal` with a message).

use std::os::raw::{c_int, c_ulong};

use crate::config::{abi_long, abi_ulong};
use crate::emulator::Emulator;
use crate::guest::GuestAddr;
use crate::ops::{self, c_status, Failure, Outcome};
use crate::{fatal, lock};

/// The exports that run inside `boundary`.
#[derive(Clone, Copy)]
enum Export {
    Mprotect,
    Mmap,
    Munmap,
    Mremap,
    Msync,
    FindVma,
}

impl Export {
    fn name(self) -> &'static str {
        match self {
            Export::Mprotect => "target_mprotect",
            Export::Mmap => "target_mmap",
            Export::Munmap => "target_munmap",
            Export::Mremap => "target_mremap",
            Export::Msync => "target_msync",
            Export::FindVma => "mmap_find_vma",
        }
    }
}

/// Runs one export. A panic inside is an internal error: with `panic = "abort"` (the
/// library's profiles) the process aborts with the panic message and its source location,
/// like a failed QEMU assertion; in a build that unwinds (the test harness), the unwinding
/// stops here and the process aborts with a message naming the export. Nothing is recorded
/// per call: the boundary costs no instruction on the way through.
#[inline(always)]
fn boundary<T>(export: Export, f: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => panicked(export.name()),
    }
}

#[cold]
#[inline(never)]
fn panicked(name: &str) -> ! {
    fatal(&format!("internal error (panic) in {name}"))
}

/// An address result in C form: the address, or -1 with `errno` set.
fn c_address(outcome: Outcome<GuestAddr>) -> abi_long {
    match outcome {
        Ok(addr) => addr.raw() as abi_long,
        Err(Failure::Negative(e)) => -(e as abi_long),
        Err(Failure::Errno(e)) => {
            crate::host::set_errno(e);
            -1
        }
    }
}

/// Changes the protection of the guest range `[start, start + len)`.
///
/// Returns 0, or a literal negative errno (the value itself, like the original's early
/// checks): `-EINVAL` for a misaligned `start` or unknown protection bits, `-ENOMEM` for a
/// range that wraps. A length of 0 returns 0. Otherwise -1 with `errno`: `ENOMEM` for a
/// range that leaves the guest space or holds unmapped pages (as on Linux, the pages before
/// the first unmapped one take the new protection; a range starting unmapped changes
/// nothing), or the host `mprotect`'s own `errno`.
///
/// # Safety
/// The call replaces, unmaps, re-protects or writes host memory of the guest space (at
/// `guest_base`), as the original did: that memory must belong to the guest, and nothing
/// else in the process may use it (QEMU's contract with its guests; a reserved window,
/// `reserved_va`, confines it).
#[no_mangle]
pub unsafe extern "C" fn target_mprotect(start: abi_ulong, len: abi_ulong, prot: c_int) -> c_int {
    boundary(Export::Mprotect, || {
        c_status(ops::protect::mprotect(GuestAddr(start), len, prot))
    })
}

/// Maps guest memory; `prot` and `flags` are host `PROT_*`/`MAP_*` values.
///
/// Returns the guest address, or -1 with `errno` set. Where several checks fail, `errno`
/// is Linux's, whose order the checks follow: a misaligned offset (`EINVAL`), then the
/// descriptor of a file map (`EBADF`), a zero length (`EINVAL`), a length or fixed range
/// outside the guest space (`ENOMEM`), a misaligned fixed start (`EINVAL`),
/// `MAP_FIXED_NOREPLACE` over mapped pages (`EEXIST`), a file range ending past the
/// largest file position (`EOVERFLOW`), the mapping type (`EINVAL`, `EOPNOTSUPP`), the
/// descriptor's access mode (`EACCES`); last the emulator's own refusal of a shared
/// writable file map it would have to copy by hand (`EINVAL`). A refused call changes
/// nothing, but for `mmap_next_start`: a non-fixed file map that the host refuses with a
/// good descriptor (`EACCES`, `ENODEV`) leaves it where its search put it, as 2.3 does.
///
/// # Safety
/// The call replaces, unmaps, re-protects or writes host memory of the guest space (at
/// `guest_base`), as the original did: that memory must belong to the guest, and nothing
/// else in the process may use it (QEMU's contract with its guests; a reserved window,
/// `reserved_va`, confines it).
#[no_mangle]
pub unsafe extern "C" fn target_mmap(
    start: abi_ulong,
    len: abi_ulong,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: abi_ulong,
) -> abi_long {
    boundary(Export::Mmap, || {
        let request = ops::map::Request::new(prot, flags, fd, offset);
        c_address(ops::map::mmap(GuestAddr(start), len, request))
    })
}

/// Unmaps the guest range `[start, start + len)`.
///
/// Returns 0; `-EINVAL` (the value itself) for a misaligned `start`, a length of 0, or a
/// range that wraps or leaves the guest space; or -1 with `errno` when the host refuses to
/// release the pages, in which case nothing changed (the page flags are kept).
///
/// # Safety
/// The call replaces, unmaps, re-protects or writes host memory of the guest space (at
/// `guest_base`), as the original did: that memory must belong to the guest, and nothing
/// else in the process may use it (QEMU's contract with its guests; a reserved window,
/// `reserved_va`, confines it).
#[no_mangle]
pub unsafe extern "C" fn target_munmap(start: abi_ulong, len: abi_ulong) -> c_int {
    boundary(Export::Munmap, || {
        c_status(ops::unmap::munmap(GuestAddr(start), len))
    })
}

/// Resizes or moves a guest mapping; `flags` are host `MREMAP_*` values.
///
/// Returns the new guest address, or -1 with `errno` set, in Linux's order: `EINVAL` for
/// unknown flags, `MREMAP_FIXED` or `MREMAP_DONTUNMAP` without `MREMAP_MAYMOVE`, a
/// misaligned `old_addr`, sizes that wrap when page-aligned, a new size of 0, or a fixed
/// target that is misaligned, outside the guest space or overlapping the old range; `EFAULT`
/// for an old range outside the guest space or not mapped (only its first page is looked
/// at when the mapping does not grow); `ENOMEM` when it cannot grow in place or there is no
/// room to move. A failed call leaves the old mapping as it was.
///
/// # Safety
/// The call replaces, unmaps, re-protects or writes host memory of the guest space (at
/// `guest_base`), as the original did: that memory must belong to the guest, and nothing
/// else in the process may use it (QEMU's contract with its guests; a reserved window,
/// `reserved_va`, confines it).
#[no_mangle]
pub unsafe extern "C" fn target_mremap(
    old_addr: abi_ulong,
    old_size: abi_ulong,
    new_size: abi_ulong,
    flags: c_ulong,
    new_addr: abi_ulong,
) -> abi_long {
    boundary(Export::Mremap, || {
        c_address(ops::remap::mremap(
            GuestAddr(old_addr),
            old_size,
            new_size,
            flags,
            GuestAddr(new_addr),
        ))
    })
}

/// Flushes the guest range `[start, start + len)` with the host `msync`.
///
/// Returns 0; `-EINVAL` (the value) for a misaligned `start`, `-ENOMEM` (the value) for a
/// range that wraps; or -1 with `errno` (bad flags, a range outside the guest space or not
/// mapped, the host's refusal). A length that is 0 once page-aligned returns 0, as on
/// Linux: 0 itself, and one that wraps to 0 such as `(abi_ulong)-1`. (QEMU 2.3's syscall.c
/// does not call it: the symbol exists for link compatibility.)
///
/// # Safety
/// The call replaces, unmaps, re-protects or writes host memory of the guest space (at
/// `guest_base`), as the original did: that memory must belong to the guest, and nothing
/// else in the process may use it (QEMU's contract with its guests; a reserved window,
/// `reserved_va`, confines it).
#[no_mangle]
pub unsafe extern "C" fn target_msync(start: abi_ulong, len: abi_ulong, flags: c_int) -> c_int {
    boundary(Export::Msync, || {
        c_status(ops::sync::msync(GuestAddr(start), len, flags))
    })
}

/// Finds `size` bytes of free guest address space, searching from `start` (0: from
/// `mmap_next_start`).
///
/// Returns the guest address, or `(abi_ulong)-1` without setting `errno`. The caller must
/// hold the mmap lock. Without `reserved_va` the range is left reserved on the host
/// (`PROT_NONE`) for the caller to map over with `MAP_FIXED`.
#[no_mangle]
pub extern "C" fn mmap_find_vma(start: abi_ulong, size: abi_ulong) -> abi_ulong {
    boundary(Export::FindVma, || {
        ops::find::find_vma(&Emulator::current(), GuestAddr(start), size).raw()
    })
}

// On x86-64 Linux `mmap_lock`, `mmap_unlock` and `mmap_fork_start` are naked functions of
// the lock module (their thread-local count uses the initial-exec model); the definitions
// below are the same functions for the other hosts, and the source of their declarations
// in the generated header (cbindgen reads this file).
#[cfg(all(target_arch = "x86_64", target_os = "linux", not(miri)))]
pub use crate::lock::{mmap_fork_start, mmap_lock, mmap_unlock};

/// Takes the mmap lock (recursive per thread).
#[cfg(not(all(target_arch = "x86_64", target_os = "linux", not(miri))))]
#[no_mangle]
pub extern "C" fn mmap_lock() {
    lock::lock()
}

/// Releases one level of the mmap lock.
#[cfg(not(all(target_arch = "x86_64", target_os = "linux", not(miri))))]
#[no_mangle]
pub extern "C" fn mmap_unlock() {
    lock::unlock()
}

/// Called before `fork()`: takes the mmap lock; aborts when the calling thread holds it.
#[cfg(not(all(target_arch = "x86_64", target_os = "linux", not(miri))))]
#[no_mangle]
pub extern "C" fn mmap_fork_start() {
    lock::fork_start()
}

/// Called after `fork()`: in the child (`child != 0`) re-creates the mmap lock unlocked;
/// in the parent releases it.
#[no_mangle]
pub extern "C" fn mmap_fork_end(child: c_int) {
    lock::fork_end(child != 0)
}
