//! The guest the integration tests share: the standalone emulator side, re-initialised for
//! each test (one test at a time: the emulator's globals are process-wide), with helpers to
//! read and write guest memory and to look at the host's mappings.

// Each test binary uses only some of these.
#![allow(dead_code)]

use std::os::raw::c_int;
use std::sync::{Mutex, MutexGuard};

use qemu_user_mmap::config::{abi_long, abi_ulong, TARGET_PAGE_SIZE};
use qemu_user_mmap::standalone::{self, Config};

pub mod ffi;
use ffi::target_mmap;

/// The target page size.
pub const PS: abi_ulong = TARGET_PAGE_SIZE;
/// `PROT_READ | PROT_WRITE`.
pub const RW: c_int = libc::PROT_READ | libc::PROT_WRITE;
/// A private anonymous mapping.
pub const ANON: c_int = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
/// A fixed private anonymous mapping.
pub const FIXED: c_int = ANON | libc::MAP_FIXED;
/// A fixed place in the middle of the window of [`Guest::new`], aligned to 64 KiB, clear
/// of the top where searches start.
pub const BASE: abi_ulong = 0x0100_0000;

/// The calling thread's `errno`.
pub fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap()
}

/// The real host page size.
pub fn real_page() -> abi_ulong {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as abi_ulong }
}

/// Maps `[start, start + len)` private, anonymous and fixed with `prot`; asserts it worked.
pub fn map_at(start: abi_ulong, len: abi_ulong, prot: c_int) -> abi_ulong {
    let r = target_mmap(start, len, prot, FIXED, -1, 0);
    assert_eq!(r, start as abi_long, "mapping at {start:#x}");
    start
}

/// An empty temporary file, already unlinked.
pub fn tempfile() -> std::fs::File {
    let path = std::env::temp_dir().join(format!(
        "qum-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    f
}

/// A temporary file of `len` bytes `byte`, already unlinked.
pub fn temp_file(len: usize, byte: u8) -> std::fs::File {
    use std::io::Write;
    let mut f = tempfile();
    f.write_all(&vec![byte; len]).unwrap();
    f
}

/// Serialises the tests of one binary.
pub static SERIAL: Mutex<()> = Mutex::new(());

/// The size of the reserved guest window of [`Guest::new`]: 256 MiB.
pub const RESERVED: u64 = 1 << 28;

/// `PAGE_WRITE_ORG`, which `page_set_flags` adds to writable pages.
const PAGE_WRITE_ORG: c_int = 0x10;

/// A fresh guest; holds [`SERIAL`] while it lives.
pub struct Guest {
    _serial: MutexGuard<'static, ()>,
}

impl Guest {
    /// A guest in a 256 MiB reserved window with host pages of `host_page_size` (0: the
    /// real page size).
    pub fn new(host_page_size: u64) -> Guest {
        Guest::with(&Config {
            host_page_size,
            reserved_va: RESERVED,
            guest_base: 0,
            mmap_min_addr: 0x10000,
        })
    }

    /// A guest with the emulator side set up as `config` says.
    pub fn with(config: &Config) -> Guest {
        let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        standalone::init(config).expect("init");
        Guest { _serial: serial }
    }

    /// The host address of guest address `g`.
    pub fn host(&self, g: abi_ulong) -> *mut u8 {
        (standalone::window().0 + g as u64) as *mut u8
    }

    /// Writes `byte` over `[g, g + len)`, which the caller mapped writable.
    pub fn fill(&self, g: abi_ulong, len: abi_ulong, byte: u8) {
        // SAFETY: the caller maps [g, g + len) writable first.
        unsafe { std::ptr::write_bytes(self.host(g), byte, len as usize) }
    }

    /// Whether every byte of `[g, g + len)`, which the caller mapped readable, is `byte`.
    pub fn all(&self, g: abi_ulong, len: abi_ulong, byte: u8) -> bool {
        // SAFETY: the caller maps [g, g + len) readable first.
        unsafe { std::slice::from_raw_parts(self.host(g), len as usize) }
            .iter()
            .all(|&b| b == byte)
    }

    /// The page flags of the page at `g`.
    pub fn flags(&self, g: abi_ulong) -> c_int {
        standalone::page_get_flags(g as _)
    }

    /// The page flags of the page at `g` without `PAGE_WRITE_ORG`.
    pub fn prot_flags(&self, g: abi_ulong) -> c_int {
        self.flags(g) & !PAGE_WRITE_ORG
    }

    /// The host protection of the guest page at `g`, from /proc/self/maps (None: unmapped).
    pub fn host_prot(&self, g: abi_ulong) -> Option<String> {
        let addr = self.host(g) as u64;
        host_mappings()
            .into_iter()
            .find(|(lo, hi, _)| *lo <= addr && addr < *hi)
            .map(|(_, _, line)| line[..3].to_string())
    }

    /// The host mappings over `[g, g + len)`, from /proc/self/maps: range, protection,
    /// offset, device and inode of each.
    pub fn host_maps(&self, g: abi_ulong, len: abi_ulong) -> Vec<String> {
        let (lo, hi) = (self.host(g) as u64, self.host(g) as u64 + len as u64);
        std::fs::read_to_string("/proc/self/maps")
            .unwrap()
            .lines()
            .filter(|line| {
                let (a, b) = parse_range(line).unwrap();
                a < hi && lo < b
            })
            .map(|l| l.split_whitespace().take(5).collect::<Vec<_>>().join(" "))
            .collect()
    }
}

/// The start and end of a /proc/self/maps line.
fn parse_range(line: &str) -> Option<(u64, u64)> {
    let (range, _) = line.split_once(' ')?;
    let (lo, hi) = range.split_once('-')?;
    Some((
        u64::from_str_radix(lo, 16).ok()?,
        u64::from_str_radix(hi, 16).ok()?,
    ))
}

/// Every host mapping: start, end, and the rest of its line (from the protection on).
fn host_mappings() -> Vec<(u64, u64, String)> {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter_map(|line| {
            let (lo, hi) = parse_range(line)?;
            Some((lo, hi, line.split_once(' ')?.1.to_string()))
        })
        .collect()
}
