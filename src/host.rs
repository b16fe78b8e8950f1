//! The kernel side: the host system calls the original makes, returning `Result` with the
//! `errno` of a failure.
//!
//! Every call here acts on host virtual memory that Rust code never references: the guest
//! window that the emulator hands to the guest. That is why these wrappers can be safe
//! functions: no Rust reference is invalidated by them, and the kernel validates the
//! arguments. Choosing *which* host memory to touch is the callers' job, exactly as it was
//! the original's.

use std::os::raw::{c_int, c_ulong};

use crate::guest::HostAddr;

/// A host `errno` value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Errno(pub c_int);

impl Errno {
    /// The calling thread's current `errno`.
    pub fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

/// Sets the calling thread's `errno`.
pub fn set_errno(e: c_int) {
    // SAFETY: __errno_location returns the calling thread's errno slot, valid for the
    // thread's lifetime.
    unsafe { *libc::__errno_location() = e }
}

fn check_ptr(p: *mut libc::c_void) -> Result<HostAddr, Errno> {
    if p == libc::MAP_FAILED {
        Err(Errno::last())
    } else {
        Ok(HostAddr(p as usize as u64))
    }
}

fn check_int(r: c_int) -> Result<(), Errno> {
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

/// `mmap(addr, len, prot, flags, fd, offset)`.
pub fn mmap(
    addr: HostAddr,
    len: u64,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: i64,
) -> Result<HostAddr, Errno> {
    // SAFETY: see the module comment: the mapping replaces guest memory only.
    check_ptr(unsafe { libc::mmap(addr.as_ptr(), len as usize, prot, flags, fd, offset) })
}

/// `munmap(addr, len)`.
pub fn munmap(addr: HostAddr, len: u64) -> Result<(), Errno> {
    // SAFETY: see the module comment.
    check_int(unsafe { libc::munmap(addr.as_ptr(), len as usize) })
}

/// `mprotect(addr, len, prot)`.
pub fn mprotect(addr: HostAddr, len: u64, prot: c_int) -> Result<(), Errno> {
    // SAFETY: see the module comment.
    check_int(unsafe { libc::mprotect(addr.as_ptr(), len as usize, prot) })
}

/// The 4-argument `mremap(old, old_len, new_len, flags)` of glibc (flags narrowed to `int`).
pub fn mremap(old: HostAddr, old_len: u64, new_len: u64, flags: c_int) -> Result<HostAddr, Errno> {
    // SAFETY: see the module comment.
    check_ptr(unsafe { libc::mremap(old.as_ptr(), old_len as usize, new_len as usize, flags) })
}

/// `syscall(__NR_mremap, old, old_len, new_len, flags, new)`: the 5-argument form used for
/// `MREMAP_FIXED`, with `flags` passed as an `unsigned long`.
pub fn mremap_to(
    old: HostAddr,
    old_len: u64,
    new_len: u64,
    flags: c_ulong,
    new: HostAddr,
) -> Result<HostAddr, Errno> {
    // SAFETY: see the module comment.
    let r = unsafe { libc::syscall(libc::SYS_mremap, old.0, old_len, new_len, flags, new.0) };
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(HostAddr(r as u64))
    }
}

/// `msync(addr, len, flags)`.
pub fn msync(addr: HostAddr, len: u64, flags: c_int) -> Result<(), Errno> {
    // SAFETY: see the module comment.
    check_int(unsafe { libc::msync(addr.as_ptr(), len as usize, flags) })
}

/// `pread(fd, buf, len, offset)` into guest memory at `buf`. Returns the byte count.
pub fn pread(fd: c_int, buf: HostAddr, len: u64, offset: i64) -> Result<u64, Errno> {
    // SAFETY: `buf` is guest memory that the caller has just mapped writable; Rust holds no
    // reference to it.
    let r = unsafe { libc::pread(fd, buf.as_ptr(), len as usize, offset) };
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(r as u64)
    }
}

/// `fstat(fd).st_size`.
pub fn file_size(fd: c_int) -> Result<i64, Errno> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat writes a whole `struct stat` into the buffer on success.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } == -1 {
        return Err(Errno::last());
    }
    // SAFETY: fstat returned 0, so the buffer is initialised.
    Ok(unsafe { st.assume_init() }.st_size)
}
