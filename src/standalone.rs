//! Standalone mode (cargo feature `standalone`): the library provides the emulator side
//! itself, so it can run outside QEMU (Rust tests, the fuzzer, the LD_PRELOAD tool).
//!
//! It defines the symbols QEMU would provide, with QEMU 2.3's semantics:
//! * `page_get_flags` / `page_set_flags` over a range-based table (a huge `PROT_NONE`
//!   reservation is one entry, not one per page), `PAGE_WRITE_ORG` added with
//!   `PAGE_WRITE`, and `page_set_flags`' assertions (`start < end`, and `end` below
//!   `1 << TARGET_VIRT_ADDR_SPACE_BITS` when the ABI is wider than the address space);
//! * `tb_invalidate_phys_range`, which counts calls and forwards them to an optional
//!   callback;
//! * the globals `qemu_real_host_page_size`, `qemu_host_page_size`,
//!   `qemu_host_page_mask`, `guest_base`, `reserved_va` and `mmap_min_addr`, set by
//!   [`init`] (or `qemu_user_mmap_standalone_init` from C) like QEMU's `main.c` does.
//!
//! The default build does not contain this module and imports all of these, exactly as
//! QEMU expects.

#![allow(non_upper_case_globals)]

use std::collections::BTreeMap;
use std::os::raw::{c_int, c_ulong};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use crate::config::{
    target_ulong, tb_page_addr_t, TARGET_ABI_BITS, TARGET_PAGE_BITS, TARGET_PAGE_SIZE,
    TARGET_VIRT_ADDR_SPACE_BITS,
};

/// `PAGE_WRITE_ORG`: added by `page_set_flags` whenever `PAGE_WRITE` is set.
pub const PAGE_WRITE_ORG: c_int = 0x10;

/// `uintptr_t qemu_real_host_page_size`.
#[no_mangle]
pub static mut qemu_real_host_page_size: usize = 0;
/// `uintptr_t qemu_host_page_size`.
#[no_mangle]
pub static mut qemu_host_page_size: usize = 0;
/// `uintptr_t qemu_host_page_mask`.
#[no_mangle]
pub static mut qemu_host_page_mask: usize = 0;
/// `unsigned long guest_base`.
#[cfg(qum_guest_base)]
#[no_mangle]
pub static mut guest_base: c_ulong = 0;
/// `unsigned long reserved_va`.
#[cfg(qum_guest_base)]
#[no_mangle]
pub static mut reserved_va: c_ulong = 0;
/// `unsigned long mmap_min_addr`.
#[no_mangle]
pub static mut mmap_min_addr: c_ulong = 0;

/// Non-overlapping `[start, end) -> flags` ranges of target pages (page numbers), with no
/// entry for flags 0.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct PageTable {
    ranges: BTreeMap<u64, (u64, c_int)>,
}

impl PageTable {
    /// An empty table.
    pub const fn new() -> PageTable {
        PageTable {
            ranges: BTreeMap::new(),
        }
    }

    /// The flags of page number `page`.
    pub fn get(&self, page: u64) -> c_int {
        match self.ranges.range(..=page).next_back() {
            Some((_, &(end, flags))) if page < end => flags,
            _ => 0,
        }
    }

    /// Sets the flags of page numbers `[first, end)`, merging equal neighbours.
    pub fn set(&mut self, first: u64, end: u64, flags: c_int) {
        if first >= end {
            return;
        }
        // Cut a range straddling `first`, and one straddling `end`.
        if let Some((&s, &(e, f))) = self.ranges.range(..first).next_back() {
            if e > first {
                self.ranges.insert(s, (first, f));
                self.ranges.insert(first, (e, f));
            }
        }
        if let Some((&s, &(e, f))) = self.ranges.range(..end).next_back() {
            if e > end {
                self.ranges.insert(s, (end, f));
                self.ranges.insert(end, (e, f));
            }
        }
        let inside: Vec<u64> = self.ranges.range(first..end).map(|(&s, _)| s).collect();
        for s in inside {
            self.ranges.remove(&s);
        }
        if flags == 0 {
            return;
        }
        let mut start = first;
        let mut stop = end;
        if let Some((&s, &(e, f))) = self.ranges.range(..start).next_back() {
            if e == start && f == flags {
                self.ranges.remove(&s);
                start = s;
            }
        }
        if let Some(&(e, f)) = self.ranges.get(&stop) {
            if f == flags {
                self.ranges.remove(&stop);
                stop = e;
            }
        }
        self.ranges.insert(start, (stop, flags));
    }

