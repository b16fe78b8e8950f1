/*
 * libqemu_user_mmap_preload.so: run a native program with its own mmap, mmap64, munmap,
 * mprotect, mremap and msync going through qemu-user-mmap (target_mmap & co.), as if the
 * process were a QEMU 2.3 guest with guest base 0 and no reserved guest space.
 *
 *   LD_PRELOAD=build/preload/libqemu_user_mmap_preload.so java -version
 *   QEMU_USER_MMAP_PAGESIZE=65536 LD_PRELOAD=... python3 script.py     (like QEMU's -p 65536)
 *
 * Only the program's own calls (through the PLT) are interposed: glibc's malloc, its thread
 * stacks and ld.so call the kernel from inside libc, behind the tool's back (a program such
 * as `ls` routes nothing through the library at all: check the counters).
 *
 * Environment:
 *   QEMU_USER_MMAP_PAGESIZE=N        emulate a host page of N bytes (a power of two; default:
 *                                    the real page size). Like QEMU's -p / QEMU_PAGESIZE.
 *   QEMU_USER_MMAP_PRELOAD_STATS=F   at exit, append one line of call counts to the file F:
 *                                    "<exe> pagesize=N mmap=.. munmap=.. mprotect=.. mremap=..
 *                                    msync=.. raw=.. foreign=.. leftover=.. filled=.." (raw:
 *                                    calls sent straight to the kernel, before initialisation
 *                                    or from inside a wrapper; foreign, leftover, filled,
 *                                    kept: fix-ups, below). Nothing when no call was seen.
 *   QEMU_USER_MMAP_PRELOAD_LOG=F     append one line per call (and per fix-up) to the file F:
 *                                    "<tid> <call> <args...> = <result> [errno <e>]" in hex.
 *
 * What the wrappers do, in order:
 *   1. Before the library is initialised (the constructor below), or when the calling thread
 *      is already inside a wrapper (the library's own allocations, a signal handler that
 *      interrupted a wrapper), the call goes straight to the kernel (syscall(2)): the library
 *      is built with the `preload` feature, whose host calls are raw system calls too, so
 *      nothing here ever recurses into these symbols (they go through qum_host_syscall,
 *      see below).
 *   2. The arguments are converted the way QEMU 2.3's syscall layer converts a guest's: the
 *      mmap flags go through its table (only SHARED, PRIVATE, FIXED, ANONYMOUS, GROWSDOWN,
 *      DENYWRITE, EXECUTABLE, LOCKED and NORESERVE survive, plus MAP_FIXED_NOREPLACE, which
 *      the library understands: MAP_POPULATE, MAP_STACK, MAP_HUGETLB, MAP_32BIT... are
 *      dropped), prot is passed as is.
 *   3. The library call runs under mmap_lock(), with the results converted back to libc's
 *      conventions: a literal -EINVAL from target_munmap/target_mprotect/target_msync (or
 *      from target_mmap's one odd path) becomes -1 with errno; errno is left untouched on
 *      success. The library's own answers are kept otherwise: mmap of length 0 returns the
 *      hint (success), as QEMU 2.3 answers a guest.
 *   4. fork(): pthread_atfork handlers call mmap_fork_start / mmap_fork_end(child), as QEMU's
 *      fork_start/fork_end do.
 *
 * Host pages larger than the target page (QEMU_USER_MMAP_PAGESIZE=65536): the library then
 * keeps several guest pages per "host page" and decides from the page flags whether the
 * rest of a host page is in use. In QEMU every guest mapping is in the page table; here the
 * C library and ld.so also map memory on their own (malloc's large chunks, thread stacks,
 * dlopen) through glibc-internal calls this tool cannot see. So before each call, for the
 * target pages that share a host page with the call's range, the tool makes the page table
 * tell the truth about such foreign memory (mincore(2) says whether a page is mapped,
 * /proc/self/maps gives its protection), and marks the host-page tails that the library
 * itself mapped but did not give the program ("leftovers"), so that the library sees them
 * exactly as QEMU would (free, its own) and releases them as QEMU would. Where such a host
 * page is only partly mapped (glibc's thread stacks start on any 4 KiB boundary), its holes
 * get an inaccessible reservation first ("filled"), since QEMU's host pages are always
 * wholly mapped (see fill_holes). The library's union protection of such a host page leaves
 * the foreign pages in it as they are ("kept", see qum_host_syscall). At any page size,
 * mprotect, msync and mremap of foreign memory describe it to the library first (see
 * adopt_range), as Linux accepts them.
 *
 * Copyright (c) 2003 Fabrice Bellard (the design of linux-user/mmap.c); GPL-2.0-or-later.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef TARGET_PAGE_BITS
#define TARGET_PAGE_BITS 12
#endif
#ifndef TARGET_VIRT_ADDR_SPACE_BITS
#define TARGET_VIRT_ADDR_SPACE_BITS 47
#endif
#define TPS ((uintptr_t)1 << TARGET_PAGE_BITS)

/* ---- the library (standalone build for the host's own target, 64-bit abi_ulong) ---- */
typedef unsigned long abi_ulong;
typedef long abi_long;
extern abi_long target_mmap(abi_ulong start, abi_ulong len, int prot, int flags, int fd,
                            abi_ulong offset);
