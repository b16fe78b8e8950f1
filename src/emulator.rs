//! The emulator side: what the original imports from the rest of QEMU.
//!
//! QEMU owns the page-flags table (`page_get_flags`/`page_set_flags`), the translated-code
//! cache (`tb_invalidate_phys_range`) and the globals that describe the host pages and the
//! guest window. This module declares those imports with their exact C types and wraps them
//! in a small safe interface. The globals are read at every call (they are 0 until QEMU's
//! `page_size_init` and guest-space setup have run, after this library is loaded), never
//! cached.

use std::os::raw::{c_int, c_ulong};

use crate::config::{abi_ulong, target_ulong, tb_page_addr_t};
use crate::guest::{GuestAddr, GuestWindow, HostAddr, HostPages};
use crate::host::{self, Errno};

extern "C" {
    fn page_get_flags(address: target_ulong) -> c_int;
    fn page_set_flags(start: target_ulong, end: target_ulong, flags: c_int);
    fn tb_invalidate_phys_range(
        start: tb_page_addr_t,
        end: tb_page_addr_t,
        is_cpu_write_access: c_int,
    );

    static mut qemu_real_host_page_size: usize;
    static mut qemu_host_page_size: usize;
    static mut qemu_host_page_mask: usize;
    #[cfg(qum_guest_base)]
    static mut guest_base: c_ulong;
    #[cfg(qum_guest_base)]
    static mut reserved_va: c_ulong;
    static mut mmap_min_addr: c_ulong;
}

/// The emulator: its globals, read where a guest call needs them, and the page and
/// translation-cache functions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Emulator;

impl Emulator {
    /// The emulator of this process.
    pub(crate) fn current() -> Emulator {
        Emulator
    }

    /// `qemu_host_page_size`, `qemu_host_page_mask`, `qemu_real_host_page_size`.
    #[inline(always)]
    pub(crate) fn pages(&self) -> HostPages {
        // SAFETY: plain integer globals defined by the emulator (QEMU's translate-all.c and
        // exec.c), written during start-up before any guest call and read here by value
        // through raw pointers, so no reference to mutable static memory is created. The
        // reads are ordinary ones: the compiler skips the values a call does not use, and
        // cannot carry one across a call into C, which could change them.
        unsafe {
            HostPages {
                size: std::ptr::read(&raw const qemu_host_page_size) as u64,
                mask: std::ptr::read(&raw const qemu_host_page_mask) as u64,
                real_size: std::ptr::read(&raw const qemu_real_host_page_size) as u64,
            }
        }
    }

    /// `guest_base` and `reserved_va` (both 0 in a build without guest-base support).
    #[inline(always)]
    pub(crate) fn window(&self) -> GuestWindow {
        #[cfg(qum_guest_base)]
        // SAFETY: as in `pages`; the globals of QEMU's linux-user/main.c.
        unsafe {
            GuestWindow {
                guest_base: std::ptr::read(&raw const guest_base) as u64,
                reserved_va: std::ptr::read(&raw const reserved_va) as u64,
            }
        }
        #[cfg(not(qum_guest_base))]
        GuestWindow {
            guest_base: 0,
            reserved_va: 0,
        }
    }

    /// `mmap_min_addr`.
    #[inline(always)]
    pub(crate) fn mmap_min_addr(&self) -> u64 {
        // SAFETY: as in `pages`; the global of QEMU's linux-user/main.c.
        unsafe { std::ptr::read(&raw const mmap_min_addr) as u64 }
    }

    /// `RESERVED_VA`: the size of the pre-reserved guest space, 0 when there is none.
    pub(crate) fn reserved_va(&self) -> u64 {
        self.window().reserved_va
    }

    /// `page_get_flags(addr)`.
    pub(crate) fn page_flags(&self, addr: GuestAddr) -> c_int {
        self.page_flags_at(addr.to_target_ulong())
    }

    /// `page_get_flags` on a `target_ulong` value.
    pub(crate) fn page_flags_at(&self, addr: target_ulong) -> c_int {
        // SAFETY: an ordinary C function of the emulator, called with a plain integer.
        unsafe { page_get_flags(addr) }
    }

    /// `page_set_flags(start, end, flags)`, with both ends as `abi_ulong`s (zero-extended to
    /// `target_ulong`, as C converts them).
    pub(crate) fn set_page_flags(&self, start: GuestAddr, end: GuestAddr, flags: c_int) {
        // SAFETY: an ordinary C function of the emulator; the caller holds the mmap lock,
        // which is the function's documented requirement.
        unsafe { page_set_flags(start.to_target_ulong(), end.to_target_ulong(), flags) }
    }