    /// The ranges as `(first page, end page, flags)`, in address order.
    pub fn ranges(&self) -> impl Iterator<Item = (u64, u64, c_int)> + '_ {
        self.ranges.iter().map(|(&s, &(e, f))| (s, e, f))
    }

    /// Whether no page of `[first, end)` has flags.
    pub fn is_free(&self, first: u64, end: u64) -> bool {
        if first >= end {
            return true;
        }
        if self.get(first) != 0 {
            return false;
        }
        self.ranges.range(first..end).next().is_none()
    }
}

static TABLE: Mutex<PageTable> = Mutex::new(PageTable::new());
static TB_CALLS: AtomicU64 = AtomicU64::new(0);
static TB_CALLBACK: AtomicUsize = AtomicUsize::new(0);
static GET_CALLS: AtomicU64 = AtomicU64::new(0);
static SET_CALLS: AtomicU64 = AtomicU64::new(0);

/// A callback for translated-code invalidation: `(start, end)` guest addresses.
pub type TbCallback = extern "C" fn(start: tb_page_addr_t, end: tb_page_addr_t);

fn table() -> std::sync::MutexGuard<'static, PageTable> {
    TABLE.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// `int page_get_flags(target_ulong address)`.
#[no_mangle]
pub extern "C" fn page_get_flags(address: target_ulong) -> c_int {
    GET_CALLS.fetch_add(1, Relaxed);
    // QEMU looks pages up by `address >> TARGET_PAGE_BITS` narrowed to tb_page_addr_t.
    let page = (address as u64 >> TARGET_PAGE_BITS) as tb_page_addr_t as u64;
    table().get(page)
}

/// `void page_set_flags(target_ulong start, target_ulong end, int flags)`.
#[no_mangle]
pub extern "C" fn page_set_flags(start: target_ulong, end: target_ulong, flags: c_int) {
    SET_CALLS.fetch_add(1, Relaxed);
    let (start, end) = (start as u64, end as u64);
    if TARGET_ABI_BITS > TARGET_VIRT_ADDR_SPACE_BITS && end >= 1u64 << TARGET_VIRT_ADDR_SPACE_BITS {
        crate::fatal(&format!(
            "page_set_flags: assertion end < (1 << TARGET_VIRT_ADDR_SPACE_BITS) failed (end {end:#x})"
        ));
    }
    if start >= end {
        crate::fatal(&format!(
            "page_set_flags: assertion start < end failed ({start:#x} >= {end:#x})"
        ));
    }
    let ps = TARGET_PAGE_SIZE as u64;
    let first = start >> TARGET_PAGE_BITS;
    let last = end.div_ceil(ps);
    let flags = if flags & crate::config::PAGE_WRITE != 0 {
        flags | PAGE_WRITE_ORG
    } else {
        flags
    };
    table().set(first, last, flags);
}

/// `void tb_invalidate_phys_range(tb_page_addr_t start, tb_page_addr_t end, int)`.
#[no_mangle]
pub extern "C" fn tb_invalidate_phys_range(
    start: tb_page_addr_t,
    end: tb_page_addr_t,
    _is_cpu_write_access: c_int,
) {
    TB_CALLS.fetch_add(1, Relaxed);
    let cb = TB_CALLBACK.load(Relaxed);
    if cb != 0 {
        // SAFETY: only `set_tb_callback` stores a value here, and it stores a `TbCallback`.
        let f: TbCallback = unsafe { std::mem::transmute::<usize, TbCallback>(cb) };
        f(start, end);
    }
}

/// How to set up the emulator side, like QEMU's command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// `-p`: the host page size to emulate (0: the real one). Raised to at least
    /// `TARGET_PAGE_SIZE`, like QEMU's `page_size_init`.
    pub host_page_size: u64,
    /// `-R`: size of the guest space to pre-reserve `PROT_NONE` (0: none).
    pub reserved_va: u64,
    /// `-B`: host address of guest address 0 (with `reserved_va`, 0 lets the host choose).
    pub guest_base: u64,
    /// `mmap_min_addr` (0: read `/proc/sys/vm/mmap_min_addr`).
    pub mmap_min_addr: u64,
}

/// Why [`init`] refused a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InitError {
    /// The host page size is not a power of two.
    BadPageSize(u64),
    /// A guest base or reserved space was asked of a build without guest-base support.
    NoGuestBaseSupport,
    /// The reservation could not be made.
    ReservationFailed(i32),
}

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InitError::BadPageSize(p) => write!(f, "page size {p} is not a power of two"),
            InitError::NoGuestBaseSupport => f.write_str("this build has no guest-base support"),
            InitError::ReservationFailed(e) => {
                write!(f, "cannot reserve the guest space (errno {e})")
            }
        }
    }
}