extern int target_munmap(abi_ulong start, abi_ulong len);
extern int target_mprotect(abi_ulong start, abi_ulong len, int prot);
extern abi_long target_mremap(abi_ulong old_addr, abi_ulong old_size, abi_ulong new_size,
                              unsigned long flags, abi_ulong new_addr);
extern int target_msync(abi_ulong start, abi_ulong len, int flags);
extern void mmap_lock(void);
extern void mmap_unlock(void);
extern void mmap_fork_start(void);
extern void mmap_fork_end(int child);
extern int page_get_flags(abi_ulong address);
extern void page_set_flags(abi_ulong start, abi_ulong end, int flags);
extern int qemu_user_mmap_standalone_init(unsigned long host_page_size, unsigned long reserved_va,
                                          unsigned long guest_base);
extern uintptr_t qemu_host_page_size;
extern uintptr_t qemu_real_host_page_size;

#define PAGE_VALID 0x8
/* Tool-only page-flag bits (QEMU 2.3 uses up to 0x20). */
#define TOOL_LEFTOVER 0x100 /* mapped by the library, not part of any program mapping */
#define TOOL_FOREIGN 0x200  /* mapped by someone else (glibc internals, ld.so) */

/* ---- state ---- */
static volatile int initialised;
static int fragments; /* host page larger than the target page */
static __thread int inside __attribute__((tls_model("initial-exec")));
static const char *stats_path;
static int log_fd = -1;

enum { C_MMAP, C_MUNMAP, C_MPROTECT, C_MREMAP, C_MSYNC, C_RAW, C_FOREIGN, C_LEFTOVER, C_FILLED, C_KEPT, C_N };
static unsigned long counts[C_N];
static void count(int i) { __atomic_fetch_add(&counts[i], 1, __ATOMIC_RELAXED); }

/* ---- the log (QEMU_USER_MMAP_PRELOAD_LOG): one line per event, raw write(2) ---- */
static char *put_hex(char *p, unsigned long v)
{
    char tmp[20];
    int n = 0;
    do tmp[n++] = "0123456789abcdef"[v & 15]; while ((v >>= 4) != 0);
    *p++ = '0';
    *p++ = 'x';
    while (n) *p++ = tmp[--n];
    return p;
}

/* "<tid> <what> <a0> <a1>... = <result> [errno <e>]" */
static void log_event(const char *what, int nargs, const unsigned long *args, long result, int err)
{
    if (log_fd < 0) return;
    char line[256], *p = line;
    int saved = errno;
    long tid = syscall(SYS_gettid);
    p = put_hex(p, (unsigned long)tid);
    *p++ = ' ';
    p = stpcpy(p, what);
    for (int i = 0; i < nargs; i++) {
        *p++ = ' ';
        p = put_hex(p, args[i]);
    }
    p = stpcpy(p, " = ");
    if (result < 0 && result >= -4095) {
        *p++ = '-';
        p = put_hex(p, (unsigned long)-result);
    } else {
        p = put_hex(p, (unsigned long)result);
    }
    if (err) {
        p = stpcpy(p, " errno ");
        p = put_hex(p, (unsigned long)err);
    }
    *p++ = '\n';
    syscall(SYS_write, log_fd, line, (size_t)(p - line));
    errno = saved;
}
#define LOG(what, res, err, ...)                                                           \
    do {                                                                                   \
        if (log_fd >= 0) {                                                                 \
            const unsigned long a_[] = {__VA_ARGS__};                                      \
            log_event(what, (int)(sizeof a_ / sizeof a_[0]), a_, (long)(res), err);        \
        }                                                                                  \
    } while (0)

