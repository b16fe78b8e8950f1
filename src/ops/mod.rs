//! The guest calls, one module each. Each reads as the story of one call: validate, compute
//! the host range, handle the partial host pages at each end, handle the middle, update the
//! page flags, invalidate translated code.

use std::os::raw::c_int;

use crate::host::Errno;

pub(crate) mod find;
pub(crate) mod map;
pub(crate) mod protect;
pub(crate) mod remap;
pub(crate) mod sync;
pub(crate) mod unmap;

/// Fails with -1 and `errno` set to `e`.
pub(crate) fn err<T>(e: c_int) -> Outcome<T> {
    Err(Failure::Errno(e))
}

/// Fails, as [`err`], unless `ok`.
pub(crate) fn ensure(ok: bool, e: c_int) -> Outcome<()> {
    if ok {
        Ok(())
    } else {
        err(e)
    }
}

/// Fails with the literal negative errno `-e` unless `ok`.
pub(crate) fn ensure_neg(ok: bool, e: c_int) -> Outcome<()> {
    if ok {
        Ok(())
    } else {
        Err(Failure::Negative(e))
    }
}

/// How a guest call failed, in the original's two conventions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Failure {
    /// Return -1 with `errno` set to this value.
    Errno(c_int),
    /// Return this negative errno as the result itself (`-EINVAL`), without touching `errno`.
    Negative(c_int),
}

impl From<Errno> for Failure {
    fn from(e: Errno) -> Failure {
        Failure::Errno(e.0)
    }
}

/// The result of a guest call.
pub(crate) type Outcome<T> = Result<T, Failure>;

use crate::emulator::Emulator;
use crate::guest::{narrow, pages_touching, target_pages_touching, GuestAddr};

/// The OR of the page flags of every target page holding a byte of `[from, to)`: the
/// original's `for (addr = from; addr < to; addr += TARGET_PAGE_SIZE) prot |=
/// page_get_flags(addr);`, and equally its byte-by-byte loops, with one lookup per page.
/// `to <= from` (including a `to` that wrapped to 0) looks at nothing, as in C.
pub(crate) fn flags_between(emu: &Emulator, from: GuestAddr, to: GuestAddr) -> c_int {
    target_pages_touching(from.wide(), to.wide())
        .fold(0, |acc, page| acc | emu.page_flags(GuestAddr(narrow(page))))
}

/// The host pages `[real_start, real_end)` of the guest range `[start, end)`, with the OR of
/// the page flags of the other guest pages of the host page at either end that the range
/// holds only part of (`None` at an end that is a host page boundary; a range inside one
/// host page has only the head, which then also holds the pages after the range).
// Always inlined: fewer instructions per call on the benches (callgrind).
#[inline(always)]
fn host_edges(emu: &Emulator, start: GuestAddr, end: GuestAddr) -> HostEdges {
    let pages = emu.pages();
    let (real_start, real_end) = (pages.start_of(start), pages.align_guest(end));
    let head = (start > real_start).then(|| flags_between(emu, real_start, start));
    let tail = (end < real_end).then(|| flags_between(emu, end, real_end));
    match head {
        Some(h) if pages.is_single_page(real_start, real_end) => {
            (real_start, real_end, Some(h | tail.unwrap_or(0)), None)
        }
        _ => (real_start, real_end, head, tail),
    }
}

/// What [`host_edges`] returns: the host range, and the flags of the other guest pages of its
/// partial first and last host pages.
type HostEdges = (GuestAddr, GuestAddr, Option<c_int>, Option<c_int>);

/// The host pages of `[start, end)` that can be released, as (start, length), when there are
/// any: `[real_start, real_end)` minus a partial host page at either end that still holds
/// other guest pages. Shared by munmap and the re-reservation under `reserved_va`.
// Always inlined: fewer instructions per call on the benches (callgrind).
#[inline(always)]
fn releasable(emu: &Emulator, start: GuestAddr, end: GuestAddr) -> Option<(GuestAddr, u64)> {
    let (mut lo, mut hi, head, tail) = host_edges(emu, start, end);
    if head.is_some_and(|others| others != 0) {
        lo = lo.add(emu.pages().size_abi());
    }
    if tail.is_some_and(|others| others != 0) {
        hi = hi.sub(emu.pages().size_abi());
    }
    (lo < hi).then(|| (lo, hi.distance_from(lo) as u64))
}

/// A status in C form: 0, -1 with `errno` set, or a literal negative errno.
pub(crate) fn c_status(outcome: Outcome<()>) -> c_int {
    match outcome {
        Ok(()) => 0,
        Err(Failure::Negative(e)) => -e,
        Err(Failure::Errno(e)) => {
            crate::host::set_errno(e);
            -1
        }
    }
}

