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

pub use crate::config::PAGE_WRITE_ORG;

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
    let name = || format!("page_get_flags({:#x})", address as u64);
    storage::check("entering", &name);
    // QEMU looks pages up by `address >> TARGET_PAGE_BITS` narrowed to tb_page_addr_t.
    let page = (address as u64 >> TARGET_PAGE_BITS) as tb_page_addr_t as u64;
    let flags = table().get(page);
    storage::check("leaving", &name);
    flags
}

/// `void page_set_flags(target_ulong start, target_ulong end, int flags)`.
#[no_mangle]
pub extern "C" fn page_set_flags(start: target_ulong, end: target_ulong, flags: c_int) {
    SET_CALLS.fetch_add(1, Relaxed);
    let (start, end) = (start as u64, end as u64);
    let name = || format!("page_set_flags({start:#x}, {end:#x}, {flags:#x})");
    storage::check("entering", &name);
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
    storage::on_set_flags(first, last, flags);
    table().set(first, last, flags);
    storage::check("leaving", &name);
}

/// `void tb_invalidate_phys_range(tb_page_addr_t start, tb_page_addr_t end, int)`.
#[no_mangle]
pub extern "C" fn tb_invalidate_phys_range(
    start: tb_page_addr_t,
    end: tb_page_addr_t,
    _is_cpu_write_access: c_int,
) {
    TB_CALLS.fetch_add(1, Relaxed);
    let name = || {
        format!(
            "tb_invalidate_phys_range({:#x}, {:#x})",
            start as u64, end as u64
        )
    };
    storage::check("entering", &name);
    let cb = TB_CALLBACK.load(Relaxed);
    if cb != 0 {
        // SAFETY: only `set_tb_callback` stores a value here, and it stores a `TbCallback`.
        let f: TbCallback = unsafe { std::mem::transmute::<usize, TbCallback>(cb) };
        f(start, end);
    }
    storage::check("leaving", &name);
}

/// The emulator's storage, allocated the way QEMU 2.3 allocates its page table, and the
/// invariant checker.
///
/// QEMU 2.3's `page_set_flags` gets its page-table levels from `mmap(NULL, ..)`
/// (translate-all.c `page_find_alloc`), so any emulator callback may map new host memory
/// wherever the kernel likes, including a hole the library left in the reserved guest
/// window; a later `MAP_FIXED` re-reservation or unmap by the library then destroys it.
/// The standalone page table itself is range-based, so this module stands for QEMU's
/// allocations: at every `page_set_flags` one 32 KiB block (the size of a QEMU 2.3 leaf:
/// 1024 `PageDesc`s of 32 bytes) from `mmap(NULL, ..)`, kept in a ring of four, and one per
/// 4 MiB leaf of guest space the first time it gets flags (as QEMU allocates a leaf),
/// kept until [`init`] or [`reset`].
///
/// The checker, on by default in standalone builds without the `preload` feature
/// (`QEMU_USER_MMAP_CHECK=0`/`1` or [`set_checks`](storage::set_checks) override), runs at the entry and exit
/// of every callback (`page_get_flags`, `page_set_flags`, `tb_invalidate_phys_range`) and
/// aborts with a message starting `INVARIANT VIOLATED` when (a) under `reserved_va` the
/// guest window has a hole (`msync(MS_ASYNC)` fails with `ENOMEM` over unmapped memory),
/// or (b) a block is no longer mapped and readable, or its canaries (first and last real
/// page) changed, as when the library mapped over it. A callback whose check would see the
/// same host state as the last one skips it: that state changes only through the
/// library's host calls, which `host` counts, so a scan of the window by `page_get_flags`
/// with no host call in between is checked once, at its first call.
pub mod storage {
    use std::collections::{BTreeMap, VecDeque};
    use std::sync::atomic::{
        AtomicU64, AtomicU8,
        Ordering::{Relaxed, SeqCst},
    };
    use std::sync::{Mutex, MutexGuard};

    use crate::guest::HostAddr;