/* ---- raw system calls ---- */
static void *raw_mmap(void *a, size_t l, int p, int f, int fd, off_t o)
{
    return (void *)syscall(SYS_mmap, a, l, (long)p, (long)f, (long)fd, (long)o);
}
static int raw_munmap(void *a, size_t l) { return (int)syscall(SYS_munmap, a, l); }
static int raw_mprotect(void *a, size_t l, int p) { return (int)syscall(SYS_mprotect, a, l, (long)p); }
static void *raw_mremap(void *a, size_t o, size_t n, int f, void *na)
{
    return (void *)syscall(SYS_mremap, a, o, n, (long)f, na);
}
static int raw_msync(void *a, size_t l, int f) { return (int)syscall(SYS_msync, a, l, (long)f); }

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
/* QEMU 2.3's mmap_flags_tbl (syscall.c): the flags a guest's mmap keeps; plus
 * MAP_FIXED_NOREPLACE, which the library understands (later QEMUs pass it too). */
static int qemu_flags(int flags)
{
    return flags & (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN |
                    MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE |
                    MAP_FIXED_NOREPLACE);
}

/* ---- the page table vs. reality, for host pages shared by several target pages ---- */

static int page_mapped(uintptr_t p)
{
    unsigned char v[16];
    uintptr_t real = qemu_real_host_page_size;
    uintptr_t a = p & ~(real - 1);
    int saved = errno;
    int r = (int)syscall(SYS_mincore, (void *)a, real, v);
    errno = saved;
    return r == 0;
}

/* Pages past the top of the target's address space cannot be described to page_set_flags
 * (QEMU 2.3 asserts end < 1 << TARGET_VIRT_ADDR_SPACE_BITS); leave them alone. */
static int describable(uintptr_t p)
{
    return TARGET_VIRT_ADDR_SPACE_BITS >= 64 ||
           p + TPS < ((uintptr_t)1 << TARGET_VIRT_ADDR_SPACE_BITS);
}

#define MAX_CANDIDATES 64
struct candidate {
    uintptr_t page;
    int prot;
};

static uintptr_t parse_hex(const char **s)
{
    uintptr_t v = 0;
    for (;;) {
        char c = **s;
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else break;
        v = v * 16 + d;
        (*s)++;
    }
    return v;
}

/* Calls fn(lo, hi, prot, ctx) for each line of /proc/self/maps. */
static void for_each_mapping(void (*fn)(uintptr_t, uintptr_t, int, void *), void *ctx)
{
    static char buf[65536];
    static char line[512];
    size_t ll = 0;
    int saved = errno;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) { errno = saved; return; }
    for (;;) {
        long got = syscall(SYS_read, fd, buf, sizeof buf);
        if (got <= 0) break;
        for (long i = 0; i < got; i++) {
            if (buf[i] != '\n') {
                if (ll < sizeof line - 1) line[ll++] = buf[i];
                continue;
            }
            line[ll] = 0;
            ll = 0;
            const char *s = line;
            uintptr_t lo = parse_hex(&s);
            if (*s++ != '-') continue;
            uintptr_t hi = parse_hex(&s);
            if (*s++ != ' ') continue;
            int prot = (s[0] == 'r' ? PROT_READ : 0) | (s[1] == 'w' ? PROT_WRITE : 0) |
                       (s[2] == 'x' ? PROT_EXEC : 0);
            fn(lo, hi, prot, ctx);
        }
    }
    syscall(SYS_close, fd);
    errno = saved;
}

struct candidates {
    struct candidate *c;
    int n;
};

static void candidate_protections(uintptr_t lo, uintptr_t hi, int prot, void *ctx)
{
    struct candidates *cs = ctx;
    for (int k = 0; k < cs->n; k++)
        if (cs->c[k].page >= lo && cs->c[k].page < hi) cs->c[k].prot = prot;
}

/* Fills in the protection of each candidate page from /proc/self/maps. */
static void protections_from_maps(struct candidate *c, int n)
{
    struct candidates cs = {c, n};
    for (int i = 0; i < n; i++) c[i].prot = PROT_READ | PROT_WRITE | PROT_EXEC; /* if unknown */
    for_each_mapping(candidate_protections, &cs);
}

/* Before a call on [start, end): make the flags of the target pages in [lo, start) and
 * [end, hi) (the parts of the first and last host pages outside the range) tell the truth. */