    /// `tb_invalidate_phys_range(start, end, 0)`.
    pub(crate) fn invalidate_translations(&self, start: GuestAddr, end: GuestAddr) {
        let (s, e): (abi_ulong, abi_ulong) = (start.raw(), end.raw());
        // SAFETY: an ordinary C function of the emulator, called with plain integers.
        unsafe { tb_invalidate_phys_range(s, e, 0) }
    }
}

/// The host calls on guest memory, through the window. Each takes a guest range inside the
/// guest space (the guest calls check theirs against [`GuestWindow::contains`] before any
/// host call, and derive every other range from one so checked): host memory that belongs
/// to the guest and that Rust code never references, which is the contract of
/// [`crate::host`]. Without `MAP_FIXED` the address of `mmap` is a hint only: nothing is
/// replaced.
impl Emulator {
    /// `mmap(g2h(at), len, prot, flags, fd, offset)`.
    pub(crate) fn mmap(
        &self,
        at: GuestAddr,
        len: impl Into<u64>,
        prot: c_int,
        flags: c_int,
        fd: c_int,
        offset: u64,
    ) -> Result<HostAddr, Errno> {
        // SAFETY: a guest range through the window: guest memory (see above).
        unsafe {
            host::mmap(
                self.window().g2h(at),
                len.into(),
                prot,
                flags,
                fd,
                offset as i64,
            )
        }
    }

    /// Fresh private anonymous memory over `[at, at + len)` (`MAP_FIXED`): reads as zero.
    pub(crate) fn map_anon(
        &self,
        at: GuestAddr,
        len: impl Into<u64>,
        prot: c_int,
    ) -> Result<(), Errno> {
        let flags = libc::MAP_FIXED | libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        self.mmap(at, len, prot, flags, -1, 0).map(drop)
    }

    /// `munmap(g2h(at), len)`.
    pub(crate) fn munmap(&self, at: GuestAddr, len: impl Into<u64>) -> Result<(), Errno> {
        // SAFETY: a guest range through the window: guest memory (see above).
        unsafe { host::munmap(self.window().g2h(at), len.into()) }
    }

    /// `mprotect(g2h(at), len, prot)`.
    pub(crate) fn mprotect(
        &self,
        at: GuestAddr,
        len: impl Into<u64>,
        prot: c_int,
    ) -> Result<(), Errno> {
        // SAFETY: a guest range through the window: guest memory (see above).
        unsafe { host::mprotect(self.window().g2h(at), len.into(), prot) }
    }

    /// `madvise(g2h(at), len, advice)`.
    pub(crate) fn madvise(
        &self,
        at: GuestAddr,
        len: impl Into<u64>,
        advice: c_int,
    ) -> Result<(), Errno> {
        // SAFETY: a guest range through the window: guest memory (see above).
        unsafe { host::madvise(self.window().g2h(at), len.into(), advice) }
    }

    /// `msync(g2h(at), len, flags)`.
    pub(crate) fn msync(
        &self,
        at: GuestAddr,
        len: impl Into<u64>,
        flags: c_int,
    ) -> Result<(), Errno> {
        // SAFETY: a guest range through the window: guest memory (see above).
        unsafe { host::msync(self.window().g2h(at), len.into(), flags) }
    }

    /// The 4-argument `mremap` of the guest range `[old, old + max(old_len, new_len))`.
    pub(crate) fn mremap(
        &self,
        old: GuestAddr,
        old_len: u64,
        new_len: u64,
        flags: c_int,
    ) -> Result<HostAddr, Errno> {
        // SAFETY: a guest range through the window: guest memory (see above).
        unsafe { host::mremap(self.window().g2h(old), old_len, new_len, flags) }
    }

    /// The 5-argument `mremap` from `[old, old + old_len)` to `[new, new + new_len)`.
    pub(crate) fn mremap_to(
        &self,
        old: GuestAddr,
        old_len: u64,
        new_len: u64,
        flags: c_ulong,
        new: GuestAddr,
    ) -> Result<HostAddr, Errno> {
        let (old, new) = (self.window().g2h(old), self.window().g2h(new));
        // SAFETY: two guest ranges through the window: guest memory (see above).
        unsafe { host::mremap_to(old, old_len, new_len, flags, new) }
    }

    /// Reads `len` bytes of `fd` at `offset` into the guest range at `at`, which is mapped
    /// writable (zero past end of file).
    pub(crate) fn read_file(
        &self,
        fd: c_int,
        at: GuestAddr,
        len: u64,
        offset: u64,
    ) -> Result<(), Errno> {
        // SAFETY: a guest range through the window: guest memory (see above).
        unsafe { host::pread_full(fd, self.window().g2h(at), len, offset as i64) }
    }

    /// Zeroes the guest range `[at, at + len)`, which is mapped writable.
    pub(crate) fn zero(&self, at: GuestAddr, len: u64) {
        // SAFETY: a guest range through the window: guest memory (see above).
        unsafe { host::zero(self.window().g2h(at), len) }
    }
}