impl std::error::Error for InitError {}

/// Sets the globals the way QEMU 2.3's `main.c` does before loading a guest: page sizes,
/// then the guest space (reserving `reserved_va` bytes `PROT_NONE`, and pointing
/// `mmap_next_start` at its top), then `mmap_min_addr`. Clears the page table. Nothing is
/// changed when the configuration is refused.
pub fn init(config: &Config) -> Result<(), InitError> {
    if config.host_page_size != 0 && !config.host_page_size.is_power_of_two() {
        return Err(InitError::BadPageSize(config.host_page_size));
    }
    #[cfg(not(qum_guest_base))]
    if config.reserved_va != 0 || config.guest_base != 0 {
        return Err(InitError::NoGuestBaseSupport);
    }
    // SAFETY: sysconf has no preconditions.
    let real = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    let size = if config.host_page_size == 0 {
        real
    } else {
        config.host_page_size
    }
    .max(TARGET_PAGE_SIZE as u64);

    #[cfg(qum_guest_base)]
    let base = if config.reserved_va != 0 {
        let aligned = (config.guest_base + size - 1) & !(size - 1);
        let flags = libc::MAP_ANONYMOUS
            | libc::MAP_PRIVATE
            | libc::MAP_NORESERVE
            | if aligned != 0 { libc::MAP_FIXED } else { 0 };
        let p = crate::host::mmap(
            crate::guest::HostAddr(aligned),
            config.reserved_va,
            libc::PROT_NONE,
            flags,
            -1,
            0,
        )
        .map_err(|e| InitError::ReservationFailed(e.0))?;
        p.0
    } else {
        config.guest_base
    };
    let min_addr = if config.mmap_min_addr != 0 {
        config.mmap_min_addr
    } else {
        std::fs::read_to_string("/proc/sys/vm/mmap_min_addr")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    };

    // SAFETY: the globals are plain integers; standalone users call init before any guest
    // call and not concurrently with one (documented), as QEMU's main.c does.
    unsafe {
        qemu_real_host_page_size = real as usize;
        qemu_host_page_size = size as usize;
        qemu_host_page_mask = !(size as usize - 1);
        #[cfg(qum_guest_base)]
        {
            guest_base = base as c_ulong;
            reserved_va = config.reserved_va as c_ulong;
        }
        mmap_min_addr = min_addr as c_ulong;
    }
    #[cfg(qum_guest_base)]
    if config.reserved_va != 0 {
        crate::state::set_next_start(crate::guest::GuestAddr(crate::guest::narrow(
            config.reserved_va,
        )));
    }
    *table() = PageTable::new();
    Ok(())
}

/// Returns the guest to the state [`init`] left it in, keeping the configuration: many
/// guests can then run one after another in one process (the fuzzer resets between inputs
/// instead of re-initialising).
///
/// Under the mmap lock:
/// * with a reserved guest space (`reserved_va`), the whole window is replaced by a fresh
///   `PROT_NONE` reservation (`MAP_FIXED` over `[guest_base, guest_base + reserved_va)`):
///   every guest mapping in it is unmapped back to the reservation, nothing outside it is
///   touched;
/// * without one, the host range of every guest range the page table holds (widened to
///   host pages) is unmapped;
/// * the page table is cleared;
/// * `mmap_next_start` goes back to where [`init`] put it (`reserved_va` with a reserved
///   space, else `TASK_UNMAPPED_BASE`), and `last_brk` to 0.
///
/// The globals [`init`] set (page sizes, `guest_base`, `reserved_va`, `mmap_min_addr`),
/// the TB callback and the call counters are kept. Call it between guest calls, never
/// concurrently with one. Fails (with the page table and `mmap_next_start` already reset)
/// when the host refuses the new reservation.
pub fn reset() -> Result<(), InitError> {
    let _guard = crate::lock::Guard::new();
    let emu = crate::emulator::Emulator::current();
    let window = emu.window;
    let mut result = Ok(());
    if window.reserved_va != 0 {
        if let Err(e) = crate::host::mmap(
            crate::guest::HostAddr(window.guest_base),
            window.reserved_va,
            libc::PROT_NONE,
            libc::MAP_ANONYMOUS | libc::MAP_PRIVATE | libc::MAP_NORESERVE | libc::MAP_FIXED,
            -1,
            0,
        ) {
            result = Err(InitError::ReservationFailed(e.0));
        }
    } else {
        let ps = TARGET_PAGE_SIZE as u64;
        let host_mask = !(emu.pages.size.max(1) - 1);
        for (first, end, _) in table().clone().ranges() {
            let start = first.saturating_mul(ps) & host_mask;
            let stop = end.saturating_mul(ps).saturating_add(!host_mask) & host_mask;
            if stop > start {
                let host = crate::guest::HostAddr(window.guest_base.saturating_add(start));
                // Best effort: a range the host no longer maps is already gone.
                let _ = crate::host::munmap(host, stop - start);
            }
        }
    }
    *table() = PageTable::new();
    let next = if window.reserved_va != 0 {
        window.reserved_va
    } else {
        crate::config::TASK_UNMAPPED_BASE
    };
    crate::state::set_next_start(crate::guest::GuestAddr(crate::guest::narrow(next)));
    crate::state::last_brk.store(0, Relaxed);
    result
}