static void refresh_window(uintptr_t lo, uintptr_t start, uintptr_t end, uintptr_t hi)
{
    struct candidate c[MAX_CANDIDATES];
    int n = 0;
    for (int side = 0; side < 2; side++) {
        uintptr_t a = side ? end : lo, b = side ? hi : start;
        for (uintptr_t p = a; p < b && p >= a; p += TPS) {
            if (!describable(p)) continue;
            int f = page_get_flags(p);
            int mapped = page_mapped(p);
            if (f & TOOL_LEFTOVER) {
                /* The library's own: free, as QEMU sees it. */
                page_set_flags(p, p + TPS, 0);
            } else if (f == 0 || (f & TOOL_FOREIGN)) {
                if (mapped && n < MAX_CANDIDATES) c[n++].page = p;
                else if (f) page_set_flags(p, p + TPS, 0);
            } else if (!mapped) {
                /* Tracked, but unmapped behind the library's back. */
                page_set_flags(p, p + TPS, 0);
            }
        }
    }
    if (n == 0) return;
    protections_from_maps(c, n);
    for (int i = 0; i < n; i++) {
        page_set_flags(c[i].page, c[i].page + TPS, c[i].prot | PAGE_VALID | TOOL_FOREIGN);
        count(C_FOREIGN);
        LOG("foreign", 0, 0, c[i].page, (unsigned long)c[i].prot);
    }
}

/* QEMU maps whole host pages, so the library takes a host page to be either wholly mapped
 * or wholly unmapped. Memory mapped behind its back at target-page granularity (glibc's
 * thread stacks, ld.so's libraries) breaks that: a host page can then be partly mapped, and
 * the union mprotect of a shared host page (mprotect, the fragment path of a fixed mmap) or
 * the msync from the start of the host page meets the hole and fails with ENOMEM (the JVM's
 * guard pages at the bottom of a thread stack that does not start on a 64 KiB boundary).
 * Worse, glibc maps concurrently, without the mmap lock: a hole seen free by the tool could
 * hold a new thread's stack by the time the library, seeing no other page in use, maps the
 * whole host page afresh over it (the JVM's threads died in __ctype_init, their TLS zeroed).
 * So before the call, every unmapped target page of the call's first and last host pages
 * gets an inaccessible reservation (MAP_FIXED_NOREPLACE: a page someone else has just
 * taken is left to them, and refresh_window then sees it as foreign), as QEMU's host page
 * would be wholly mapped: the library's own ("leftover"), free for it. Once the host page
 * has no hole, nobody else's mapping can appear in it. */