    /// Bytes of one block: a QEMU 2.3 leaf (`V_L2_SIZE` 1024 descriptors of 32 bytes).
    pub const BLOCK_BYTES: u64 = 32 * 1024;
    const CHURN_RING: usize = 4;
    /// Guest pages per QEMU leaf.
    const LEAF_PAGES_BITS: u32 = 10;
    /// At most this many leaves are allocated for one `page_set_flags` call.
    const MAX_LEAVES_PER_CALL: u64 = 4096;

    #[derive(Clone, Copy, Debug)]
    struct Block {
        addr: u64,
        kind: &'static str,
    }

    struct Storage {
        leaves: BTreeMap<u64, Block>,
        churn: VecDeque<Block>,
    }

    static STORAGE: Mutex<Storage> = Mutex::new(Storage {
        leaves: BTreeMap::new(),
        churn: VecDeque::new(),
    });
    /// 0: not decided yet, 1: off, 2: on.
    static MODE: AtomicU8 = AtomicU8::new(0);
    static CHECKS: AtomicU64 = AtomicU64::new(0);
    /// The value of [`crate::host::changes`] when the last passing check began (`u64::MAX`:
    /// none since the checker was turned on or the storage cleared).
    static CHECKED_AT: AtomicU64 = AtomicU64::new(u64::MAX);

    fn storage() -> MutexGuard<'static, Storage> {
        STORAGE.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Turns the checker on or off.
    pub fn set_checks(on: bool) {
        MODE.store(if on { 2 } else { 1 }, Relaxed);
        CHECKED_AT.store(u64::MAX, SeqCst);
    }

    /// Whether the checker runs (and the QEMU-like allocations are made).
    pub fn checks_enabled() -> bool {
        match MODE.load(Relaxed) {
            1 => false,
            2 => true,
            _ => {
                let on = match std::env::var("QEMU_USER_MMAP_CHECK") {
                    Ok(v) if !v.is_empty() => v != "0",
                    _ => !cfg!(feature = "preload"),
                };
                set_checks(on);
                on
            }
        }
    }

    /// How many checks ran since start-up.
    pub fn check_count() -> u64 {
        CHECKS.load(Relaxed)
    }

    /// How many storage blocks are mapped now.
    pub fn blocks() -> usize {
        let s = storage();
        s.leaves.len() + s.churn.len()
    }

    fn canary(at: u64) -> u64 {
        0xc0ff_ee5e_ed5a_17ed ^ at
    }

    fn real_page() -> u64 {
        // SAFETY: sysconf has no preconditions.
        (unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64).max(1)
    }

    /// The two canary addresses of a block: its first and its last real page.
    fn canary_spots(b: &Block) -> [u64; 2] {
        [
            b.addr,
            b.addr + (BLOCK_BYTES - 1) / real_page() * real_page(),
        ]
    }

