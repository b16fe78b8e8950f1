//! The fuzz harness shared by the targets: bytes become a script of guest
//! operations against the library in standalone mode, inside a reserved
//! guest window flanked by two guard regions the harness owns. After every
//! step it checks:
//!
//! * page flags match a model kept with Linux semantics (per page: valid and
//!   its protection): a refused call changes nothing, except `mprotect` over a
//!   hole, which changes the pages before the first unmapped one (Linux);
//! * the host mappings inside the window match the page flags (per host page:
//!   the union of its guest pages' protections; no hole in the reservation);
//! * no host mapping changed outside the window (the guards are intact);
//! * guest memory the model knows (zero, a written byte, file data) is there.
//!
//! Nothing is steered around: every input the decoder accepts runs, and a
//! violation aborts the fuzzer (a library bug, or a harness bug).
//!
//! Speed: one process runs all inputs; `standalone::reset` returns the window
//! to a bare reservation between them. The checks avoid per-byte loops (the
//! harness is instrumented too): flags and host protections are laid out in
//! byte vectors compared with `memcmp`, the host mappings are read with the
//! `PROCMAP_QUERY` ioctl (Linux 6.11+; `/proc/self/maps` otherwise, or with
//! `QUM_FUZZ_PROC_MAPS` set in the environment), and
//! contents are compared page by page against reference pages.

#![allow(clippy::unnecessary_cast)]

use std::os::raw::{c_int, c_ulong};
use std::sync::OnceLock;

use qemu_user_mmap::config::{abi_long, abi_ulong, TARGET_PAGE_SIZE};
// The exports through the tests' safe wrappers (one copy): the harness maps only inside
// its standalone guest window.
#[path = "../../tests/common/ffi.rs"]
mod ffi;
use ffi::*;
use qemu_user_mmap::standalone::{self, Config};

const PS: u64 = TARGET_PAGE_SIZE as u64;
/// The reserved guest window.
const WIN: u64 = 4 << 20;
/// A guard region on each side of the window.
const GUARD: u64 = 1 << 20;
const FILE_BYTES: u64 = 4 << 20;
const VALID: c_int = 0x8;
const RWX: c_int = 0x7;
/// The most steps one input runs.
const MAX_STEPS: usize = 48;

struct Env {
    /// the guard below the window starts here
    region: u64,
    /// guest base: `region + GUARD`
    base: u64,
    /// the emulated host page size (at least the real one and a target page)
    host_page: u64,
    /// the real page size
    real: u64,
    fd: c_int,
    /// the file's contents (`file_byte`)
    data: Vec<u8>,
    /// `/proc/self/maps`, for `PROCMAP_QUERY`
    maps_fd: c_int,
}

fn file_byte(i: u64) -> u8 {
    (((i as u32).wrapping_add(1).wrapping_mul(2654435761)) >> 24) as u8 | 1
}