static void fill_run(uintptr_t a, uintptr_t b)
{
    void *r = raw_mmap((void *)a, b - a, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (r == (void *)a) {
        for (uintptr_t p = a; p < b; p += TPS)
            if (describable(p)) page_set_flags(p, p + TPS, TOOL_LEFTOVER);
        count(C_FILLED);
        LOG("fill", 0, 0, a, b - a);
        return;
    }
    if (r != MAP_FAILED) raw_munmap(r, b - a); /* a kernel without MAP_FIXED_NOREPLACE */
    uintptr_t real = qemu_real_host_page_size;
    if (b - a > real) /* someone took part of it: page by page */
        for (uintptr_t p = a; p < b; p += real)
            if (!page_mapped(p)) fill_run(p, p + real);
}

static void fill_holes(uintptr_t hp)
{
    uintptr_t hps = qemu_host_page_size, real = qemu_real_host_page_size;
    unsigned char vec[1024];
    int saved = errno;
    if (hps / real <= sizeof vec && syscall(SYS_mincore, (void *)hp, hps, vec) == 0) {
        errno = saved; /* wholly mapped */
        return;
    }
    errno = saved;
    uintptr_t run = 0;
    for (uintptr_t p = hp; p < hp + hps && p >= hp; p += real) {
        if (describable(p) && !page_mapped(p)) {
            if (!run) run = p;
            continue;
        }
        if (run) fill_run(run, p);
        run = 0;
    }
    if (run) fill_run(run, hp + hps);
}

/* Before mprotect, msync or mremap of [a, b): target pages there that the library does not
 * track but that are mapped (by glibc or ld.so behind its back, or before the tool was
 * initialised) are described to it with their real protection, as QEMU would have known
 * them; tracked-as-foreign pages that are gone are forgotten. Pages of the library's own
 * that it considers free (leftovers) stay free. */
#define MAX_RUNS 32
struct runs {
    uintptr_t a[MAX_RUNS], b[MAX_RUNS];
    int n;
};

static void adopt_mapping(uintptr_t lo, uintptr_t hi, int prot, void *ctx)
{
    struct runs *r = ctx;
    for (int k = 0; k < r->n; k++) {
        uintptr_t x = lo > r->a[k] ? lo : r->a[k], y = hi < r->b[k] ? hi : r->b[k];
        if (x >= y) continue;
        page_set_flags(x, y, prot | PAGE_VALID | TOOL_FOREIGN);
        count(C_FOREIGN);
        LOG("adopt", 0, 0, x, y - x, (unsigned long)prot);
    }
}

static void adopt_range(uintptr_t a, size_t len)
{
    if (a & (TPS - 1)) return;
    uintptr_t l = (len + TPS - 1) & ~(TPS - 1);
    uintptr_t b = a + l;
    if (l == 0 || b < a) return;
    struct runs r;
    r.n = 0;
    for (uintptr_t p = a; p < b && p >= a && describable(p); p += TPS) {
        int f = page_get_flags(p);
        if (f != 0 && !(f & TOOL_FOREIGN)) continue;
        if (r.n > 0 && r.b[r.n - 1] == p) r.b[r.n - 1] = p + TPS;
        else if (r.n < MAX_RUNS) r.a[r.n] = p, r.b[r.n] = p + TPS, r.n++;
        else break;
    }
    if (r.n == 0) return;
    for (int k = 0; k < r.n; k++) page_set_flags(r.a[k], r.b[k], 0);
    for_each_mapping(adopt_mapping, &r);
}

/* After a call: target pages in [a, b) that are mapped but belong to no mapping of the
 * program are the library's leftovers. */
/* The ranges the library unmapped (and mapped) during the current call, in order (its host
 * munmap and mmap calls, seen by qum_host_syscall): a page last unmapped by the library
 * and mapped after the call is someone else's, mapped concurrently, not a leftover. */
#define MAX_HOST_EVENTS 16
static __thread struct {
    int n, overflow;
    uintptr_t a[MAX_HOST_EVENTS], b[MAX_HOST_EVENTS];
    char unmapped[MAX_HOST_EVENTS];
} host_events __attribute__((tls_model("initial-exec")));

static void note_host_event(uintptr_t a, uintptr_t len, int unmapped)
{
    if (host_events.n == MAX_HOST_EVENTS) {
        host_events.overflow = 1;
        return;
    }
    host_events.a[host_events.n] = a;
    host_events.b[host_events.n] = a + len;
    host_events.unmapped[host_events.n++] = (char)unmapped;
}

static int was_released(uintptr_t p)
{
    if (host_events.overflow) return 1; /* not known: not a leftover (safe: kept in use) */
    for (int i = host_events.n - 1; i >= 0; i--)
        if (p >= host_events.a[i] && p < host_events.b[i]) return host_events.unmapped[i];
    return 0;
}

static void mark_leftovers(uintptr_t a, uintptr_t b)
{
    for (uintptr_t p = a; p < b && p >= a; p += TPS) {
        if (!describable(p) || was_released(p)) continue;
        if (page_get_flags(p) == 0 && page_mapped(p)) {
            page_set_flags(p, p + TPS, TOOL_LEFTOVER);
            count(C_LEFTOVER);
            LOG("leftover", 0, 0, p);
        }
    }
}

struct window {
    int on;
    uintptr_t lo, start, end, hi;
};

/* ---- the library's own host system calls ----
 * The library (cargo feature raw-syscalls) makes its host calls with syscall(2); mk/preload.mk
 * renames that reference in its object code to qum_host_syscall (objcopy --redefine-sym),
 * so they come here. All go to the kernel unchanged but one: an mprotect that covers a
 * foreign target page of the call's first or last host page (outside the call's range)
 * leaves that page alone ("kept"). The library gives a host page shared by several target
 * pages the union of their protections, as QEMU must on a host with big pages; here the
 * foreign page is a real mapping of its own, of someone else, which that union would
 * change: glibc's PROT_NONE stack guard made writable, or (EACCES) a read-only shared file
 * mapping such as glibc's gconv-modules.cache made writable, which fails the whole call. */
static __thread struct {
    int n;
    uintptr_t a[4], b[4]; /* in address order */
} keep __attribute__((tls_model("initial-exec")));

static void keep_add(uintptr_t a, uintptr_t b)
{
    if (a >= b || keep.n == 4) return;
    int i = keep.n++;
    while (i > 0 && keep.a[i - 1] > a) {
        keep.a[i] = keep.a[i - 1];
        keep.b[i] = keep.b[i - 1];
        i--;
    }
    keep.a[i] = a;
    keep.b[i] = b;
}

static long host_mprotect(uintptr_t addr, size_t len, long prot)
{
    uintptr_t end = addr + len, run = addr;
    if (end < addr || (addr & (TPS - 1))) return syscall(SYS_mprotect, addr, len, prot);
    for (int k = 0; k < keep.n; k++) {
        uintptr_t a = keep.a[k] > run ? keep.a[k] : run, b = keep.b[k] < end ? keep.b[k] : end;
        for (uintptr_t p = a; p < b; p += TPS) {
            if (!(page_get_flags(p) & TOOL_FOREIGN)) continue;
            if (run < p && syscall(SYS_mprotect, run, p - run, prot) != 0) return -1;
            run = p + TPS;
            count(C_KEPT);
            LOG("kept", 0, 0, p, (unsigned long)prot);
        }
    }
    if (run < end) return syscall(SYS_mprotect, run, end - run, prot);
    return 0;
}

long qum_host_syscall(long nr, ...);
long qum_host_syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
    long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    if (nr == SYS_mprotect && keep.n) return host_mprotect((uintptr_t)a1, (size_t)a2, a3);
    long r = syscall(nr, a1, a2, a3, a4, a5, a6);
    if (inside && nr == SYS_munmap && r == 0) note_host_event((uintptr_t)a1, (uintptr_t)a2, 1);
    if (inside && nr == SYS_mmap && r != -1) note_host_event((uintptr_t)r, (uintptr_t)a2, 0);
    if (inside && nr == SYS_mremap && r != -1) {
        if (r != a1) note_host_event((uintptr_t)a1, (uintptr_t)a2, 1);
        note_host_event((uintptr_t)r, (uintptr_t)a3, 0);
    }
    return r;
}

