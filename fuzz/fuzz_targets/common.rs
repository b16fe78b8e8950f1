//! The fuzz harness shared by the targets: bytes become a script of guest
//! operations against the library in standalone mode, inside a reserved
//! guest window flanked by two guard regions the harness owns. After every
//! step it checks:
//!
//! * page flags match a model kept with Linux semantics (per page: valid and
//!   its protection), and each refused call changed nothing;
//! * the host mappings inside the window match the page flags (per host page:
//!   the union of its guest pages' protections; no hole in the reservation);
//! * no host mapping changed outside the window (the guards are intact);
//! * guest memory the model knows (zero, a written byte, file data) is there.
//!
//! Known library bugs (RELIABILITY.md) would stop every run at once: while
//! their ids are listed in `QUM_FUZZ_KNOWN` (default below) the generator
//! avoids the inputs that reach them (B11, B15, B19), or tolerates their one
//! symptom (B14: a host page left with no valid guest page stays accessible).
//! `QUM_FUZZ_KNOWN=` (empty) is strict.

#![allow(clippy::unnecessary_cast)]

use std::os::raw::c_int;
use std::sync::OnceLock;

use qemu_user_mmap::config::{abi_long, abi_ulong, TARGET_PAGE_SIZE};
use qemu_user_mmap::ffi::*;
use qemu_user_mmap::standalone::{self, Config};

const PS: u64 = TARGET_PAGE_SIZE as u64;
/// The reserved guest window.
const WIN: u64 = 4 << 20;
/// A guard region on each side of the window.
const GUARD: u64 = 1 << 20;
const FILE_BYTES: u64 = 4 << 20;
const VALID: c_int = 0x8;
const RWX: c_int = 0x7;

/// The ids of known, unfixed library bugs whose inputs are avoided.
const DEFAULT_KNOWN: &str = "B11,B15,B19";

struct Env {
    region: u64,
    fd: c_int,
    known: Vec<String>,
}

