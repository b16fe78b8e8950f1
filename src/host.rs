//! The kernel side: the host system calls the original makes, returning `Result` with the
//! `errno` of a failure.
//!
//! The calls that take a host address are `unsafe fn`: they replace, unmap, re-protect or
//! write host memory, and only the caller can tell that this memory is what it may touch.
//! Their common contract (each function's `# Safety` refers to it): **the host range is
//! guest memory** (inside the guest window that the emulator hands to the guest, which the
//! guest owns and which Rust code never references), **or memory the caller itself mapped
//! and no one references** (a trial mapping, a placeholder). Choosing *which* host memory to
//! touch is the callers' job, exactly as it was the original's; the kernel validates the
//! arguments.
//!
//! With the cargo feature `raw-syscalls` (implied by `preload`), the calls go straight to
//! the kernel through `syscall(SYS_…)` instead of the libc functions of the same names. The
//! LD_PRELOAD tool needs this: it defines `mmap`, `munmap`, `mprotect`, `mremap` and
//! `msync` itself, so the library's own host calls must not land back in those wrappers.
//! The results and `errno` values are the same either way (libc's wrappers are thin).

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

/// Host calls made so far that can change existing host mappings or memory contents
/// (`mmap` with `MAP_FIXED`, `munmap`, `mprotect`, `madvise`, `mremap`, `pread`, `zero`):
/// the standalone emulator's invariant checker re-checks the host state only when this
/// moved since its last check.
#[cfg(feature = "standalone")]
static CHANGES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts one host call that may change mappings or memory (standalone builds only).
#[inline]
fn changing() {
    #[cfg(feature = "standalone")]
    CHANGES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// How many host calls that may change mappings or memory the library has made (counted
/// before each call is made).
#[cfg(feature = "standalone")]
pub fn changes() -> u64 {
    CHANGES.load(std::sync::atomic::Ordering::SeqCst)
}

/// The raw host calls: libc's functions by default, the kernel directly with
/// `raw-syscalls`. Same signatures and conventions (-1 or `MAP_FAILED` with `errno`).
#[cfg(not(feature = "raw-syscalls"))]
mod sys {
    pub use libc::{mmap, mprotect, mremap, msync, munmap, pread};

    /// `fstat(fd, buf)`.
    pub unsafe fn fstat(fd: libc::c_int, buf: *mut libc::stat) -> libc::c_int {
        // SAFETY: forwarded; the caller upholds fstat's contract.
        unsafe { libc::fstat(fd, buf) }
    }
}

/// The raw host calls through `syscall(2)`, bypassing any interposed libc symbol.
#[cfg(feature = "raw-syscalls")]
mod sys {
    use libc::{c_int, c_long, c_void, off_t, size_t, ssize_t, syscall};

    /// `mmap` as the system call.
    pub unsafe fn mmap(
        addr: *mut c_void,
        len: size_t,
        prot: c_int,
        flags: c_int,
        fd: c_int,
        offset: off_t,
    ) -> *mut c_void {
        // SAFETY: forwarded; the caller upholds mmap's contract. syscall() returns -1
        // (== MAP_FAILED) with errno set on failure, like libc's mmap.
        unsafe {
            syscall(
                libc::SYS_mmap,
                addr,
                len,
                prot as c_long,
                flags as c_long,
                fd as c_long,
                offset,
            ) as *mut c_void
        }
    }

    /// `munmap` as the system call.
    pub unsafe fn munmap(addr: *mut c_void, len: size_t) -> c_int {
        // SAFETY: forwarded; the caller upholds munmap's contract.
        unsafe { syscall(libc::SYS_munmap, addr, len) as c_int }
    }

    /// `mprotect` as the system call.
    pub unsafe fn mprotect(addr: *mut c_void, len: size_t, prot: c_int) -> c_int {
        // SAFETY: forwarded; the caller upholds mprotect's contract.
        unsafe { syscall(libc::SYS_mprotect, addr, len, prot as c_long) as c_int }
    }

    /// The 4-argument `mremap` as the system call (no new address: the kernel ignores it
    /// without `MREMAP_FIXED`).
    pub unsafe fn mremap(addr: *mut c_void, old: size_t, new: size_t, flags: c_int) -> *mut c_void {
        // SAFETY: forwarded; the caller upholds mremap's contract.
        unsafe {
            syscall(
                libc::SYS_mremap,
                addr,
                old,
                new,
                flags as c_long,
                0 as c_long,
            ) as *mut c_void
        }
    }

    /// `msync` as the system call.
    pub unsafe fn msync(addr: *mut c_void, len: size_t, flags: c_int) -> c_int {
        // SAFETY: forwarded; the caller upholds msync's contract.
        unsafe { syscall(libc::SYS_msync, addr, len, flags as c_long) as c_int }
    }

    /// `pread` as the system call (`pread64`).
    pub unsafe fn pread(fd: c_int, buf: *mut c_void, len: size_t, offset: off_t) -> ssize_t {
        // SAFETY: forwarded; the caller upholds pread's contract.
        unsafe { syscall(libc::SYS_pread64, fd as c_long, buf, len, offset) as ssize_t }
    }

    /// `fstat` as the system call (the kernel's `struct stat` is libc's on 64-bit Linux).
    pub unsafe fn fstat(fd: c_int, buf: *mut libc::stat) -> c_int {
        // SAFETY: forwarded; the caller upholds fstat's contract.
        unsafe { syscall(libc::SYS_fstat, fd as c_long, buf) as c_int }
    }
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
///
/// # Safety
/// With `MAP_FIXED`, `[addr, addr + len)` is replaced: it must satisfy the module's contract
/// (guest memory, or the caller's own unreferenced mapping). Without it, nothing is replaced.
pub unsafe fn mmap(
    addr: HostAddr,
    len: u64,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: i64,
) -> Result<HostAddr, Errno> {
    if flags & libc::MAP_FIXED != 0 {
        // Without MAP_FIXED the kernel never replaces an existing mapping.
        changing();
    }
    // SAFETY: the caller's contract (this function's `# Safety`).
    check_ptr(unsafe { sys::mmap(addr.as_ptr(), len as usize, prot, flags, fd, offset) })
}

/// `munmap(addr, len)`.
///
/// # Safety
/// `[addr, addr + len)` satisfies the module's contract (guest memory, or the caller's own
/// unreferenced mapping).
pub unsafe fn munmap(addr: HostAddr, len: u64) -> Result<(), Errno> {
    changing();
    // SAFETY: the caller's contract (this function's `# Safety`).
    check_int(unsafe { sys::munmap(addr.as_ptr(), len as usize) })
}

/// `mprotect(addr, len, prot)`.
///
/// # Safety
/// `[addr, addr + len)` satisfies the module's contract.
pub unsafe fn mprotect(addr: HostAddr, len: u64, prot: c_int) -> Result<(), Errno> {
    changing();
    // SAFETY: the caller's contract (this function's `# Safety`).
    check_int(unsafe { sys::mprotect(addr.as_ptr(), len as usize, prot) })
}

/// `madvise(addr, len, advice)` (always the libc function: the LD_PRELOAD tool does not
/// define it).
///
/// # Safety
/// `[addr, addr + len)` satisfies the module's contract (`MADV_DONTNEED` discards contents).
pub unsafe fn madvise(addr: HostAddr, len: u64, advice: c_int) -> Result<(), Errno> {
    changing();
    // SAFETY: the caller's contract (this function's `# Safety`).
    check_int(unsafe { libc::madvise(addr.as_ptr(), len as usize, advice) })
}

/// The 4-argument `mremap(old, old_len, new_len, flags)` of glibc (flags narrowed to `int`).
///
/// # Safety
/// `[old, old + max(old_len, new_len))` satisfies the module's contract (the mapping moves
/// or grows within memory the caller may touch).
pub unsafe fn mremap(
    old: HostAddr,
    old_len: u64,
    new_len: u64,
    flags: c_int,
) -> Result<HostAddr, Errno> {
    changing();
    // SAFETY: the caller's contract (this function's `# Safety`).
    check_ptr(unsafe { sys::mremap(old.as_ptr(), old_len as usize, new_len as usize, flags) })
}

/// `syscall(__NR_mremap, old, old_len, new_len, flags, new)`: the 5-argument form used for
/// `MREMAP_FIXED`, with `flags` passed as an `unsigned long`.
///
/// # Safety
/// `[old, old + old_len)` and `[new, new + new_len)` satisfy the module's contract (the
/// destination is replaced).
pub unsafe fn mremap_to(
    old: HostAddr,
    old_len: u64,
    new_len: u64,
    flags: c_ulong,
    new: HostAddr,
) -> Result<HostAddr, Errno> {
    changing();
    // SAFETY: the caller's contract (this function's `# Safety`).
    let r = unsafe { libc::syscall(libc::SYS_mremap, old.0, old_len, new_len, flags, new.0) };
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(HostAddr(r as u64))
    }
}

/// `msync(addr, len, flags)`.
///
/// # Safety
/// `[addr, addr + len)` satisfies the module's contract (`MS_INVALIDATE` may drop
/// changes).
pub unsafe fn msync(addr: HostAddr, len: u64, flags: c_int) -> Result<(), Errno> {
    // SAFETY: the caller's contract (this function's `# Safety`).
    check_int(unsafe { sys::msync(addr.as_ptr(), len as usize, flags) })
}

/// `pread(fd, buf, len, offset)` into guest memory at `buf`. Returns the byte count.
///
/// # Safety
/// `[buf, buf + len)` satisfies the module's contract and is mapped writable.
pub unsafe fn pread(fd: c_int, buf: HostAddr, len: u64, offset: i64) -> Result<u64, Errno> {
    changing();
    // SAFETY: the caller's contract (this function's `# Safety`).
    let r = unsafe { sys::pread(fd, buf.as_ptr(), len as usize, offset) };
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
    if unsafe { sys::fstat(fd, st.as_mut_ptr()) } == -1 {
        return Err(Errno::last());
    }
    // SAFETY: fstat returned 0, so the buffer is initialised.
    Ok(unsafe { st.assume_init() }.st_size)
}

/// Reads `len` bytes of `fd` at `offset` into guest memory at `buf`, retrying short reads
/// and `EINTR`; what lies past end of file is zero-filled.
///
/// # Safety
/// As for [`pread`]: `[buf, buf + len)` satisfies the module's contract and is mapped
/// writable.
pub unsafe fn pread_full(fd: c_int, buf: HostAddr, len: u64, offset: i64) -> Result<(), Errno> {
    let mut done = 0u64;
    while done < len {
        // SAFETY: the rest of the caller's range (`done < len`).
        match unsafe {
            pread(
                fd,
                buf.add(done),
                len - done,
                offset.wrapping_add(done as i64),
            )
        } {
            Ok(0) => {
                // SAFETY: the rest of the caller's range.
                unsafe { zero(buf.add(done), len - done) };
                break;
            }
            Ok(n) => done += n,
            Err(Errno(libc::EINTR)) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Fills `len` bytes of guest memory at `addr` with zeros.
///
/// # Safety
/// `[addr, addr + len)` satisfies the module's contract and is mapped writable.
pub unsafe fn zero(addr: HostAddr, len: u64) {
    changing();
    // SAFETY: the caller's contract (this function's `# Safety`).
    unsafe { std::ptr::write_bytes(addr.as_ptr() as *mut u8, 0, len as usize) }
}

/// The lookup of a mapping's descriptor, the kernel's first check on a file map (before the
/// length, the range or the flags): its status flags (`F_GETFL`), or `EBADF` unless `fd` is
/// open (an `O_PATH` descriptor cannot be mapped either).
pub fn descriptor_flags(fd: c_int) -> Result<c_int, Errno> {
    // SAFETY: F_GETFL only reads the descriptor's status flags.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if fl == -1 {
        return Err(Errno::last());
    }
    if fl & libc::O_PATH != 0 {
        return Err(Errno(libc::EBADF));
    }
    Ok(fl)
}

/// The largest end (offset + length) of a mapping of `fd` that a 64-bit kernel accepts
/// (its `file_mmap_size_max`): `MAX_LFS_FILESIZE` for regular files, block devices and
/// sockets, the whole 64-bit range for other files. (A few drivers that take unsigned
/// offsets, such as `/dev/mem`, have no limit in the kernel; they get the 64-bit one.)
pub fn mmap_end_limit(fd: c_int) -> Result<u64, Errno> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat writes a whole `struct stat` into the buffer on success.
    if unsafe { sys::fstat(fd, st.as_mut_ptr()) } == -1 {
        return Err(Errno::last());
    }
    // SAFETY: fstat returned 0, so the buffer is initialised.
    let mode = unsafe { st.assume_init() }.st_mode & libc::S_IFMT;
    Ok(match mode {
        libc::S_IFREG | libc::S_IFBLK | libc::S_IFSOCK => i64::MAX as u64,
        _ => u64::MAX,
    })
}

/// Asks the host whether it would map `fd` at `offset` with `prot`: maps one real host
/// page of it wherever the host likes, privately, and unmaps it again. The host then makes
/// every check of its own (a file type that cannot be mapped, `PROT_EXEC` on a `noexec`
/// mount, a security module's refusal) before the caller changes anything. `offset` is
/// rounded down to `real_page`.
pub fn try_map_file(fd: c_int, prot: c_int, offset: u64, real_page: u64) -> Result<(), Errno> {
    let prot = prot & (libc::PROT_READ | libc::PROT_EXEC);
    let at = offset & !(real_page - 1);
    // SAFETY: not MAP_FIXED: nothing is replaced.
    let p = unsafe {
        mmap(
            HostAddr(0),
            real_page,
            prot,
            libc::MAP_PRIVATE,
            fd,
            at as i64,
        )
    }?;
    // The trial must not stay behind (it may lie inside the guest space): a failed unmap
    // is tried once more, then the call is refused.
    // SAFETY: `p` is the trial mapping just made here, referenced by no one.
    unsafe { munmap(p, real_page).or_else(|_| munmap(p, real_page)) }
}

/// The check the kernel's `mmap` makes on a descriptor's access mode (`fd_flags`, from
/// [`descriptor_flags`]) before it changes anything: `EACCES` when it is not open for
/// reading, or (for a shared writable mapping) not for writing too.
pub fn check_access(fd_flags: c_int, prot: c_int, shared: bool) -> Result<(), Errno> {
    let mode = fd_flags & libc::O_ACCMODE;
    if mode == libc::O_WRONLY || (shared && prot & libc::PROT_WRITE != 0 && mode != libc::O_RDWR) {
        return Err(Errno(libc::EACCES));
    }
    Ok(())
}