/* The host-page window around [start, start + len) for a call that fragments. */
static struct window window_of(uintptr_t start, size_t len)
{
    struct window w = {0, 0, 0, 0, 0};
    uintptr_t hps = qemu_host_page_size;
    uintptr_t l = (len + TPS - 1) & ~(TPS - 1);
    if (!fragments || (start & (TPS - 1)) || l == 0 || start + l < start) return w;
    w.start = start;
    w.end = start + l;
    w.lo = start & ~(hps - 1);
    w.hi = (w.end + hps - 1) & ~(hps - 1);
    if (w.hi < w.end) w.hi = w.end; /* the top of the address space */
    w.on = w.lo < w.start || w.end < w.hi;
    return w;
}

static void before(struct window *w)
{
    if (!w->on) return;
    uintptr_t hps = qemu_host_page_size;
    if (w->lo < w->start) fill_holes(w->lo);
    if (w->end < w->hi && (w->hi - hps != w->lo || w->lo == w->start)) fill_holes(w->hi - hps);
    refresh_window(w->lo, w->start, w->end, w->hi);
    /* Filled pages inside the range: free for the library, as everything it owns there. */
    uintptr_t first_end = w->lo + hps < w->end ? w->lo + hps : w->end;
    uintptr_t last_start = w->hi - hps > first_end ? w->hi - hps : first_end;
    for (int side = 0; side < 2; side++) {
        uintptr_t a = side ? last_start : w->start, b = side ? w->end : first_end;
        for (uintptr_t p = a; p < b; p += TPS)
            if (describable(p) && (page_get_flags(p) & TOOL_LEFTOVER)) page_set_flags(p, p + TPS, 0);
    }
    keep_add(w->lo, w->start);
    keep_add(w->end, w->hi);
}

static void after(struct window *w)
{
    keep.n = 0;
    if (w->on) {
        uintptr_t hps = qemu_host_page_size;
        mark_leftovers(w->lo, w->start);
        /* Pages of the range a munmap (or a move) had to leave mapped: only in the first
         * and last host pages. */
        uintptr_t first_end = w->lo + hps < w->end ? w->lo + hps : w->end;
        mark_leftovers(w->start, first_end);
        mark_leftovers(w->hi - hps > first_end ? w->hi - hps : first_end, w->end);
        mark_leftovers(w->end, w->hi);
    }
}

/* ---- entry and exit of a wrapper ---- */