    /// `ALLOC(P, SIZE)` of translate-all.c: `mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
    /// MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)`.
    fn alloc(kind: &'static str) -> Option<Block> {
        // SAFETY: not MAP_FIXED: the host picks free memory, nothing is replaced.
        let p = unsafe {
            crate::host::mmap(
                HostAddr(0),
                BLOCK_BYTES,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        }
        .ok()?;
        let b = Block { addr: p.0, kind };
        for at in canary_spots(&b) {
            // SAFETY: `at` is 8-byte aligned inside the fresh, writable, private mapping
            // just created above, which nothing else knows of yet.
            unsafe { std::ptr::write(at as *mut u64, canary(at)) };
        }
        Some(b)
    }

    fn release(b: &Block) {
        // Best effort: the emulator releasing its own block.
        // SAFETY: the emulator's own block, no longer referenced (out of the list).
        let _ = unsafe { crate::host::munmap(HostAddr(b.addr), BLOCK_BYTES) };
    }

    /// What `page_set_flags(first page, end page, flags)` allocates: the churn block, and
    /// the leaves of pages getting flags for the first time.
    pub(super) fn on_set_flags(first: u64, end: u64, flags: i32) {
        if !checks_enabled() {
            return;
        }
        let mut s = storage();
        if let Some(b) = alloc("page_set_flags allocation") {
            s.churn.push_back(b);
        }
        if s.churn.len() > CHURN_RING {
            if let Some(old) = s.churn.pop_front() {
                release(&old);
            }
        }
        if flags == 0 || first >= end {
            return;
        }
        let (lo, hi) = (first >> LEAF_PAGES_BITS, (end - 1) >> LEAF_PAGES_BITS);
        let leaves: Vec<u64> = if hi - lo < MAX_LEAVES_PER_CALL {
            (lo..=hi).collect()
        } else {
            vec![lo, hi]
        };
        for leaf in leaves {
            if let std::collections::btree_map::Entry::Vacant(e) = s.leaves.entry(leaf) {
                if let Some(b) = alloc("page-table leaf") {
                    e.insert(b);
                }
            }
        }
    }

    /// Releases every block (init, reset).
    pub(super) fn clear() {
        let mut s = storage();
        for b in s.leaves.values().chain(s.churn.iter()) {
            release(b);
        }
        s.leaves.clear();
        s.churn.clear();
        CHECKED_AT.store(u64::MAX, SeqCst);
    }

    fn violation(phase: &str, callback: &str, what: &str) -> ! {
        crate::fatal(&format!(
            "standalone emulator: INVARIANT VIOLATED {phase} {callback}: {what}"
        ))
    }

    /// Runs the checks, unless nothing that could break the invariant happened since the
    /// last check that passed: the host state checked (the window's mappings, the blocks'
    /// mappings and contents) changes only through the library's host calls (counted by
    /// [`crate::host::changes`]) and the emulator's own allocations (also made through
    /// them), so when that count has not moved the previous result still holds.
    pub(super) fn check(phase: &str, callback: &dyn Fn() -> String) {
        if !checks_enabled() {
            return;
        }
        let changes = crate::host::changes();
        if CHECKED_AT.load(SeqCst) == changes {
            return;
        }
        check_now(phase, callback);
        CHECKED_AT.store(changes, SeqCst);
    }

    fn check_now(phase: &str, callback: &dyn Fn() -> String) {
        CHECKS.fetch_add(1, Relaxed);
        let (base, reserved) = super::window();
        if reserved != 0
            // SAFETY: MS_ASYNC only asks whether the reserved window is mapped; nothing changes.
            && unsafe { crate::host::msync(HostAddr(base), reserved, libc::MS_ASYNC) }
                .is_err_and(|e| e.0 == libc::ENOMEM)
        {
            let hole = first_hole(base, base.saturating_add(reserved));
            violation(
                phase,
                &callback(),
                &format!(
                    "hole in the reserved guest window ({})",
                    match hole {
                        Some((a, b)) =>
                            format!("host {a:#x}-{b:#x}, guest {:#x}-{:#x}", a - base, b - base),
                        None => format!("window host {base:#x}+{reserved:#x}"),
                    }
                ),
            );
        }
        let s = storage();
        let blocks: Vec<Block> = s.leaves.values().chain(s.churn.iter()).copied().collect();
        drop(s);
        for chunk in blocks.chunks(512) {
            let spots: Vec<(u64, &Block)> = chunk
                .iter()
                .flat_map(|b| canary_spots(b).map(|at| (at, b)))
                .collect();
            let remote: Vec<libc::iovec> = spots
                .iter()
                .map(|&(at, _)| libc::iovec {
                    iov_base: at as *mut libc::c_void,
                    iov_len: 8,
                })
                .collect();
            let mut got = vec![0u64; spots.len()];
            let local = libc::iovec {
                iov_base: got.as_mut_ptr().cast(),
                iov_len: got.len() * 8,
            };
            // SAFETY: `local` describes `got`, a live buffer of exactly `iov_len` bytes;
            // the remote iovecs are only read, by the kernel, which reports unreadable
            // memory as a short count or EFAULT instead of faulting.
            let n = unsafe {
                libc::process_vm_readv(
                    libc::getpid(),
                    &local,
                    1,
                    remote.as_ptr(),
                    remote.len() as libc::c_ulong,
                    0,
                )
            };
            if n < 0 && matches!(crate::host::Errno::last().0, libc::ENOSYS | libc::EPERM) {
                return; // not allowed here: no storage check
            }
            let read = (n.max(0) as usize) / 8;
            if read < spots.len() {
                let (at, b) = spots[read];
                violation(
                    phase,
                    &callback(),
                    &format!(
                        "the emulator's storage was unmapped or protected ({} at host \
                         {:#x}-{:#x}: {at:#x} is unreadable)",
                        b.kind,
                        b.addr,
                        b.addr + BLOCK_BYTES
                    ),
                );
            }
            for (i, &(at, b)) in spots.iter().enumerate() {
                if got[i] != canary(at) {
                    violation(
                        phase,
                        &callback(),
                        &format!(
                            "the emulator's storage was overwritten ({} at host \
                             {:#x}-{:#x}: content at {at:#x} replaced, mapped over)",
                            b.kind,
                            b.addr,
                            b.addr + BLOCK_BYTES
                        ),
                    );
                }
            }
        }
    }

    /// The first unmapped range inside `[lo, hi)`, from `/proc/self/maps`.
    fn first_hole(lo: u64, hi: u64) -> Option<(u64, u64)> {
        let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
        let mut cur = lo;
        for line in maps.lines() {
            let range = line.split_whitespace().next()?;
            let (a, b) = range.split_once('-')?;
            let (a, b) = (
                u64::from_str_radix(a, 16).ok()?,
                u64::from_str_radix(b, 16).ok()?,
            );
            if b <= cur {
                continue;
            }
            if a > cur {
                return Some((cur, a.min(hi)));
            }
            cur = b;
            if cur >= hi {
                return None;
            }
        }
        (cur < hi).then_some((cur, hi))
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

    // The emulator's own blocks go before a reservation may land over them.
    storage::clear();
    #[cfg(qum_guest_base)]
    let base = if config.reserved_va != 0 {
        let aligned = (config.guest_base + size - 1) & !(size - 1);
        let flags = libc::MAP_ANONYMOUS
            | libc::MAP_PRIVATE
            | libc::MAP_NORESERVE
            | if aligned != 0 { libc::MAP_FIXED } else { 0 };
        // SAFETY: the guest window being set up: memory the host picks or, with MAP_FIXED,
        // the address the caller of `init` gives to the guest.
        let p = unsafe {
            crate::host::mmap(
                crate::guest::HostAddr(aligned),
                config.reserved_va,
                libc::PROT_NONE,
                flags,
                -1,
                0,
            )
        }
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
    storage::clear();
    let emu = crate::emulator::Emulator::current();
    let window = emu.window();
    let mut result = Ok(());
    if window.reserved_va != 0 {
        // SAFETY: the guest window, emptied for the next run: guest memory.
        if let Err(e) = unsafe {
            crate::host::mmap(
                crate::guest::HostAddr(window.guest_base),
                window.reserved_va,
                libc::PROT_NONE,
                libc::MAP_ANONYMOUS | libc::MAP_PRIVATE | libc::MAP_NORESERVE | libc::MAP_FIXED,
                -1,
                0,
            )
        } {
            result = Err(InitError::ReservationFailed(e.0));
        }
    } else {
        let ps = TARGET_PAGE_SIZE as u64;
        let host_mask = !(emu.pages().size.max(1) - 1);
        for (first, end, _) in table().clone().ranges() {
            let start = first.saturating_mul(ps) & host_mask;
            let stop = end.saturating_mul(ps).saturating_add(!host_mask) & host_mask;
            if stop > start {
                let host = crate::guest::HostAddr(window.guest_base.saturating_add(start));
                // Best effort: a range the host no longer maps is already gone.
                // SAFETY: guest pages of the window (no reservation): guest memory.
                let _ = unsafe { crate::host::munmap(host, stop - start) };
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
    let w = crate::emulator::Emulator::current().window();
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