fn file_byte(i: u64) -> u8 {
    (((i as u32).wrapping_add(1).wrapping_mul(2654435761)) >> 24) as u8 | 1
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
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
        // SAFETY: memfd_create with a static name.
        let fd = unsafe { libc::memfd_create(c"qum-fuzz".as_ptr(), 0) };
        assert!(fd >= 0);
        let data: Vec<u8> = (0..FILE_BYTES).map(file_byte).collect();
        // SAFETY: writing our own buffer to our own descriptor.
        let n = unsafe { libc::pwrite(fd, data.as_ptr().cast(), data.len(), 0) };
        assert_eq!(n as usize, data.len());
        let known = std::env::var("QUM_FUZZ_KNOWN")
            .unwrap_or_else(|_| DEFAULT_KNOWN.to_string())
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Env { region, fd, known }
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Content {
    Unknown,
    Byte(u8),
    /// file data from this byte offset
    File(u64),
}

struct Model {
    flags: Vec<c_int>,
    content: Vec<Content>,
    shared: Vec<bool>,
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

struct Run {
    host_page: u64,
    base: u64,
    pages: u64,
    m: Model,
    known_b11: bool,
    known_b12: bool,
    known_b14: bool,
    known_b15: bool,
    known_b19: bool,
    step: usize,
    log: Vec<String>,
}

fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn prot_of(b: u8) -> c_int {
    [libc::PROT_NONE, libc::PROT_READ, libc::PROT_READ | libc::PROT_WRITE, libc::PROT_READ | libc::PROT_EXEC][(b & 3) as usize]
}

impl Run {
    fn fail(&self, what: String) -> ! {
        eprintln!("qum-fuzz: script so far:");
        for l in &self.log {
            eprintln!("  {l}");
        }
        panic!("qum-fuzz invariant violated after step {}: {what}", self.step);
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
        (first..first + n).all(|p| self.m.flags[p as usize] & VALID != 0)
    }

    fn all_free(&self, first: u64, n: u64) -> bool {
        first + n <= self.pages && (first..first + n).all(|p| self.m.flags[p as usize] == 0)
    }

    fn set(&mut self, first: u64, n: u64, flags: c_int, c: Content, shared: bool) {
        for (i, p) in (first..first + n).enumerate() {
            self.m.flags[p as usize] = flags;
            self.m.content[p as usize] = match c {
                Content::File(off) => Content::File(off + i as u64 * PS),
                other => other,
            };
            self.m.shared[p as usize] = shared;
        }
    }

    fn clear(&mut self, first: u64, n: u64) {
        self.set(first, n, 0, Content::Unknown, false);
    }

    /// B19: a fixed map sharing a host page with a MAP_SHARED file page
    fn touches_shared_host_page(&self, first: u64, n: u64) -> bool {
        let hpp = self.host_page / PS;
        let lo = first / hpp * hpp;
        let hi = ((first + n).div_ceil(hpp) * hpp).min(self.pages);
        self.known_b19 && hpp > 1 && (lo..hi).any(|q| self.m.shared[q as usize])
    }

    fn snapshot(&self) -> (Vec<c_int>, Vec<Content>, Vec<bool>) {
        (self.m.flags.clone(), self.m.content.clone(), self.m.shared.clone())
    }

    fn step(&mut self, b: &mut Bytes) -> Option<()> {
        let op = b.u8()? % 11;
        let env = env();
        match op {
            0 => {
                // MAP_FIXED anonymous
                let (p, n) = self.range(b)?;
                let prot = prot_of(b.u8()?);
                if self.touches_shared_host_page(p, n) {
                    return Some(());
                }
                self.log.push(format!("mmap fixed anon page {p} n {n} prot {prot}"));
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
                if self.touches_shared_host_page(p, n) {
                    return Some(());
                }
                self.log.push(format!("mmap fixed file page {p} n {n} prot {prot} shared {shared} off {off:#x}"));
                let before = self.snapshot();
                let flags = if shared { libc::MAP_SHARED } else { libc::MAP_PRIVATE } | libc::MAP_FIXED;
                let r = target_mmap(self.g(p), self.g(n), prot, flags, env.fd, off as abi_ulong);
                if r == self.g(p) as abi_long {
                    self.set(p, n, VALID | prot, Content::File(off), shared);
                    self.check_contents(p, n);
                } else if shared && r == -1 && errno() == libc::EINVAL && self.host_page > PS {
                    // the library's documented limit: shared file data cannot be
                    // faked in a partial host page; Linux would change nothing
                    self.expect_unchanged(&before, "refused shared file map");
                } else {
                    self.fail(format!("fixed file map failed: {r} errno {}", errno()));
                }
            }
            2 => {
                // not fixed, with a hint or none
                let n = 1 + u64::from(b.u8()?) % 64;
                let hint = if b.u8()? & 1 != 0 { self.g(16 + u64::from(b.u16()?) % (self.pages - 16)) } else { 0 };
                let prot = prot_of(b.u8()?);
                self.log.push(format!("mmap anywhere n {n} hint {hint:#x} prot {prot}"));
                let r = target_mmap(hint, self.g(n), prot, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0);
                if r == -1 {
                    if errno() != libc::ENOMEM {
                        self.fail(format!("map anywhere: errno {}", errno()));
                    }
                } else {
                    let a = r as abi_ulong as u64;
                    if a % PS != 0 || a / PS + n > self.pages || a < 0x10000 {
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
                self.log.push(format!("munmap page {p} n {n}"));
                let r = target_munmap(self.g(p), self.g(n));
                if r != 0 {
                    self.fail(format!("munmap: {r} errno {}", errno()));
                }
                self.clear(p, n);
            }
            4 => {
                let (p, n) = self.range(b)?;
                let prot = prot_of(b.u8()?);
                self.log.push(format!("mprotect page {p} n {n} prot {prot}"));
                let before = self.snapshot();
                let r = target_mprotect(self.g(p), self.g(n), prot);
                if self.all_valid(p, n) {
                    if r != 0 {
                        self.fail(format!("mprotect of mapped pages: {r} errno {}", errno()));
                    }
                    for q in p..p + n {
                        self.m.flags[q as usize] = VALID | prot;
                    }
                } else {
                    if r != -1 || errno() != libc::ENOMEM {
                        self.fail(format!("mprotect over a hole: {r} errno {} (want -1 ENOMEM)", errno()));
                    }
                    self.expect_unchanged(&before, "mprotect over a hole");
                }
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
                if op == 5 && new_n < n && self.known_b12 {
                    // B12: the kept part must be uniform
                    let f0 = self.m.flags[p as usize];
                    if (p..p + new_n).any(|q| self.m.flags[q as usize] != f0) {
                        return Some(());
                    }
                }
                if new_n < n && self.known_b11 && self.host_page > PS && ((p + new_n) * PS) % self.host_page != 0 {
                    return Some(()); // B11: a shrink by part of a host page
                }
                if self.known_b15 && self.host_page > PS {
                    // B15: a remap of part of a host page carries the host page's
                    // protection along: only whole host pages while it is known
                    let hpp = self.host_page / PS;
                    if p % hpp != 0 || n % hpp != 0 || new_n % hpp != 0 || fixed_to.is_some_and(|t| t % hpp != 0) {
                        return Some(());
                    }
                }
                self.log.push(format!("mremap page {p} n {n} -> {new_n} flags {flags} to {fixed_to:?}"));
                let before = self.snapshot();
                let new_addr = fixed_to.map_or(0, |q| self.g(q));
                let r = target_mremap(self.g(p), self.g(n), self.g(new_n), flags as _, new_addr);
                if r == -1 {
                    let e = errno();
                    if ![libc::ENOMEM, libc::EFAULT, libc::EINVAL].contains(&e) {
                        self.fail(format!("mremap errno {e}"));
                    }
                    self.expect_unchanged(&before, "failed mremap");
                } else {
                    let a = r as abi_ulong as u64;
                    if a % PS != 0 || a / PS + new_n > self.pages {
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
                    let last = self.m.flags[(p + n - 1) as usize];
                    let moved: Vec<(c_int, Content, bool)> = (p..p + kept)
                        .map(|i| (self.m.flags[i as usize], self.m.content[i as usize], self.m.shared[i as usize]))
                        .collect();
                    if q != p || new_n < n {
                        let (from, cnt) = if q != p { (p, n) } else { (p + new_n, n - new_n) };
                        self.clear(from, cnt);
                    }
                    for (i, (f, c, s)) in moved.into_iter().enumerate() {
                        let t = (q + i as u64) as usize;
                        self.m.flags[t] = f;
                        self.m.content[t] = c;
                        self.m.shared[t] = s;
                    }
                    if new_n > n {
                        for t in q + n..q + new_n {
                            self.m.flags[t as usize] = last;
                            self.m.content[t as usize] = Content::Unknown;
                            self.m.shared[t as usize] = false;
                        }
                    }
                    self.check_contents(q, new_n);
                }
            }
            7 => {
                let (p, n) = self.range(b)?;
                self.log.push(format!("msync page {p} n {n}"));
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
                let f = self.m.flags[p as usize];
                if f & VALID != 0 && f & libc::PROT_WRITE != 0 && !self.m.shared[p as usize] {
                    self.log.push(format!("write page {p} byte {v}"));
                    // SAFETY: the page is mapped writable (checked against the
                    // host below after every step)
                    unsafe { std::ptr::write_bytes(self.host(p), v, PS as usize) };
                    self.m.content[p as usize] = Content::Byte(v);
                }
            }
            _ => {
                let n = 1 + u64::from(b.u8()?) % 64;
                self.log.push(format!("mmap_find_vma n {n}"));
                mmap_lock();
                let r = mmap_find_vma(0, self.g(n)) as u64;
                mmap_unlock();
                if r != abi_ulong::MAX as u64 {
                    let hn = (n * PS).div_ceil(self.host_page) * self.host_page / PS;
                    if r % PS != 0 || r / PS + hn > self.pages || !self.all_free(r / PS, hn) {
                        self.fail(format!("mmap_find_vma returned {r:#x} (not free)"));
                    }
                }
            }
        }
        self.check_all();
        self.step += 1;
        Some(())
    }

    fn expect_unchanged(&self, before: &(Vec<c_int>, Vec<Content>, Vec<bool>), what: &str) {
        if before.0 != self.m.flags {
            self.fail(format!("{what}: the model changed (harness bug)"));
        }
        // the flags check in check_all compares the library with this model
        let _ = what;
    }

    fn check_contents(&self, first: u64, n: u64) {
        let env = env();
        let _ = env;
        for p in first..first + n {
            let f = self.m.flags[p as usize];
            if f & VALID == 0 || f & libc::PROT_READ == 0 {
                continue;
            }
            // SAFETY: the page is readable (flags and host agree: check_all)
            let page = unsafe { std::slice::from_raw_parts(self.host(p), PS as usize) };
            let bad = match self.m.content[p as usize] {
                Content::Unknown => None,
                Content::Byte(v) => page.iter().position(|&x| x != v),
                Content::File(off) => page.iter().enumerate().position(|(i, &x)| x != file_byte(off + i as u64)),
            };
            if let Some(i) = bad {
                self.fail(format!(
                    "contents of page {p} at byte {i}: {:#x}, model {:?}",
                    page[i], self.m.content[p as usize]
                ));
            }
        }
    }

    fn check_all(&self) {
        // 1. page flags against the model
        for p in 0..self.pages {
            let actual = standalone::page_get_flags(self.g(p) as _) & (VALID | RWX);
            if actual != self.m.flags[p as usize] {
                self.fail(format!(
                    "page {p} (guest {:#x}): flags {actual:#x}, model {:#x}",
                    p * PS,
                    self.m.flags[p as usize]
                ));
            }
        }
        // 2. host mappings: inside the window per host page, the guards intact
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
        let mut ranges: Vec<(u64, u64, c_int)> = Vec::new();
        for line in maps.lines() {
            let mut it = line.split_whitespace();
            let (Some(r), Some(perm)) = (it.next(), it.next()) else { continue };
            let Some((lo, hi)) = r.split_once('-') else { continue };
            let (Ok(lo), Ok(hi)) = (u64::from_str_radix(lo, 16), u64::from_str_radix(hi, 16)) else { continue };
            let pb = perm.as_bytes();
            let prot = (if pb[0] == b'r' { 1 } else { 0 }) | (if pb[1] == b'w' { 2 } else { 0 }) | (if pb[2] == b'x' { 4 } else { 0 });
            if hi > self.base - GUARD && lo < self.base + WIN + GUARD {
                ranges.push((lo, hi, prot));
            }
        }
        let prot_at = |a: u64| ranges.iter().find(|&&(lo, hi, _)| lo <= a && a < hi).map(|r| r.2);
        for a in [self.base - GUARD, self.base - PS, self.base + WIN, self.base + WIN + GUARD - PS] {
            if prot_at(a) != Some(0) {
                self.fail(format!("guard at {a:#x} changed: {:?}", prot_at(a)));
            }
        }
        // SAFETY: sysconf has no preconditions.
        let real = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
        let tp_per_hp = self.host_page / PS;
        for hp in 0..self.pages / tp_per_hp {
            let first = hp * tp_per_hp;
            let mut union = 0;
            let mut any = false;
            for p in first..first + tp_per_hp {
                let f = self.m.flags[p as usize];
                if f & VALID != 0 {
                    any = true;
                    union |= f & RWX;
                }
            }
            let mut off = 0;
            while off < self.host_page {
                let a = self.base + first * PS + off;
                let got = prot_at(a);
                let own = self.m.flags[((first * PS + off) / PS) as usize];
                let ok = match got {
                    None => false,
                    Some(pr) if any => pr == union || (pr == 0 && own & VALID == 0),
                    Some(pr) => pr == 0 || (self.known_b14 && self.host_page > PS),
                };
                if !ok {
                    self.fail(format!(
                        "host page at guest {:#x}: host prot {got:?}, flags union {union:#x} (valid pages: {any})",
                        first * PS + off
                    ));
                }
                off += real;
            }
        }
    }
}

/// Runs one input against a fresh guest (host page size `host_page`, 0: real).
pub fn run(data: &[u8], host_page: u64) {
    let env = env();
    let base = env.region + GUARD;
    standalone::init(&Config {
        host_page_size: host_page,
        reserved_va: WIN,
        guest_base: base,
        mmap_min_addr: 0x10000,
    })
    .expect("init");
    // the guards: PROT_NONE flanks the harness owns (re-made each run)
    for g in [env.region, base + WIN] {
        // SAFETY: inside the harness's own reservation
        let p = unsafe {
            libc::mmap(
                g as *mut libc::c_void,
                GUARD as usize,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
    }
    let (gb, _) = standalone::window();
    assert_eq!(gb, base, "guest base");
    let hp = if host_page == 0 { PS.max(4096) } else { host_page.max(PS) };
    let pages = WIN / PS;
    let mut run = Run {
        host_page: hp,
        base,
        pages,
        m: Model {
            flags: vec![0; pages as usize],
            content: vec![Content::Unknown; pages as usize],
            shared: vec![false; pages as usize],
        },
        known_b11: env.known.iter().any(|k| k == "B11"),
        known_b12: env.known.iter().any(|k| k == "B12"),
        known_b14: env.known.iter().any(|k| k == "B14"),
        known_b15: env.known.iter().any(|k| k == "B15"),
        known_b19: env.known.iter().any(|k| k == "B19"),
        step: 0,
        log: Vec::new(),
    };
    let mut b = Bytes(data, 0);
    while run.step(&mut b).is_some() && run.step < 48 {}
}