/// Sets the process up once: the guards, the window (via `standalone::init`)
/// and the file. Each input then starts from `standalone::reset`.
fn env(host_page: u64) -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    let e = ENV.get_or_init(|| {
        // SAFETY: a fresh PROT_NONE reservation for the window and its guards.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                (WIN + 2 * GUARD + (1 << 16)) as usize,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        let region = ((p as u64) + 0xffff) & !0xffff;
        let base = region + GUARD;
        standalone::init(&Config {
            host_page_size: host_page,
            reserved_va: WIN,
            guest_base: base,
            mmap_min_addr: 0x10000,
        })
        .expect("init");
        let (gb, _) = standalone::window();
        assert_eq!(gb, base, "guest base");
        // SAFETY: sysconf has no preconditions.
        let real = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
        let hp = if host_page == 0 { real.max(PS) } else { host_page.max(PS).max(real) };
        // SAFETY: memfd_create with a static name.
        let fd = unsafe { libc::memfd_create(c"qum-fuzz".as_ptr(), 0) };
        assert!(fd >= 0);
        let data: Vec<u8> = (0..FILE_BYTES).map(file_byte).collect();
        // SAFETY: writing our own buffer to our own descriptor.
        let n = unsafe { libc::pwrite(fd, data.as_ptr().cast(), data.len(), 0) };
        assert_eq!(n as usize, data.len());
        // SAFETY: opening a procfs file read-only.
        let maps_fd = unsafe { libc::open(c"/proc/self/maps".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        assert!(maps_fd >= 0);
        if std::env::var_os("QUM_FUZZ_PROC_MAPS").is_some() {
            NO_QUERY.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        Env { region, base, host_page: hp, real, fd, data, maps_fd }
    });
    assert_eq!(
        e.host_page,
        if host_page == 0 { e.real.max(PS) } else { host_page.max(PS).max(e.real) },
        "one host page size per process"
    );
    e
}

/// `struct procmap_query` (linux/fs.h).
#[repr(C)]
#[derive(Default)]
struct ProcmapQuery {
    size: u64,
    query_flags: u64,
    query_addr: u64,
    vma_start: u64,
    vma_end: u64,
    vma_flags: u64,
    vma_page_size: u64,
    vma_offset: u64,
    inode: u64,
    dev_major: u32,
    dev_minor: u32,
    vma_name_size: u32,
    build_id_size: u32,
    vma_name_addr: u64,
    build_id_addr: u64,
}
/// `_IOWR('f', 17, struct procmap_query)`
const PROCMAP_QUERY: c_ulong = 0xC068_6611;
const PROCMAP_QUERY_COVERING_OR_NEXT_VMA: u64 = 0x10;

/// Set when the kernel has no `PROCMAP_QUERY` (or `QUM_FUZZ_PROC_MAPS` is set in
/// the environment): `/proc/self/maps` is parsed instead.
static NO_QUERY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The host mappings meeting `[lo, hi)`: `(start, end, prot)`, in address order.
fn host_maps(env: &Env, lo: u64, hi: u64, out: &mut Vec<(u64, u64, u8)>) {
    out.clear();
    if !NO_QUERY.load(std::sync::atomic::Ordering::Relaxed) {
        let mut a = lo;
        while a < hi {
            let mut q = ProcmapQuery {
                size: std::mem::size_of::<ProcmapQuery>() as u64,
                query_flags: PROCMAP_QUERY_COVERING_OR_NEXT_VMA,
                query_addr: a,
                ..Default::default()
            };
            // SAFETY: PROCMAP_QUERY reads and writes the struct it is given; no name
            // or build id buffers are asked for.
            let r = unsafe { libc::ioctl(env.maps_fd, PROCMAP_QUERY as _, &mut q as *mut ProcmapQuery) };
            if r != 0 {
                match std::io::Error::last_os_error().raw_os_error() {
                    Some(libc::ENOENT) => return,
                    _ if a == lo && out.is_empty() => {
                        NO_QUERY.store(true, std::sync::atomic::Ordering::Relaxed);
                        break;
                    }
                    e => panic!("PROCMAP_QUERY at {a:#x}: {e:?}"),
                }
            }
            if q.vma_start >= hi {
                return;
            }
            out.push((q.vma_start, q.vma_end, (q.vma_flags & 7) as u8));
            a = q.vma_end;
        }
        if !NO_QUERY.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
    }
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    for line in maps.lines() {
        let mut it = line.split_whitespace();
        let (Some(r), Some(perm)) = (it.next(), it.next()) else { continue };
        let Some((l, h)) = r.split_once('-') else { continue };
        let (Ok(l), Ok(h)) = (u64::from_str_radix(l, 16), u64::from_str_radix(h, 16)) else { continue };
        let pb = perm.as_bytes();
        let prot = u8::from(pb[0] == b'r') | (u8::from(pb[1] == b'w') << 1) | (u8::from(pb[2] == b'x') << 2);
        if h > lo && l < hi {
            out.push((l, h, prot));
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Content {
    Unknown,
    Byte(u8),
    /// file data from this byte offset
    File(u64),
}

struct Bytes<'a>(&'a [u8], usize);
impl Bytes<'_> {
    fn u8(&mut self) -> Option<u8> {
        let b = *self.0.get(self.1)?;
        self.1 += 1;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from(self.u8()?) | (u16::from(self.u8()?) << 8))
    }
}

/// One decoded step, kept for the failure report (read through `Debug`).
#[allow(dead_code)]
#[derive(Debug)]
enum Step {
    MapFixedAnon { page: u64, n: u64, prot: c_int },
    MapFixedFile { page: u64, n: u64, prot: c_int, shared: bool, off: u64 },
    MapAnywhere { n: u64, hint: u64, prot: c_int },
    Munmap { page: u64, n: u64 },
    Mprotect { page: u64, n: u64, prot: c_int },
    Mremap { page: u64, n: u64, new_n: u64, flags: u64, to: Option<u64> },
    Msync { page: u64, n: u64 },
    Write { page: u64, byte: u8 },
    FindVma { n: u64 },
}

struct Run {
    env: &'static Env,
    host_page: u64,
    base: u64,
    pages: u64,
    /// per target page: VALID | prot, or 0
    flags: Vec<u8>,
    content: Vec<Content>,
    shared: Vec<bool>,
    /// the expected host protection per real page of the window
    exp: Vec<u8>,
    /// pages whose flags changed since `exp` was brought up to date
    dirty: Option<(u64, u64)>,
    /// a shared file map was asked for: the file is compared at the end
    file_shared: bool,
    step: usize,
    log: Vec<Step>,
    // scratch
    act_flags: Vec<u8>,
    act_host: Vec<u8>,
    maps: Vec<(u64, u64, u8)>,
    page_buf: Vec<u8>,
}

fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn prot_of(b: u8) -> c_int {
    [libc::PROT_NONE, libc::PROT_READ, libc::PROT_READ | libc::PROT_WRITE, libc::PROT_READ | libc::PROT_EXEC][(b & 3) as usize]
}

impl Run {
    #[cold]
    fn fail(&self, what: String) -> ! {
        eprintln!("qum-fuzz: script so far (host page {:#x}, target page {PS:#x}):", self.host_page);
        for (i, l) in self.log.iter().enumerate() {
            eprintln!("  {i}: {l:?}");
        }
        panic!("qum-fuzz invariant violated at step {}: {what}", self.step);
    }

    fn g(&self, page: u64) -> abi_ulong {
        (page * PS) as abi_ulong
    }

    fn host(&self, page: u64) -> *mut u8 {
        (self.base + page * PS) as *mut u8
    }

    /// a page range inside the window: first page (from 16 bits), count 1..=32
    fn range(&self, b: &mut Bytes) -> Option<(u64, u64)> {
        let first = 16 + u64::from(b.u16()?) % (self.pages - 16);
        let n = 1 + u64::from(b.u8()?) % 32;
        Some((first, n.min(self.pages - first)))
    }

    fn all_valid(&self, first: u64, n: u64) -> bool {
        !self.flags[first as usize..(first + n) as usize].iter().any(|&f| f & VALID as u8 == 0)
    }

    fn all_free(&self, first: u64, n: u64) -> bool {
        first + n <= self.pages && self.flags[first as usize..(first + n) as usize].iter().all(|&f| f == 0)
    }

    fn touch(&mut self, first: u64, end: u64) {
        self.dirty = Some(match self.dirty {
            None => (first, end),
            Some((a, b)) => (a.min(first), b.max(end)),
        });
    }

    fn set(&mut self, first: u64, n: u64, flags: c_int, c: Content, shared: bool) {
        for (i, p) in (first..first + n).enumerate() {
            self.flags[p as usize] = flags as u8;
            self.content[p as usize] = match c {
                Content::File(off) => Content::File(off + i as u64 * PS),
                other => other,
            };
            self.shared[p as usize] = shared;
        }
        self.touch(first, first + n);
    }

    fn clear(&mut self, first: u64, n: u64) {
        self.set(first, n, 0, Content::Unknown, false);
    }

    fn step(&mut self, b: &mut Bytes) -> Option<()> {
        let op = b.u8()? % 11;
        let env = self.env;
        match op {
            0 => {
                // MAP_FIXED anonymous
                let (p, n) = self.range(b)?;
                let prot = prot_of(b.u8()?);
                self.log.push(Step::MapFixedAnon { page: p, n, prot });
                let r = target_mmap(self.g(p), self.g(n), prot, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED, -1, 0);
                if r != self.g(p) as abi_long {
                    self.fail(format!("fixed anonymous map failed: {r} errno {}", errno()));
                }
                self.set(p, n, VALID | prot, Content::Byte(0), false);
                self.check_contents(p, n);
            }
            1 => {
                // MAP_FIXED file, private or shared
                let (p, n) = self.range(b)?;
                let prot = prot_of(b.u8()?);
                let x = b.u8()?;
                let shared = x & 1 != 0;
                let off = (u64::from(x >> 1) % 64) * PS;
                self.log.push(Step::MapFixedFile { page: p, n, prot, shared, off });
                self.file_shared |= shared;
                let flags = if shared { libc::MAP_SHARED } else { libc::MAP_PRIVATE } | libc::MAP_FIXED;
                let r = target_mmap(self.g(p), self.g(n), prot, flags, env.fd, off as abi_ulong);
                if r == self.g(p) as abi_long {
                    self.set(p, n, VALID | prot, Content::File(off), shared);
                    self.check_contents(p, n);
                } else if shared && r == -1 && errno() == libc::EINVAL && self.host_page > PS {
                    // the library's documented limit: shared file data cannot be
                    // faked in a partial host page; Linux would change nothing, so
                    // the model stays as it was and check_all compares
                } else {
                    self.fail(format!("fixed file map failed: {r} errno {}", errno()));
                }
            }
            2 => {
                // not fixed, with a hint or none
                let n = 1 + u64::from(b.u8()?) % 64;
                let hint = if b.u8()? & 1 != 0 { self.g(16 + u64::from(b.u16()?) % (self.pages - 16)) } else { 0 };
                let prot = prot_of(b.u8()?);
                self.log.push(Step::MapAnywhere { n, hint: hint as u64, prot });
                let r = target_mmap(hint, self.g(n), prot, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0);
                if r == -1 {
                    if errno() != libc::ENOMEM {
                        self.fail(format!("map anywhere: errno {}", errno()));
                    }
                } else {
                    let a = r as abi_ulong as u64;
                    if !a.is_multiple_of(PS) || a / PS + n > self.pages || a < 0x10000 {
                        self.fail(format!("map anywhere returned {a:#x}"));
                    }
                    if !self.all_free(a / PS, n) {
                        self.fail(format!("map anywhere returned {a:#x}, over used pages"));
                    }
                    self.set(a / PS, n, VALID | prot, Content::Byte(0), false);
                    self.check_contents(a / PS, n);
                }
            }
            3 => {
                let (p, n) = self.range(b)?;
                self.log.push(Step::Munmap { page: p, n });
                let r = target_munmap(self.g(p), self.g(n));
                if r != 0 {
                    self.fail(format!("munmap: {r} errno {}", errno()));
                }
                self.clear(p, n);
            }
            4 => {
                let (p, n) = self.range(b)?;
                let prot = prot_of(b.u8()?);
                self.log.push(Step::Mprotect { page: p, n, prot });
                let r = target_mprotect(self.g(p), self.g(n), prot);
                // Linux changes the pages up to the first unmapped one, then
                // fails with ENOMEM if there is one
                let hole = self.flags[p as usize..(p + n) as usize].iter().position(|&f| f & VALID as u8 == 0);
                let done = hole.map_or(n, |h| h as u64);
                if hole.is_none() && r != 0 {
                    self.fail(format!("mprotect of mapped pages: {r} errno {}", errno()));
                }
                if hole.is_some() && (r != -1 || errno() != libc::ENOMEM) {
                    self.fail(format!("mprotect over a hole: {r} errno {} (want -1 ENOMEM)", errno()));
                }
                for q in p..p + done {
                    self.flags[q as usize] = (VALID | prot) as u8;
                }
                self.touch(p, p + done);
            }
            5 | 6 => {
                // mremap: in place (5), or may move / fixed (6)
                let (p, n) = self.range(b)?;
                let x = b.u8()?;
                let new_n = 1 + u64::from(x) % 40;
                let mut fixed_to = None;
                let mut flags = 0u64;
                if op == 6 {
                    flags = libc::MREMAP_MAYMOVE as u64;
                    let y = b.u16()?;
                    if y & 1 != 0 {
                        flags |= libc::MREMAP_FIXED as u64;
                        fixed_to = Some(16 + u64::from(y >> 1) % (self.pages - 16));
                    }
                }
                self.log.push(Step::Mremap { page: p, n, new_n, flags, to: fixed_to });
                let new_addr = fixed_to.map_or(0, |q| self.g(q));
                let r = target_mremap(self.g(p), self.g(n), self.g(new_n), flags as _, new_addr);
                if r == -1 {
                    let e = errno();
                    if ![libc::ENOMEM, libc::EFAULT, libc::EINVAL].contains(&e) {
                        self.fail(format!("mremap errno {e}"));
                    }
                    // refused: nothing changed (the model stays; check_all compares)
                } else {
                    let a = r as abi_ulong as u64;
                    if !a.is_multiple_of(PS) || a / PS + new_n > self.pages {
                        self.fail(format!("mremap returned {a:#x}"));
                    }
                    let q = a / PS;
                    if let Some(t) = fixed_to {
                        if q != t {
                            self.fail(format!("MREMAP_FIXED returned page {q}, not {t}"));
                        }
                    }
                    if q != p && flags == 0 {
                        self.fail("moved without MREMAP_MAYMOVE".into());
                    }
                    // the pages come along with their own flags; a grown tail
                    // takes the last page's; the old range is released
                    let kept = n.min(new_n);
                    let last = self.flags[(p + n - 1) as usize];
                    // a grown shared file mapping stays shared: the tail is file memory
                    let last_shared = self.shared[(p + n - 1) as usize];
                    let moved: Vec<(u8, Content, bool)> = (p..p + kept)
                        .map(|i| (self.flags[i as usize], self.content[i as usize], self.shared[i as usize]))
                        .collect();
                    if q != p || new_n < n {
                        let (from, cnt) = if q != p { (p, n) } else { (p + new_n, n - new_n) };
                        self.clear(from, cnt);
                    }
                    for (i, (f, c, s)) in moved.into_iter().enumerate() {
                        let t = (q + i as u64) as usize;
                        self.flags[t] = f;
                        self.content[t] = c;
                        self.shared[t] = s;
                    }
                    if new_n > n {
                        for t in q + n..q + new_n {
                            self.flags[t as usize] = last;
                            self.content[t as usize] = Content::Unknown;
                            self.shared[t as usize] = last_shared;
                        }
                    }
                    self.touch(q, q + new_n);
                    self.check_contents(q, new_n);
                }
            }
            7 => {
                let (p, n) = self.range(b)?;
                self.log.push(Step::Msync { page: p, n });
                let r = target_msync(self.g(p), self.g(n), libc::MS_ASYNC);
                let want = if self.all_valid(p, n) { 0 } else { -1 };
                if r != want || (r == -1 && errno() != libc::ENOMEM) {
                    self.fail(format!("msync: {r} errno {} (want {want})", errno()));
                }
            }
            8 | 9 => {
                // write a page the model says is writable private memory
                let p = 16 + u64::from(b.u16()?) % (self.pages - 16);
                let v = b.u8()?;
                let f = c_int::from(self.flags[p as usize]);
                if f & VALID != 0 && f & libc::PROT_WRITE != 0 && !self.shared[p as usize] {
                    self.log.push(Step::Write { page: p, byte: v });
                    // SAFETY: the page is mapped writable (checked against the
                    // host after every step)
                    unsafe { std::ptr::write_bytes(self.host(p), v, PS as usize) };
                    self.content[p as usize] = Content::Byte(v);
                }
            }
            _ => {
                let n = 1 + u64::from(b.u8()?) % 64;
                self.log.push(Step::FindVma { n });
                mmap_lock();
                let r = mmap_find_vma(0, self.g(n)) as u64;
                mmap_unlock();
                if r != abi_ulong::MAX as u64 {
                    let hn = (n * PS).div_ceil(self.host_page) * self.host_page / PS;
                    if !r.is_multiple_of(PS) || r / PS + hn > self.pages || !self.all_free(r / PS, hn) {
                        self.fail(format!("mmap_find_vma returned {r:#x} (not free)"));
                    }
                }
            }
        }
        self.check_all();
        self.step += 1;
        Some(())
    }

    /// Checks the memory of pages in `[first, first + n)` the model knows. Not
    /// every page (each read of a fresh page is a page fault, the largest cost
    /// of an execution): the first and last of the range, the first and last
    /// of each host page (where fragments meet), and every fourth.
    fn check_contents(&mut self, first: u64, n: u64) {
        let env = self.env;
        let hpp = self.host_page / PS;
        for p in first..first + n {
            let edge = p == first || p + 1 == first + n || (hpp > 1 && (p % hpp == 0 || p % hpp == hpp - 1));
            if !edge && !(p - first).is_multiple_of(4) {
                continue;
            }
            let f = c_int::from(self.flags[p as usize]);
            if f & VALID == 0 || f & libc::PROT_READ == 0 {
                continue;
            }
            // SAFETY: the page is readable (flags and host agree: check_all)
            let page = unsafe { std::slice::from_raw_parts(self.host(p), PS as usize) };
            let want: &[u8] = match self.content[p as usize] {
                Content::Unknown => continue,
                Content::Byte(v) => {
                    if self.page_buf[0] != v {
                        self.page_buf.fill(v);
                    }
                    &self.page_buf
                }
                Content::File(off) => match env.data.get(off as usize..(off + PS) as usize) {
                    Some(d) => d,
                    None => self.fail(format!("file offset {off:#x} beyond the test file (harness bug)")),
                },
            };
            if page != want {
                let i = page.iter().zip(want).position(|(a, b)| a != b).unwrap_or(0);
                self.fail(format!(
                    "contents of page {p} at byte {i}: {:#x}, model {:?}",
                    page[i], self.content[p as usize]
                ));
            }
        }
    }

    /// Brings `exp` up to date for the host pages meeting the dirty pages.
    fn refresh_expected(&mut self) {
        let Some((lo, hi)) = self.dirty.take() else { return };
        let hpp = self.host_page / PS;
        let rpp = (self.host_page / self.env.real) as usize;
        let (hlo, hhi) = (lo / hpp, hi.div_ceil(hpp));
        for hp in hlo..hhi {
            let f = &self.flags[(hp * hpp) as usize..((hp + 1) * hpp) as usize];
            let mut union = 0u8;
            for &x in f {
                if x & VALID as u8 != 0 {
                    union |= x;
                }
            }
            let union = union & RWX as u8;
            self.exp[hp as usize * rpp..(hp as usize + 1) * rpp].fill(union);
        }
    }

    fn check_all(&mut self) {
        // 1. page flags against the model: the table laid out per page
        self.act_flags.fill(0);
        let mut outside = None;
        for (s, e, f) in standalone::page_table().ranges() {
            let f = (f & (VALID | RWX)) as u8;
            if e > self.pages {
                outside = Some((s, e, f));
            }
            if s < self.pages {
                self.act_flags[s as usize..e.min(self.pages) as usize].fill(f);
            }
        }
        if let Some((s, e, f)) = outside {
            self.fail(format!("page flags {f:#x} outside the window: pages {s:#x}..{e:#x}"));
        }
        if self.act_flags != self.flags {
            let p = self.act_flags.iter().zip(&self.flags).position(|(a, b)| a != b).unwrap_or(0);
            self.fail(format!(
                "page {p} (guest {:#x}): flags {:#x}, model {:#x}",
                p as u64 * PS,
                self.act_flags[p],
                self.flags[p]
            ));
        }
        // 2. host mappings: the guards intact, inside the window per host page
        let env = self.env;
        let mut maps = std::mem::take(&mut self.maps);
        host_maps(env, env.region, self.base + WIN + GUARD, &mut maps);
        let mut at = env.region;
        for &(lo, hi, prot) in &maps {
            let lo = lo.max(env.region);
            if lo > at {
                self.hole(at, lo);
            }
            if prot != 0 && (lo < self.base || hi > self.base + WIN) {
                let (l, h) = (lo.max(if lo < self.base { env.region } else { self.base + WIN }), hi);
                self.fail(format!("guard changed: {l:#x}..{h:#x} has prot {prot}"));
            }
            at = hi;
        }
        if at < self.base + WIN + GUARD {
            self.hole(at, self.base + WIN + GUARD);
        }
        self.act_host.fill(0);
        for &(lo, hi, prot) in &maps {
            let (lo, hi) = (lo.max(self.base), hi.min(self.base + WIN));
            if lo < hi {
                let r = env.real;
                self.act_host[((lo - self.base) / r) as usize..((hi - self.base) / r) as usize].fill(prot);
            }
        }
        self.maps = maps;
        self.refresh_expected();
        if self.act_host != self.exp {
            self.check_host_lenient();
        }
    }

    /// The harness writes only private pages: the file must be as it was made
    /// (a change would also break later inputs, which share it). Shared maps
    /// reach at most offset 63 + 32 pages, plus 40 pages of mremap growth.
    fn check_file(&self) {
        let env = self.env;
        let len = (160 * PS).min(FILE_BYTES) as usize;
        let mut buf = vec![0u8; len];
        // SAFETY: reading our own descriptor into our own buffer.
        let n = unsafe { libc::pread(env.fd, buf.as_mut_ptr().cast(), len, 0) };
        if n as usize != len {
            self.fail(format!("pread of the test file: {n} errno {}", errno()));
        }
        if buf[..] != env.data[..len] {
            let i = buf.iter().zip(&env.data).position(|(a, b)| a != b).unwrap_or(0);
            self.fail(format!(
                "the test file changed at offset {i:#x} (page {}): {:#x}, was {:#x}",
                i as u64 / PS,
                buf[i],
                env.data[i]
            ));
        }
    }

    #[cold]
    fn hole(&self, lo: u64, hi: u64) -> ! {
        let where_ = if hi <= self.base {
            "in the lower guard"
        } else if lo >= self.base + WIN {
            "in the upper guard"
        } else {
            "in the window"
        };
        self.fail(format!(
            "no host mapping {where_} at {lo:#x}..{hi:#x} (guest {:#x}..{:#x})",
            lo.wrapping_sub(self.base),
            hi.wrapping_sub(self.base)
        ));
    }

    /// The exact comparison failed: a real page whose own guest page is not
    /// valid may also be left PROT_NONE inside a host page that has valid
    /// pages. Anything else is a violation.
    #[cold]
    fn check_host_lenient(&self) {
        let r = self.env.real;
        for (i, (&got, &want)) in self.act_host.iter().zip(&self.exp).enumerate() {
            if got == want {
                continue;
            }
            let off = i as u64 * r;
            let own = self.flags[(off / PS) as usize];
            if !(got == 0 && own & VALID as u8 == 0 && want != 0) {
                let hpp = self.host_page / PS;
                let hp = off / self.host_page;
                self.fail(format!(
                    "host page at guest {off:#x}: host prot {got:#x}, want {want:#x} (flags of its guest pages {:?})",
                    &self.flags[(hp * hpp) as usize..((hp + 1) * hpp) as usize]
                ));
            }
        }
    }
}

/// Runs one input against a fresh guest (host page size `host_page`, 0: real).
pub fn run(data: &[u8], host_page: u64) {
    let env = env(host_page);
    standalone::reset().expect("standalone::reset");
    let pages = WIN / PS;
    let real_pages = (WIN / env.real) as usize;
    let mut run = Run {
        env,
        host_page: env.host_page,
        base: env.base,
        pages,
        flags: vec![0; pages as usize],
        content: vec![Content::Unknown; pages as usize],
        shared: vec![false; pages as usize],
        exp: vec![0; real_pages],
        dirty: None,
        file_shared: false,
        step: 0,
        log: Vec::new(),
        act_flags: vec![0; pages as usize],
        act_host: vec![0; real_pages],
        maps: Vec::new(),
        page_buf: vec![0; PS as usize],
    };
    // the reset state: a bare reservation, no flags
    run.check_all();
    let mut b = Bytes(data, 0);
    while run.step < MAX_STEPS && run.step(&mut b).is_some() {}
    if run.file_shared {
        run.check_file();
    }
}