static int enter(void)
{
    if (!initialised || inside) {
        count(C_RAW);
        return 0;
    }
    inside = 1;
    mmap_lock();
    keep.n = 0;
    host_events.n = host_events.overflow = 0;
    return 1;
}

static void leave(void)
{
    mmap_unlock();
    inside = 0;
}

static int c_status(int r, int saved_errno)
{
    if (r == 0) {
        errno = saved_errno;
        return 0;
    }
    if (r < -1) errno = -r; /* a literal -EINVAL from the library */
    return -1;
}

static void *c_address(abi_long r, int saved_errno)
{
    if (r == -1) return MAP_FAILED;
    if (r < 0 && r >= -4095) { /* target_mmap's odd path: a target_mprotect status */
        errno = (int)-r;
        return MAP_FAILED;
    }
    errno = saved_errno;
    return (void *)(uintptr_t)r;
}

/* ---- the interposed functions ---- */

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
    if (!enter()) return raw_mmap(addr, len, prot, flags, fd, offset);
    int saved = errno;
    int f = qemu_flags(flags);
    struct window w = {0, 0, 0, 0, 0};
    int fixed = f & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (fixed) {
        w = window_of((uintptr_t)addr, len);
        before(&w);
    }
    abi_long r = target_mmap((abi_ulong)(uintptr_t)addr, len, prot, f, fd, (abi_ulong)offset);
    if (fixed) {
        after(&w);
    } else if (fragments && r != -1 && !(r < 0 && r >= -4095) && len != 0) {
        /* The library mapped whole host pages from F = r - delta; what lies outside
         * [r, r + len) in them is its own. */
        uintptr_t hps = qemu_host_page_size;
        uintptr_t delta = (uintptr_t)offset & (hps - 1) & ~(TPS - 1);
        uintptr_t l = (len + TPS - 1) & ~(TPS - 1);
        uintptr_t from = (uintptr_t)r - delta;
        uintptr_t to = from + ((l + delta + hps - 1) & ~(hps - 1));
        if (f & MAP_ANONYMOUS) from = (uintptr_t)r, to = from + ((l + delta + hps - 1) & ~(hps - 1));
        mark_leftovers(from, (uintptr_t)r);
        mark_leftovers((uintptr_t)r + l, to);
    }
    leave();
    count(C_MMAP);
    LOG("mmap", r, r == -1 ? errno : 0, (unsigned long)addr, len, (unsigned long)prot,
        (unsigned long)flags, (unsigned long)fd, (unsigned long)offset);
    return c_address(r, saved);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
    __attribute__((alias("mmap")));

int munmap(void *addr, size_t len)
{
    if (!enter()) return raw_munmap(addr, len);
    int saved = errno;
    struct window w = window_of((uintptr_t)addr, len);
    before(&w);
    int r = target_munmap((abi_ulong)(uintptr_t)addr, len);
    after(&w);
    leave();
    count(C_MUNMAP);
    LOG("munmap", r, r == -1 ? errno : 0, (unsigned long)addr, len);
    return c_status(r, saved);
}

int mprotect(void *addr, size_t len, int prot)
{
    if (!enter()) return raw_mprotect(addr, len, prot);
    int saved = errno;
    adopt_range((uintptr_t)addr, len);
    struct window w = window_of((uintptr_t)addr, len);
    before(&w);
    int r = target_mprotect((abi_ulong)(uintptr_t)addr, len, prot);
    after(&w);
    leave();
    count(C_MPROTECT);
    LOG("mprotect", r, r == -1 ? errno : 0, (unsigned long)addr, len, (unsigned long)prot);
    return c_status(r, saved);
}