/// Installs (or, with `None`, removes) the callback run on every translated-code
/// invalidation.
pub fn set_tb_callback(callback: Option<TbCallback>) {
    TB_CALLBACK.store(callback.map_or(0, |f| f as usize), Relaxed);
}

/// Counters of emulator calls since start-up: `(page_get_flags, page_set_flags,
/// tb_invalidate_phys_range)`.
pub fn call_counts() -> (u64, u64, u64) {
    (
        GET_CALLS.load(Relaxed),
        SET_CALLS.load(Relaxed),
        TB_CALLS.load(Relaxed),
    )
}

/// A copy of the page table.
pub fn page_table() -> PageTable {
    table().clone()
}

/// The guest window: `(guest_base, reserved_va)`.
pub fn window() -> (u64, u64) {
    let w = crate::emulator::Emulator::current().window;
    (w.guest_base, w.reserved_va)
}

/// `int qemu_user_mmap_standalone_init(unsigned long host_page_size, unsigned long
/// reserved_va, unsigned long guest_base)`: [`init`] for C callers. Returns 0, or -1 with
/// `errno` (EINVAL for a bad page size or an unsupported guest base; the host's error when
/// the reservation fails).
#[no_mangle]
pub extern "C" fn qemu_user_mmap_standalone_init(
    host_page_size: c_ulong,
    reserved: c_ulong,
    base: c_ulong,
) -> c_int {
    let cfg = Config {
        host_page_size: host_page_size as u64,
        reserved_va: reserved as u64,
        guest_base: base as u64,
        mmap_min_addr: 0,
    };
    match init(&cfg) {
        Ok(()) => 0,
        Err(InitError::ReservationFailed(e)) => {
            crate::host::set_errno(e);
            -1
        }
        Err(_) => {
            crate::host::set_errno(libc::EINVAL);
            -1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn set_and_get_ranges() {
        let mut t = PageTable::new();
        t.set(10, 20, 3);
        assert_eq!(t.get(9), 0);
        assert_eq!(t.get(10), 3);
        assert_eq!(t.get(19), 3);
        assert_eq!(t.get(20), 0);
        t.set(12, 14, 1);
        assert_eq!((t.get(11), t.get(12), t.get(13), t.get(14)), (3, 1, 1, 3));
        t.set(12, 14, 3);
        assert_eq!(
            t.ranges().collect::<Vec<_>>(),
            vec![(10, 20, 3)],
            "equal neighbours merge"
        );
        t.set(0, 100, 0);
        assert_eq!(t.ranges().count(), 0);
    }

    proptest! {
        #[test]
        fn matches_a_flat_model(ops in prop::collection::vec((0u64..64, 0u64..64, 0i32..4), 1..40)) {
            let mut t = PageTable::new();
            let mut model = [0i32; 64];
            for (a, b, f) in ops {
                let (lo, hi) = (a.min(b), a.max(b));
                t.set(lo, hi, f);
                for p in lo..hi { model[p as usize] = f; }
                for (p, &m) in model.iter().enumerate() {
                    prop_assert_eq!(t.get(p as u64), m);
                }
                let ranges: Vec<_> = t.ranges().collect();
                for w in ranges.windows(2) {
                    prop_assert!(w[0].1 <= w[1].0, "ranges overlap");
                    prop_assert!(!(w[0].1 == w[1].0 && w[0].2 == w[1].2), "unmerged neighbours");
                }
            }
        }
    }
}