/// Gives each host page in `host_pages` the union of its guest pages' protections when it
/// holds a guest page (one whose pages are all `PROT_NONE` becomes `PROT_NONE`); one
/// without guest pages was released and is left alone. Best effort, as the original's
/// fragment `mprotect`s: a refusal leaves the host page as it was. Only for host pages
/// larger than target pages (the fragment model; otherwise nothing is to do): the callers
/// check that before computing the host pages.
fn narrow_host_pages(emu: &Emulator, host_pages: impl Iterator<Item = u64>) {
    for page in host_pages.map(|p| GuestAddr(narrow(p))) {
        let flags = flags_between(emu, page, page.add(emu.pages().size_abi()));
        if flags & crate::config::PAGE_VALID != 0 {
            let _ = emu.mprotect(page, emu.pages().size, flags & crate::config::PAGE_BITS);
        }
    }
}

/// After guest pages of the host pages at either end of `[start, end)` went away, narrows
/// those host pages back to the union of what is left, so the host never allows more than
/// the page flags do. (2.3 left the wider protection.)
// Always inlined: fewer instructions per call on the benches (callgrind).
#[inline(always)]
pub(crate) fn tighten_edge_host_pages(emu: &Emulator, start: GuestAddr, end: GuestAddr) {
    if end > start && fragment_model(emu) {
        let first = emu.pages().start_of(start).wide();
        let last = emu.pages().start_of(end.sub(1)).wide();
        let edges = [first, last].into_iter().take(1 + (last != first) as usize);
        narrow_host_pages(emu, edges);
    }
}

/// Gives every host page holding a byte of the guest range `[from, to)` the union of its
/// guest pages' protections.
pub(crate) fn set_union_protection(emu: &Emulator, from: u64, to: u64) {
    if fragment_model(emu) {
        narrow_host_pages(emu, pages_touching(from, to, emu.pages().size));
    }
}

/// Whether a host page holds several target pages (`-p 65536`): only then can a host page's
/// protection differ from the union of its guest pages'.
pub(crate) fn fragment_model(emu: &Emulator) -> bool {
    emu.pages().size > crate::config::TARGET_PAGE_SIZE as u64
}

/// What the unit tests of the guest calls share: a standalone guest (the emulator side of
/// the `standalone` module), one test at a time, since the emulator's globals are
/// process-wide.
#[cfg(test)]
pub(crate) mod testing {
    use std::io::Write;
    use std::sync::{Mutex, MutexGuard};

    use crate::config::{abi_ulong, TARGET_PAGE_SIZE};
    use crate::emulator::Emulator;
    use crate::guest::GuestAddr;
    use crate::standalone::{self, Config};

    /// The target page size.
    pub const PS: abi_ulong = TARGET_PAGE_SIZE;
    /// A place in the middle of the guest window, aligned to 64 KiB.
    pub const BASE: GuestAddr = GuestAddr(0x0100_0000);

    static SERIAL: Mutex<()> = Mutex::new(());

    /// A fresh guest in a 256 MiB reserved window, with host pages of `host_page_size`
    /// (0: the real page size). The guard serialises the tests that use a guest.
    pub fn guest(host_page_size: u64) -> (MutexGuard<'static, ()>, Emulator) {
        let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let config = Config {
            host_page_size,
            reserved_va: 1 << 28,
            guest_base: 0,
            mmap_min_addr: 0x10000,
        };
        standalone::init(&config).expect("init");
        (serial, Emulator::current())
    }

    /// An unlinked temporary file holding `bytes`.
    pub fn temp_file(bytes: &[u8]) -> std::fs::File {
        let path = std::env::temp_dir().join(format!("qum-ops-{}", std::process::id()));
        let mut f = std::fs::File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    /// The guest bytes `[at, at + len)`, which are mapped readable.
    pub fn read(emu: &Emulator, at: GuestAddr, len: abi_ulong) -> Vec<u8> {
        let p = emu.window().g2h(at).0 as *const u8;
        // SAFETY: the test mapped the range readable; nothing else changes it meanwhile.
        unsafe { std::slice::from_raw_parts(p, len as usize) }.to_vec()
    }

    /// The host protection (`rwx` letters) of the guest address `at`, from /proc/self/maps.
    pub fn host_prot(emu: &Emulator, at: GuestAddr) -> String {
        let addr = emu.window().g2h(at).0;
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let line = maps.lines().find(|l| {
            let (lo, hi) = l.split_once(' ').unwrap().0.split_once('-').unwrap();
            let range = u64::from_str_radix(lo, 16).unwrap()..u64::from_str_radix(hi, 16).unwrap();
            range.contains(&addr)
        });
        line.map_or("unmapped", |l| &l.split_whitespace().nth(1).unwrap()[..3])
            .to_string()
    }
}