void *mremap(void *old, size_t old_size, size_t new_size, int flags, ...)
{
    void *new_addr = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        new_addr = va_arg(ap, void *);
        va_end(ap);
    }
    if (!enter()) return raw_mremap(old, old_size, new_size, flags, new_addr);
    int saved = errno;
    /* The old range, and where it may grow in place: foreign memory there is in use (the
     * library must not grow over it, nor release the host pages it shares with it). The
     * destination of MREMAP_FIXED is mapped over like a fixed mmap. */
    size_t span = new_size > old_size && !(flags & MREMAP_FIXED) ? new_size : old_size;
    struct window wo = window_of((uintptr_t)old, span), wn = {0, 0, 0, 0, 0};
    adopt_range((uintptr_t)old, span);
    if (flags & MREMAP_FIXED) wn = window_of((uintptr_t)new_addr, new_size);
    before(&wo);
    before(&wn);
    abi_long r = target_mremap((abi_ulong)(uintptr_t)old, old_size, new_size,
                               (unsigned long)(unsigned int)flags,
                               (abi_ulong)(uintptr_t)new_addr);
    after(&wo);
    after(&wn);
    if (fragments && r != -1 && (flags & MREMAP_MAYMOVE) && !(flags & MREMAP_FIXED)) {
        /* Moved into a host-page-aligned reservation by mmap_find_vma: the rest of it is
         * the library's. */
        uintptr_t hps = qemu_host_page_size;
        uintptr_t l = (new_size + TPS - 1) & ~(TPS - 1);
        if ((uintptr_t)r != (uintptr_t)old)
            mark_leftovers((uintptr_t)r + l, (uintptr_t)r + ((new_size + hps - 1) & ~(hps - 1)));
    }
    leave();
    count(C_MREMAP);
    LOG("mremap", r, r == -1 ? errno : 0, (unsigned long)old, old_size, new_size,
        (unsigned long)flags, (unsigned long)new_addr);
    return c_address(r, saved);
}

int msync(void *addr, size_t len, int flags)
{
    if (!enter()) return raw_msync(addr, len, flags);
    int saved = errno;
    adopt_range((uintptr_t)addr, len);
    struct window w = window_of((uintptr_t)addr, len);
    before(&w);
    int r = target_msync((abi_ulong)(uintptr_t)addr, len, flags);
    after(&w);
    leave();
    count(C_MSYNC);
    LOG("msync", r, r == -1 ? errno : 0, (unsigned long)addr, len, (unsigned long)flags);
    return c_status(r, saved);
}

/* ---- set-up ---- */

static void fork_prepare(void) { mmap_fork_start(); }
static void fork_parent(void) { mmap_fork_end(0); }
static void fork_child(void) { mmap_fork_end(1); }

static void die(const char *msg)
{
    syscall(SYS_write, 2, msg, strlen(msg));
    _exit(1);
}

__attribute__((constructor)) static void preload_init(void)
{
    unsigned long ps = 0;
    const char *e = getenv("QEMU_USER_MMAP_PAGESIZE");
    if (e && *e) {
        char *end;
        ps = strtoul(e, &end, 0);
        if (*end || ps == 0 || (ps & (ps - 1)))
            die("qemu-user-mmap preload: QEMU_USER_MMAP_PAGESIZE: page size must be a power of two\n");
    }
    stats_path = getenv("QEMU_USER_MMAP_PRELOAD_STATS");
    const char *log_path = getenv("QEMU_USER_MMAP_PRELOAD_LOG");
    if (log_path && *log_path)
        log_fd = (int)syscall(SYS_openat, AT_FDCWD, log_path,
                              O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (qemu_user_mmap_standalone_init(ps, 0, 0) != 0)
        die("qemu-user-mmap preload: initialisation failed\n");
    fragments = qemu_host_page_size > TPS;
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    __atomic_store_n(&initialised, 1, __ATOMIC_RELEASE);
}

static char *put_ul(char *p, unsigned long v)
{
    char tmp[24];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
    while (n) *p++ = tmp[--n];
    return p;
}

__attribute__((destructor)) static void preload_fini(void)
{
    static const char *names[C_N] = {"mmap",    "munmap", "mprotect", "mremap",
                                     "msync",   "raw",    "foreign",  "leftover",
                                     "filled",  "kept"};
    if (!stats_path || !*stats_path) return;
    unsigned long total = 0;
    for (int i = 0; i < C_N; i++) total += __atomic_load_n(&counts[i], __ATOMIC_RELAXED);
    if (total == 0) return;
    char line[1024], exe[256];
    long n = syscall(SYS_readlink, "/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0) n = 0;
    exe[n] = 0;
    char *p = line;
    const char *base = strrchr(exe, '/');
    base = base ? base + 1 : exe;
    p = stpcpy(p, base);
    p = stpcpy(p, " pagesize=");
    p = put_ul(p, qemu_host_page_size);
    for (int i = 0; i < C_N; i++) {
        *p++ = ' ';
        p = stpcpy(p, names[i]);
        *p++ = '=';
        p = put_ul(p, __atomic_load_n(&counts[i], __ATOMIC_RELAXED));
    }
    *p++ = '\n';
    int saved = errno;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, stats_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        syscall(SYS_write, fd, line, (size_t)(p - line));
        syscall(SYS_close, fd);
    }
    errno = saved;
}
