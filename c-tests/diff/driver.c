/*
 * driver.c -- the differential driver.
 *
 * One program, linked twice with the same emulator side (../harness/emu.c): once
 * with the original linux-user/mmap.c compiled at test time from
 * ../shared/oracle (never copied into this repository), once with our
 * library.  Both run the same operation script and print a canonical trace
 * after every step; the runner (run.sh) diffs the two traces.
 *
 *   driver run SCRIPT [--expect FILE] [--timeout SECONDS]
 *   driver gen SEED N          print a random script (deterministic per seed
 *                              and configuration)
 *   driver info                print the configuration
 *
 * The script language, the trace format and the expected-divergence classes
 * are described in README.md beside this file.
 *
 * Addresses.  With reserved VA the guest space sits at a fixed guest base
 * (DIFF_GUEST_BASE, default 1 TiB), so guest addresses are the same in every
 * run and are printed as they are.  Without reserved VA the guest base is 0
 * (QEMU's default for PIE and 64-bit guests) and scripts only place fixed
 * mappings in low memory (the Z zone, the 4 GiB boundary, TASK_UNMAPPED_BASE),
 * where the host has nothing; an address that the host kernel picked in the
 * upper part of the address space (>= 0x500000000000, where the binary, the
 * libraries and the stack live and where placement depends on the binary)
 * is printed relative to an anchor: the Nth such address a step returned
 * ("F2+0x3000").  The runner also disables ASLR with `setarch -R` when it can.
 * For 64-bit guests without reserved VA a safety guard skips (in both
 * runs alike, "SKIP unsafe") any operation whose host range would reach the
 * process's own mappings up there, unless the range lies inside memory the
 * guest was given by an earlier step.
 *
 * Each script runs in a forked child; if the implementation aborts (the
 * original asserts in page_set_flags on some inputs) or crashes, the parent
 * finishes the trace with "!ABORT <signal>" so the harness survives.
 *
 * Expected divergences.  With --expect FILE (the runner passes expected.txt
 * to the oracle run when our library is tested), a step carrying a listed
 * class is run the Linux way on the oracle side: refused with Linux's result
 * (fail), patched after the original's call (tb-args, frag, ...), or
 * replaced by a model (linux-mremap, eof-page, linux-search).  The section
 * "Linux models" below holds them; README.md lists the kinds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "emu.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

typedef unsigned __int128 u128;
typedef uint64_t u64;

/* ------------------------------------------------------------------ */
/* configuration                                                        */
/* ------------------------------------------------------------------ */

#define TPS ((u64)TARGET_PAGE_SIZE)
#if TARGET_ABI_BITS == 32
# define ABI_MASK 0xffffffffull
#else
# define ABI_MASK (~0ull)
#endif
#if TARGET_ABI_BITS == 64
# define TASK_UNMAPPED_BASE_ (1ull << 38)
#else
# define TASK_UNMAPPED_BASE_ 0x40000000ull
#endif
#ifndef DEFAULT_RESERVED_VA
# define DEFAULT_RESERVED_VA 0
#endif

/* The host kernel's user-space top and the start of the "foreign" zone
   (binary, heap, libraries, stack) on an x86_64 host. */
#define USER_TOP 0x7ffffffff000ull
#define FOREIGN_LO 0x500000000000ull
#define ZONE_Z 0x10000000ull
#define DEFAULT_GUEST_BASE 0x10000000000ull

static u64 HP, RP, RVA, GBASE, MINADDR;
static int guarded;        /* 64-bit guest without reserved VA */
static int window32;       /* print host maps over the whole 4 GiB window */

static u64 abi(u64 v) { return v & ABI_MASK; }
static u128 space_top(void) { return (u128)1 << TARGET_ABI_BITS; }
static u128 virt_top(void) { return (u128)1 << TARGET_VIRT_ADDR_SPACE_BITS; }

/* ------------------------------------------------------------------ */
/* output                                                               */
/* ------------------------------------------------------------------ */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    va_start(ap, fmt);
    fprintf(stderr, "driver: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

/* anchors: host-chosen addresses in the foreign zone, in order of appearance */
static u64 anchors[4096];
static int nanchors;

static int foreign(u64 a) { return guarded && a >= FOREIGN_LO && a < USER_TOP; }

static void anchor_add(u64 a)
{
    if (!foreign(a)) return;
    for (int i = 0; i < nanchors; i++)
        if (anchors[i] == a) return;
    if (nanchors < 4096) anchors[nanchors++] = a;
}

/* canonical spelling of a guest address; several may live in one printf */
static int in_ever_owned(u64 a);

static const char *A(u64 a)
{
    static char bufs[16][48];
    static int k;
    char *b = bufs[k++ & 15];
    if (!foreign(a)) {
        snprintf(b, 48, "0x%llx", (unsigned long long)a);
        return b;
    }
    if (!in_ever_owned(a)) {
        /* host-chosen, but not memory the guest was given: where it lies
           depends on the binary, so it has no canonical spelling */
        return "Fx";
    }
    int best = -1;
    for (int i = 0; i < nanchors; i++)
        if (anchors[i] <= a && (best < 0 || anchors[i] > anchors[best])) best = i;
    if (best < 0) {
        anchor_add(a);
        best = nanchors - 1;
    }
    snprintf(b, 48, "F%d+0x%llx", best, (unsigned long long)(a - anchors[best]));
    return b;
}

static const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ETXTBSY: return "ETXTBSY";
    case EFBIG: return "EFBIG";
    case ENXIO: return "ENXIO";
    case EOVERFLOW: return "EOVERFLOW";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: {
        static char b[16];
        snprintf(b, sizeof b, "E%d", e);
        return b;
    }
    }
}

/* ------------------------------------------------------------------ */
/* files                                                                */
/* ------------------------------------------------------------------ */

#define NFILES 6
static int file_fd[NFILES];
static ino_t file_ino[NFILES];
static const char *file_desc[NFILES] __attribute__((unused)) = {
    "100 bytes (shorter than any page)",
    "3 pages + 123 bytes (not a page multiple)",
    "64 KiB",
    "8 KiB + 1 byte",
    "empty",
    "read-only fd on a copy of F1",
};

static size_t file_size0(int i)
{
    switch (i) {
    case 0: return 100;
    case 1: return 3 * 4096 + 123;
    case 2: return 65536;
    case 3: return 8192 + 1;
    case 4: return 0;
    default: return 3 * 4096 + 123;
    }
}

static unsigned char file_byte(int f, size_t i)
{
    /* distinct per file, per page and per byte; never a run of zeros */
    return (unsigned char)(((i * 131u) ^ (i >> 12) * 29u) + (unsigned)f * 53u + 1u) | 1u;
}

static void make_files(void)
{
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    unsigned char *buf;
    for (int f = 0; f < NFILES; f++) {
        int src = f == 5 ? 1 : f;
        size_t n = file_size0(f);
        snprintf(path, sizeof path, "%s/diffdrv.%d.%d.XXXXXX", tmp && *tmp ? tmp : "/tmp",
                 (int)getpid(), f);
        int fd = mkstemp(path);
        if (fd < 0) die("mkstemp %s: %s", path, strerror(errno));
        buf = malloc(n + 1);
        for (size_t i = 0; i < n; i++) buf[i] = file_byte(src, i);
        if (n && write(fd, buf, n) != (ssize_t)n) die("write temp file");
        free(buf);
        if (f == 5) {
            int ro = open(path, O_RDONLY);
            if (ro < 0) die("open ro");
            close(fd);
            fd = ro;
        }
        unlink(path);
        /* move the fd out of the way so its number is the same in every run */
        int hi = fcntl(fd, F_DUPFD, 100 + f);
        close(fd);
        file_fd[f] = hi;
        struct stat st;
        fstat(hi, &st);
        file_ino[f] = st.st_ino;
    }
}

static int file_of_fd(int fd)
{
    for (int f = 0; f < NFILES; f++)
        if (file_fd[f] == fd) return f;
    return -1;
}

static u64 hash_bytes(u64 h, const unsigned char *p, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        u64 w;
        memcpy(&w, p + i, 8);
        h ^= w;
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void print_files(void)
{
    static unsigned char buf[1 << 16];
    out(" files");
    for (int f = 0; f < 5; f++) {
        struct stat st;
        u64 h = 0xcbf29ce484222325ull;
        fstat(file_fd[f], &st);
        off_t off = 0;
        ssize_t r;
        while ((r = pread(file_fd[f], buf, sizeof buf, off)) > 0) {
            h = hash_bytes(h, buf, (size_t)r);
            off += r;
        }
        out(" F%d:%lld:%08llx", f, (long long)st.st_size, (unsigned long long)(h & 0xffffffffull));
    }
    out("\n");
}

/* ------------------------------------------------------------------ */
/* interval sets over guest addresses (u128 so the end can be 2^64)     */
/* ------------------------------------------------------------------ */

struct iv { u128 lo, hi; };
struct ivset { struct iv v[1024]; int n; };

static void ivset_add(struct ivset *s, u128 lo, u128 hi)
{
    if (lo >= hi) return;
    struct iv nv[1024];
    int n = 0, placed = 0;
    for (int i = 0; i < s->n; i++) {
        struct iv c = s->v[i];
        if (c.hi < lo) { nv[n++] = c; continue; }
        if (c.lo > hi) {
            if (!placed) { nv[n].lo = lo; nv[n].hi = hi; n++; placed = 1; }
            nv[n++] = c;
            continue;
        }
        if (c.lo < lo) lo = c.lo;
        if (c.hi > hi) hi = c.hi;
    }
    if (!placed) { nv[n].lo = lo; nv[n].hi = hi; n++; }
    if (n > 1000) n = 1000; /* never happens with sane scripts */
    memcpy(s->v, nv, sizeof(struct iv) * n);
    s->n = n;
}

static void ivset_sub(struct ivset *s, u128 lo, u128 hi)
{
    if (lo >= hi) return;
    struct iv nv[1024];
    int n = 0;
    for (int i = 0; i < s->n; i++) {
        struct iv c = s->v[i];
        if (c.hi <= lo || c.lo >= hi) { nv[n++] = c; continue; }
        if (c.lo < lo && n < 1020) { nv[n].lo = c.lo; nv[n].hi = lo; n++; }
        if (c.hi > hi && n < 1020) { nv[n].lo = hi; nv[n].hi = c.hi; n++; }
    }
    memcpy(s->v, nv, sizeof(struct iv) * n);
    s->n = n;
}

static int ivset_covers(const struct ivset *s, u128 lo, u128 hi)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i].lo <= lo && hi <= s->v[i].hi) return 1;
    return 0;
}

static struct ivset touched, owned, ever_owned;

static u128 hp_down(u128 a) { return a & ~(u128)(HP - 1); }
static u128 hp_up(u128 a) { return (a + HP - 1) & ~(u128)(HP - 1); }
static u128 rp_down(u128 a) { return a & ~(u128)(RP - 1); }
static u128 rp_up(u128 a) { return (a + RP - 1) & ~(u128)(RP - 1); }

static void touch_piece(u128 lo, u128 hi)
{
    if (lo >= hi) return;
    if (guarded && hi > FOREIGN_LO && lo < USER_TOP) {
        /* the foreign zone: only what the guest was given, never the
           process's own mappings (they differ between the two binaries) */
        if (lo < FOREIGN_LO) ivset_add(&touched, lo, FOREIGN_LO);
        if (hi > USER_TOP) ivset_add(&touched, USER_TOP, hi);
        u128 mlo = lo < FOREIGN_LO ? FOREIGN_LO : lo, mhi = hi > USER_TOP ? USER_TOP : hi;
        for (int i = 0; i < ever_owned.n; i++) {
            u128 a = ever_owned.v[i].lo > mlo ? ever_owned.v[i].lo : mlo;
            u128 b = ever_owned.v[i].hi < mhi ? ever_owned.v[i].hi : mhi;
            if (a < b) ivset_add(&touched, a, b);
        }
        return;
    }
    ivset_add(&touched, lo, hi);
}

/* the guest range [start, start+len) rounded out to host pages, clipped to
   the guest space (a wrapping range becomes two pieces) */
static void touch(u64 start, u64 len)
{
    if (len == 0) len = 1;
    u128 lo = start, hi = (u128)start + len;
    u128 top = space_top();
    if (hi > top) {
        touch(0, (u64)(hi - top));
        hi = top;
    }
    lo = hp_down(lo);
    hi = hp_up(hi);
    if (hi > top) hi = top;
    const u128 big = 64u << 20, edge = 1u << 20;
    if (hi - lo > big) {
        touch_piece(lo, lo + edge);
        touch_piece(hi - edge, hi);
    } else {
        touch_piece(lo, hi);
    }
}

static int in_ever_owned(u64 a)
{
    for (int i = 0; i < ever_owned.n; i++)
        if (ever_owned.v[i].lo <= a && a <= ever_owned.v[i].hi) return 1;
    return 0;
}

static void own(u128 lo, u128 hi)
{
    ivset_add(&owned, lo, hi);
    ivset_add(&ever_owned, lo, hi);
}

/* ------------------------------------------------------------------ */
/* host mappings (/proc/self/maps) in guest coordinates                 */
/* ------------------------------------------------------------------ */

struct hmap { u128 lo, hi; char perm[5]; int file, fidx; u64 off; int shm; };
static struct hmap maps[8192];
static int nmaps;

static void read_maps(void)
{
    static char buf[1 << 20];
    int fd = open("/proc/self/maps", O_RDONLY);
    size_t n = 0;
    ssize_t r;
    if (fd < 0) die("open maps");
    while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += (size_t)r;
    close(fd);
    buf[n] = 0;
    nmaps = 0;
    char *line = buf;
    while (*line && nmaps < 8192) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        unsigned long long s, e, off;
        char perm[8];
        unsigned long ino;
        int dmaj, dmin;
        if (sscanf(line, "%llx-%llx %7s %llx %x:%x %lu", &s, &e, perm, &off, &dmaj, &dmin, &ino) == 7) {
            u64 gs = s - GBASE, ge = e - GBASE;
            if (s >= GBASE && (s - GBASE) < ((u64)1 << 62)) {
                struct hmap *m = &maps[nmaps];
                m->lo = gs;
                m->hi = ge;
                memcpy(m->perm, perm, 4);
                m->perm[4] = 0;
                m->file = -1;
                m->fidx = -1;
                m->shm = 0;
                m->off = off;
                for (int f = 0; f < NFILES; f++)
                    if (ino && ino == file_ino[f]) {
                        m->file = f == 5 ? 1 : f;
                        m->fidx = f;
                    }
                if (m->file < 0 && ino) m->shm = 1;
                nmaps++;
            }
        }
        if (!nl) break;
        line = nl + 1;
    }
}

static int maps_prot_at(u128 g) /* -1 unmapped, else PROT bits */
{
    for (int i = 0; i < nmaps; i++)
        if (maps[i].lo <= g && g < maps[i].hi) {
            int p = 0;
            if (maps[i].perm[0] == 'r') p |= PROT_READ;
            if (maps[i].perm[1] == 'w') p |= PROT_WRITE;
            if (maps[i].perm[2] == 'x') p |= PROT_EXEC;
            return p;
        }
    return -1;
}

static void print_hmap_piece(u128 lo, u128 hi, const struct hmap *m, u64 off)
{
    out(" h %s-%s %s", A((u64)lo), hi == space_top() && TARGET_ABI_BITS == 64 ? "top" : A((u64)hi), m->perm);
    if (m->file >= 0)
        out(" F%d@0x%llx", m->file, (unsigned long long)off);
    else if (m->shm)
        out(" shm");
    out("\n");
}

/* print the host mappings intersecting [lo, hi), coalescing neighbours
   that differ only in how the kernel split them */
static void print_hmaps_in(u128 lo, u128 hi)
{
    int have = 0;
    u128 clo = 0, chi = 0;
    u64 coff = 0, cend_off = 0;
    struct hmap cur;
    for (int i = 0; i < nmaps; i++) {
        const struct hmap *m = &maps[i];
        if (m->hi <= lo || m->lo >= hi) continue;
        u128 a = m->lo < lo ? lo : m->lo;
        u128 b = m->hi > hi ? hi : m->hi;
        u64 off = m->off + (u64)(a - m->lo);
        static int raw_vmas = -1;
        if (raw_vmas < 0) raw_vmas = getenv("DIFF_RAW_VMAS") != NULL; /* debugging: every VMA */
        if (have && !raw_vmas && chi == a && !strcmp(cur.perm, m->perm) && cur.file == m->file &&
            cur.shm == m->shm && (m->file < 0 || cend_off == off)) {
            chi = b;
            cend_off = off + (u64)(b - a);
            continue;
        }
        if (have) print_hmap_piece(clo, chi, &cur, coff);
        cur = *m;
        clo = a;
        chi = b;
        coff = off;
        cend_off = off + (u64)(b - a);
        have = 1;
    }
    if (have) print_hmap_piece(clo, chi, &cur, coff);
}

/* ------------------------------------------------------------------ */
/* guarded reads and writes of guest memory                             */
/* ------------------------------------------------------------------ */

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_armed;
static volatile int fault_sig;

static void fault_handler(int sig)
{
    if (fault_armed) {
        fault_sig = sig;
        siglongjmp(fault_jmp, 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_fault_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fault_handler;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

/* copy n bytes at host p into buf; 0 ok, else the signal */
static int guarded_copy(void *buf, const void *p, size_t n)
{
    if (sigsetjmp(fault_jmp, 1)) {
        fault_armed = 0;
        return fault_sig;
    }
    fault_armed = 1;
    memcpy(buf, p, n);
    fault_armed = 0;
    return 0;
}

static int guarded_fill(void *p, size_t n, unsigned char seed)
{
    if (sigsetjmp(fault_jmp, 1)) {
        fault_armed = 0;
        return fault_sig;
    }
    fault_armed = 1;
    for (size_t i = 0; i < n; i++)
        ((volatile unsigned char *)p)[i] = (unsigned char)(seed + i * 7 + (i >> 12));
    fault_armed = 0;
    return 0;
}

/* ------------------------------------------------------------------ */
/* state dump                                                           */
/* ------------------------------------------------------------------ */

static void print_flags(void)
{
    for (int i = 0; i < touched.n; i++) {
        u128 lo = touched.v[i].lo & ~(u128)(TPS - 1), hi = touched.v[i].hi;
        u128 rs = 0;
        int rf = 0;
        for (u128 a = lo;; a += TPS) {
            int f = a < hi ? page_get_flags((target_ulong)(u64)a) : -1;
            if (a == lo) { rs = a; rf = f; continue; }
            if (f != rf) {
                if (rf > 0) out(" f %s-%s %02x\n", A((u64)rs), A((u64)a), rf);
                rs = a;
                rf = f;
            }
            if (a >= hi) break;
        }
    }
}

static void print_host(void)
{
    if (window32) {
        print_hmaps_in(0, space_top());
        return;
    }
    if (RVA) print_hmaps_in(0, RVA);
    for (int i = 0; i < touched.n; i++) {
        u128 lo = touched.v[i].lo, hi = touched.v[i].hi;
        if (RVA && lo < RVA) lo = RVA;
        if (lo < hi) print_hmaps_in(lo, hi);
    }
}

/* the bytes of every host-readable page in the touched ranges, hashed in
   runs of consecutive readable real host pages; faulting pages listed */
static void print_data(void)
{
    static unsigned char page[1 << 16];
    for (int i = 0; i < touched.n; i++) {
        u128 lo = touched.v[i].lo & ~(u128)(RP - 1), hi = touched.v[i].hi;
        int state = 0; /* 0 none, 1 hashing, 2 fault run */
        u128 rs = 0;
        u64 h = 0;
        int rsig = 0;
        for (u128 a = lo;; a += RP) {
            int ns = 0, sig = 0;
            if (a < hi) {
                int p = maps_prot_at(a);
                if (p >= 0 && (p & PROT_READ)) {
                    sig = guarded_copy(page, g2h((u64)a), RP);
                    ns = sig ? 2 : 1;
                }
            }
            if (ns != state || (ns == 2 && sig != rsig)) {
                if (state == 1)
                    out(" d %s-%s %016llx\n", A((u64)rs), A((u64)a), (unsigned long long)h);
                else if (state == 2)
                    out(" d %s-%s %s\n", A((u64)rs), A((u64)a), rsig == SIGBUS ? "SIGBUS" : "SIGSEGV");
                state = ns;
                rs = a;
                rsig = sig;
                h = 0xcbf29ce484222325ull;
            }
            if (ns == 1) h = hash_bytes(h, page, RP);
            if (a >= hi) break;
        }
    }
}

/* The TB invalidations of a step, compared by effect: QEMU 2.3's
   tb_invalidate_phys_range does nothing when start >= end, and invalidating
   a page twice is the same as once, so the trace shows the union of the
   non-empty ranges, in target pages.  DIFF_TB_RAW=1 prints every call as
   made instead (to compare call sequences exactly). */
static void print_tb(void)
{
    size_t n = emu_tb_count();
    static int raw = -1;
    if (raw < 0) raw = getenv("DIFF_TB_RAW") && *getenv("DIFF_TB_RAW") == '1';
    if (raw) {
        for (size_t i = 0; i < n; i++) {
            struct emu_tb_call c = emu_tb_get(i);
            out(" tb %s-%s\n", A(c.start), A(c.end));
        }
        return;
    }
    static struct ivset u;
    u.n = 0;
    for (size_t i = 0; i < n; i++) {
        struct emu_tb_call c = emu_tb_get(i);
        if (c.start < c.end)
            ivset_add(&u, (u64)c.start & ~(TPS - 1), ((u128)c.end + TPS - 1) & ~(u128)(TPS - 1));
    }
    for (int i = 0; i < u.n; i++) {
        u128 hi = u.v[i].hi;
        if (hi > space_top()) hi = space_top();
        out(" tb %s-%s\n", A((u64)u.v[i].lo), hi == ((u128)1 << 64) ? "top" : A((u64)hi));
    }
}

static void print_state(void)
{
    print_tb();
    emu_tb_reset();
    out(" next %s\n", A(mmap_next_start));
    read_maps();
    print_flags();
    print_host();
    print_data();
    print_files();
}

/* ------------------------------------------------------------------ */
/* scripts                                                              */
/* ------------------------------------------------------------------ */

enum { OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_MREMAP, OP_MSYNC, OP_FIND, OP_WRITE, OP_NEXT };
static const char *opnames[] = { "mmap", "munmap", "mprotect", "mremap", "msync", "find", "write", "next" };
static const int opnargs[] = { 6, 2, 3, 5, 3, 2, 3, 1 };

struct label { char name[32]; u64 val; };
static struct label labels[4096];
static int nlabels;
static const char *cur_line;

static int label_find(const char *n, size_t len)
{
    for (int i = nlabels - 1; i >= 0; i--)
        if (strlen(labels[i].name) == len && !strncmp(labels[i].name, n, len)) return i;
    return -1;
}

static void label_set(const char *n, u64 v)
{
    int i = label_find(n, strlen(n));
    if (i < 0 && nlabels < 4096) {
        i = nlabels++;
        snprintf(labels[i].name, sizeof labels[i].name, "%s", n);
    }
    if (i >= 0) labels[i].val = v;
}

/* expression evaluator: + - * / % ( ) unary - ~, numbers, symbols, $label */
static const char *ep;
static int eval_taint; /* the expression used a host-chosen address */
static u64 ev_expr(void);

static u64 ev_symbol(const char *s, size_t n)
{
#define IS(x) (n == strlen(x) && !strncmp(s, x, n))
    if (IS("TP")) return TPS;
    if (IS("HP")) return HP;
    if (IS("RP")) return RP;
    if (IS("RVA")) return RVA;
    if (IS("TUB")) return TASK_UNMAPPED_BASE_;
    if (IS("TOP")) return TARGET_ABI_BITS == 64 ? 0 : (1ull << 32);
    if (IS("VA")) return TARGET_VIRT_ADDR_SPACE_BITS >= 64 ? 0 : (1ull << TARGET_VIRT_ADDR_SPACE_BITS);
    if (IS("G4")) return 1ull << 32;
    if (IS("Z")) return ZONE_Z;
    if (IS("MIN")) return MINADDR;
    if (IS("NEXT")) {
        if (foreign(mmap_next_start)) eval_taint = 1;
        return mmap_next_start;
    }
    if (IS("MAXU")) return ABI_MASK;
    if (IS("ABI")) return TARGET_ABI_BITS;
    for (int f = 0; f < NFILES; f++) {
        char nm[8];
        snprintf(nm, sizeof nm, "F%dSZ", f);
        if (IS(nm)) return file_size0(f);
    }
#undef IS
    die("unknown symbol '%.*s' in: %s", (int)n, s, cur_line);
}

static u64 ev_factor(void)
{
    if (*ep == '(') {
        ep++;
        u64 v = ev_expr();
        if (*ep != ')') die("missing ) in: %s", cur_line);
        ep++;
        return v;
    }
    if (*ep == '-') { ep++; return -ev_factor(); }
    if (*ep == '~') { ep++; return ~ev_factor(); }
    if (*ep >= '0' && *ep <= '9') {
        char *e;
        u64 v = strtoull(ep, &e, 0);
        ep = e;
        return v;
    }
    if (*ep == '$') {
        const char *s = ++ep;
        while ((*ep >= 'a' && *ep <= 'z') || (*ep >= 'A' && *ep <= 'Z') || (*ep >= '0' && *ep <= '9') || *ep == '_') ep++;
        int i = label_find(s, (size_t)(ep - s));
        if (i >= 0 && foreign(labels[i].val)) eval_taint = 1;
        return i < 0 ? ABI_MASK : labels[i].val; /* a removed step reads as -1 */
    }
    if ((*ep >= 'A' && *ep <= 'Z') || (*ep >= 'a' && *ep <= 'z')) {
        const char *s = ep;
        while ((*ep >= 'A' && *ep <= 'Z') || (*ep >= 'a' && *ep <= 'z') || (*ep >= '0' && *ep <= '9')) ep++;
        return ev_symbol(s, (size_t)(ep - s));
    }
    die("bad expression at '%s' in: %s", ep, cur_line);
}

static u64 ev_term(void)
{
    u64 v = ev_factor();
    for (;;) {
        if (*ep == '*') { ep++; v *= ev_factor(); }
        else if (*ep == '/') { ep++; u64 d = ev_factor(); v = d ? v / d : 0; }
        else if (*ep == '%') { ep++; u64 d = ev_factor(); v = d ? v % d : 0; }
        else return v;
    }
}

static u64 ev_expr(void)
{
    u64 v = ev_term();
    for (;;) {
        if (*ep == '+') { ep++; v += ev_term(); }
        else if (*ep == '-') { ep++; v -= ev_term(); }
        else return v;
    }
}

static u64 eval(const char *s)
{
    ep = s;
    u64 v = ev_expr();
    if (*ep) die("trailing junk '%s' in: %s", ep, cur_line);
    return v;
}

static int parse_prot(const char *s)
{
    if (strlen(s) == 3 && strchr("r-", s[0]) && strchr("w-", s[1]) && strchr("x-", s[2]))
        return (s[0] == 'r' ? PROT_READ : 0) | (s[1] == 'w' ? PROT_WRITE : 0) | (s[2] == 'x' ? PROT_EXEC : 0);
    return (int)eval(s);
}

struct flagname { const char *n; unsigned long v; };
static const struct flagname mmap_flags[] = {
    { "validate", MAP_SHARED_VALIDATE }, { "shared", MAP_SHARED }, { "private", MAP_PRIVATE },
    { "fixed", MAP_FIXED }, { "anon", MAP_ANONYMOUS }, { "noreserve", MAP_NORESERVE },
    { "noreplace", MAP_FIXED_NOREPLACE }, { "growsdown", MAP_GROWSDOWN },
    { "denywrite", MAP_DENYWRITE }, { "executable", MAP_EXECUTABLE }, { "locked", MAP_LOCKED },
    { "populate", MAP_POPULATE }, { NULL, 0 } };
static const struct flagname mremap_flags[] = {
    { "maymove", MREMAP_MAYMOVE }, { "fixed", MREMAP_FIXED }, { "dontunmap", MREMAP_DONTUNMAP }, { NULL, 0 } };
static const struct flagname msync_flags[] = {
    { "async", MS_ASYNC }, { "sync", MS_SYNC }, { "invalidate", MS_INVALIDATE }, { NULL, 0 } };

static unsigned long parse_flags(const char *s, const struct flagname *t)
{
    unsigned long v = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|")) {
        int found = 0;
        for (int i = 0; t[i].n; i++)
            if (!strcmp(tok, t[i].n)) { v |= t[i].v; found = 1; break; }
        if (!found) {
            const char *save = ep;
            v |= (unsigned long)eval(tok);
            ep = save;
        }
    }
    return v;
}

static const char *fmt_flags(unsigned long v, const struct flagname *t)
{
    static char b[256];
    b[0] = 0;
    if (t == mmap_flags) {
        /* the type first */
        unsigned long ty = v & 3;
        strcat(b, ty == 1 ? "shared" : ty == 2 ? "private" : ty == 3 ? "validate" : "type0");
        v &= ~3ul;
    }
    for (int i = 0; t[i].n; i++) {
        if (t == mmap_flags && t[i].v <= 3) continue;
        if (t[i].v && (v & t[i].v) == t[i].v) {
            if (b[0]) strcat(b, "|");
            strcat(b, t[i].n);
            v &= ~t[i].v;
        }
    }
    if (v || !b[0]) {
        char x[32];
        snprintf(x, sizeof x, "%s0x%lx", b[0] ? "|" : "", v);
        strcat(b, x);
    }
    return b;
}

static const char *fmt_prot(int p)
{
    static char b[4][32];
    static int k;
    char *s = b[k++ & 3];
    if (p & ~7) {
        snprintf(s, 32, "0x%x", p);
    } else {
        s[0] = p & PROT_READ ? 'r' : '-';
        s[1] = p & PROT_WRITE ? 'w' : '-';
        s[2] = p & PROT_EXEC ? 'x' : '-';
        s[3] = 0;
    }
    return s;
}

static int parse_fd(const char *s)
{
    if (s[0] == 'F' && s[1] >= '0' && s[1] < '0' + NFILES && !s[2]) return file_fd[s[1] - '0'];
    return (int)eval(s);
}

static const char *fmt_fd(int fd)
{
    static char b[16];
    int f = file_of_fd(fd);
    if (f >= 0) snprintf(b, sizeof b, "F%d", f);
    else snprintf(b, sizeof b, "%d", fd);
    return b;
}

/* ------------------------------------------------------------------ */
/* expected-divergence classes                                          */
/* ------------------------------------------------------------------ */

#define MAXCLS 24
struct classes { int n; char c[MAXCLS][64]; };

static void cls_add(struct classes *c, const char *op, const char *what)
{
    if (c->n < MAXCLS) snprintf(c->c[c->n++], 64, "%s-%s", op, what);
}

static u64 align_len(u64 len) { return abi((len + TPS - 1) & ~(TPS - 1)); }

/* classes of a guest range [start, start + page-aligned len) */
static void cls_range(struct classes *c, const char *op, u64 start, u64 len)
{
    u128 full_end = (u128)start + (((u128)len + TPS - 1) & ~(u128)(TPS - 1));
    if (len == 0) cls_add(c, op, "len0");
    else if (align_len(len) == 0) cls_add(c, op, "lenwrap");
    if (start & (TPS - 1)) cls_add(c, op, "unaligned");
    if (full_end == space_top()) cls_add(c, op, "end-top");
    else if (full_end > space_top()) cls_add(c, op, "wrap");
    if (TARGET_VIRT_ADDR_SPACE_BITS < TARGET_ABI_BITS && full_end <= space_top()) {
        if (full_end == virt_top()) cls_add(c, op, "end-va");
        else if (full_end > virt_top()) cls_add(c, op, "beyond-va");
    }
    if (RVA && full_end > RVA) cls_add(c, op, "beyond-rva");
}

/* some page of [start, end) has flags == 0 / flags differ between pages */
static int range_has_unmapped(u64 start, u64 len)
{
    u64 n = align_len(len) / TPS;
    if (n > 65536) n = 65536;
    for (u64 i = 0; i < n; i++)
        if (page_get_flags((target_ulong)abi(start + i * TPS)) == 0) return 1;
    return 0;
}

static int range_all_free(u64 start, u64 len)
{
    u64 n = align_len(len) / TPS;
    if (n > 65536) n = 65536;
    for (u64 i = 0; i < n; i++)
        if (page_get_flags((target_ulong)abi(start + i * TPS)) != 0) return 0;
    return 1;
}

static int range_mixed(u64 start, u64 len)
{
    u64 n = align_len(len) / TPS;
    if (n > 65536) n = 65536;
    int f0 = page_get_flags((target_ulong)start);
    for (u64 i = 1; i < n; i++)
        if (page_get_flags((target_ulong)abi(start + i * TPS)) != f0) return 1;
    return 0;
}

static int range_any_flag(u64 start, u64 len, int flag)
{
    u64 n = align_len(len) / TPS;
    if (n > 65536) n = 65536;
    for (u64 i = 0; i < n; i++)
        if (page_get_flags((target_ulong)abi(start + i * TPS)) & flag) return 1;
    return 0;
}

/* a partially covered host page at either end holds another valid page */
static int frag_has_neighbours(u64 start, u64 end)
{
    if (HP <= TPS) return 0;
    u64 hs = start & ~(HP - 1);
    if (start != hs)
        for (u64 a = hs; a < start; a += TPS)
            if (page_get_flags((target_ulong)a)) return 1;
    u64 he = abi((end + HP - 1) & ~(HP - 1));
    if (end != he && end > start)
        for (u64 a = end; a < he || (he == 0 && a != 0); a += TPS) {
            if (page_get_flags((target_ulong)abi(a))) return 1;
            if (abi(a + TPS) == 0) break;
        }
    return 0;
}

static off_t fd_size(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0) return -1;
    return st.st_size;
}

static u128 guest_limit(void);

static u128 tp_len(u64 size);
static void classify(struct classes *c, int op, u64 *a)
{
    c->n = 0;
    switch (op) {
    case OP_MMAP: {
        u64 start = a[0], len = a[1], off = a[5];
        int prot = (int)a[2], flags = (int)a[3], fd = (int)a[4];
        /* MAP_FIXED_NOREPLACE is a fixed map for Linux (a hint for 2.3) */
        int anon = flags & MAP_ANONYMOUS, fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
        int shared = (flags & 3) == MAP_SHARED || (flags & 3) == MAP_SHARED_VALIDATE;
        if (flags & MAP_FIXED_NOREPLACE) cls_add(c, "mmap", "noreplace");
        if ((flags & 3) == MAP_SHARED_VALIDATE) {
            cls_add(c, "mmap", !anon ? "validate" : fixed ? "validate-anon-fixed" : "validate-anon");
            /* flags Linux does not know with MAP_SHARED_VALIDATE (its LEGACY_MAP_MASK) */
            const int known = 0x0f | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE | 0x4000000 |
                              MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK |
                              MAP_STACK | MAP_HUGETLB;
            if (!anon && (flags & ~known)) cls_add(c, "mmap", "validate-unknown");
        }
        if ((flags & 3) == 0) cls_add(c, "mmap", fixed ? "type0-fixed" : "type0");
        if (prot & ~7) cls_add(c, "mmap", "badprot");
        if (off & (TPS - 1)) cls_add(c, "mmap", "offset-unaligned");
        if (fixed) {
            cls_range(c, "mmap", start, len);
        } else {
            if (len == 0) cls_add(c, "mmap", "len0");
            else if (align_len(len) == 0) cls_add(c, "mmap", "lenwrap");
            if (start) cls_add(c, "mmap", "hint");
        }
        /* longer than the whole guest space */
        if (align_len(len) && (u128)align_len(len) > guest_limit()) cls_add(c, "mmap", "toolong");
        u64 end = abi(start + align_len(len));
        if (!anon) {
            off_t sz = fd_size(fd);
            if (sz < 0) cls_add(c, "mmap", fixed ? "badfd-fixed" : "badfd");
            else if (shared && (prot & PROT_WRITE) && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY)
                cls_add(c, "mmap", fixed ? "denied-fixed" : "denied");
            else {
                if ((u128)off + align_len(len) > (u128)sz) {
                    cls_add(c, "mmap", "file-eof");
                    if (TPS > RP) cls_add(c, "mmap", "file-eof-bigpage");
                }
                if ((u64)sz < TPS) cls_add(c, "mmap", "file-short");
            }
            /* the file range ends past the largest file position of a 64-bit
               kernel (MAX_LFS_FILESIZE for a regular file) */
            if (sz >= 0 && align_len(len) && (u128)off + align_len(len) > (u128)INT64_MAX)
                cls_add(c, "mmap", "offset-overflow");
            if (fixed && align_len(len)) {
                if (((off ^ start) & (HP - 1)) != 0) {
                    cls_add(c, "mmap", shared ? ((prot & PROT_WRITE) ? "noncongruent-shared-w"
                                                                     : "noncongruent-shared")
                                              : "noncongruent");
                } else if ((start & (HP - 1)) || (end & (HP - 1))) {
                    cls_add(c, "mmap", shared && (prot & PROT_WRITE) ? "frag-shared-w" : "file-frag");
                }
            }
        } else if (fixed && align_len(len) && ((start | end) & (HP - 1))) {
            cls_add(c, "mmap", frag_has_neighbours(start, end) ? "anon-frag" : "anon-frag-fresh");
        }
        if (!anon && !fixed && (off & (HP - 1))) cls_add(c, "mmap", "offset-hp");
        /* a fixed map with a fragment: host pages it shares (-p 65536) */
        if (fixed && HP > TPS && align_len(len) && !(start & (TPS - 1)) && ((start | end) & (HP - 1)))
            cls_add(c, "mmap", "frag");
        if (!fixed && HP > TPS) cls_add(c, "mmap", "search-hostbig");
        /* a hint whose range would end past the guest space (2.3's search may
           accept it: the range ends past the top of a 32-bit space) */
        if (!fixed && start && (u128)(start & ~(HP - 1)) + hp_up(align_len(len)) > guest_limit())
            cls_add(c, "mmap", "search-top");
        /* a hint so low that the window found may lie below mmap_min_addr:
           the reserved search has no floor in 2.3 */
        if (!fixed && RVA && start && (start & ~(HP - 1)) <= hp_up(MINADDR ? MINADDR : 1) + hp_up(align_len(len)))
            cls_add(c, "mmap", "search-low");
        /* the end inside a host page, handled by 2.3's end-fragment code
           (not the one-host-page case), which takes the whole host page */
        if (fixed && align_len(len) && (end & (HP - 1)) && !(start & (TPS - 1)) &&
            !((start & (HP - 1)) && (start & ~(HP - 1)) == ((end - 1) & ~(HP - 1))))
            cls_add(c, "mmap", "end-frag");
        break;
    }
    case OP_MUNMAP:
        cls_range(c, "munmap", a[0], a[1]);
        if (align_len(a[1]) && ((a[0] | abi(a[0] + align_len(a[1]))) & (HP - 1))) cls_add(c, "munmap", "frag");
        break;
    case OP_MPROTECT: {
        int prot = (int)a[2];
        cls_range(c, "mprotect", a[0], a[1]);
        /* bits Linux's mprotect refuses (it takes PROT_SEM and the grows bits) */
        if (prot & ~(7 | 0x8 | PROT_GROWSDOWN | PROT_GROWSUP)) cls_add(c, "mprotect", "badprot");
        if (!(a[0] & (TPS - 1)) && align_len(a[1])) {
            if (range_has_unmapped(a[0], a[1])) cls_add(c, "mprotect", "unmapped");
            if (!(prot & PROT_EXEC) && range_any_flag(a[0], a[1], PAGE_EXEC)) cls_add(c, "mprotect", "drop-exec");
        }
        if (align_len(a[1]) && ((a[0] | abi(a[0] + align_len(a[1]))) & (HP - 1))) cls_add(c, "mprotect", "frag");
        break;
    }
    case OP_MREMAP: {
        u64 old = a[0], osz = a[1], nsz = a[2], fl = a[3], nw = a[4];
        if (osz == 0) cls_add(c, "mremap", "old0");
        if (nsz == 0) cls_add(c, "mremap", "new0");
        if (old & (TPS - 1)) cls_add(c, "mremap", "unaligned");
        if (fl & ~7ul) cls_add(c, "mremap", "badflags");
        if (fl & MREMAP_DONTUNMAP) cls_add(c, "mremap", "dontunmap");
        if ((u128)old + osz > space_top()) cls_add(c, "mremap", "old-wrap");
        if ((u128)old + nsz > space_top()) cls_add(c, "mremap", "grow-wrap");
        if (RVA && (u128)old + osz > RVA) cls_add(c, "mremap", "old-beyond-rva");
        if (fl & MREMAP_FIXED) {
            cls_add(c, "mremap", "fixed");
            if ((u128)nw + nsz > space_top()) cls_add(c, "mremap", "new-wrap");
            if (RVA && (u128)nw + nsz > RVA) cls_add(c, "mremap", "new-beyond-rva");
            if (nw & (TPS - 1)) cls_add(c, "mremap", "new-unaligned");
        } else if (fl & MREMAP_MAYMOVE) {
            cls_add(c, "mremap", "maymove");
        } else {
            if (nsz < osz) cls_add(c, "mremap", RVA ? "shrink-rva" : "shrink");
            else if (nsz > osz) cls_add(c, "mremap", RVA ? "grow-rva" : "grow");
        }
        if (osz && !(old & (TPS - 1)) && range_mixed(old, osz)) cls_add(c, "mremap", "mixedprot");
        if (osz && !(old & (TPS - 1)) && range_has_unmapped(old, osz)) cls_add(c, "mremap", "unmapped");
        /* ranges outside the guest space, other argument errors, reserved VA */
        if ((u128)old + (((u128)osz + TPS - 1) & ~(u128)(TPS - 1)) > guest_limit()) cls_add(c, "mremap", "old-outside");
        if ((fl & MREMAP_FIXED) && !(fl & MREMAP_MAYMOVE)) cls_add(c, "mremap", "fixed-nomove");
        if ((fl & MREMAP_FIXED) && (u128)nw + (((u128)nsz + TPS - 1) & ~(u128)(TPS - 1)) > guest_limit())
            cls_add(c, "mremap", "new-outside");
        if ((fl & MREMAP_FIXED) && (u128)nw < (u128)old + (((u128)osz + TPS - 1) & ~(u128)(TPS - 1)) &&
            (u128)old < (u128)nw + (((u128)nsz + TPS - 1) & ~(u128)(TPS - 1)))
            cls_add(c, "mremap", "overlap");
        if (!(fl & (MREMAP_FIXED | MREMAP_MAYMOVE)) && nsz > osz &&
            (u128)old + (((u128)nsz + TPS - 1) & ~(u128)(TPS - 1)) > guest_limit())
            cls_add(c, "mremap", "grow-outside");
        if (RVA) cls_add(c, "mremap", "rva");
        /* MREMAP_MAYMOVE alone without growth: Linux stays in place (2.3 moves) */
        if ((fl & (MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) == MREMAP_MAYMOVE && osz && tp_len(nsz) &&
            tp_len(nsz) <= tp_len(osz))
            cls_add(c, "mremap", "maymove-inplace");
        /* sizes inside a target page larger than the real page: Linux aligns
           them to its (the target's) page; 2.3 passes them on as they are */
        if (TPS > RP && ((osz | nsz) & (TPS - 1))) cls_add(c, "mremap", "subpage");
        if (HP > TPS && (fl & MREMAP_MAYMOVE) && !(fl & MREMAP_FIXED)) cls_add(c, "mremap", "search-hostbig");
        if (HP > TPS) cls_add(c, "mremap", "hostbig");
        break;
    }
    case OP_MSYNC:
        if ((a[2] & ~(u64)(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) || ((a[2] & MS_ASYNC) && (a[2] & MS_SYNC)))
            cls_add(c, "msync", "badflags");
        cls_range(c, "msync", a[0], a[1]);
        if (!(a[0] & (TPS - 1)) && align_len(a[1]) && range_has_unmapped(a[0], a[1]))
            cls_add(c, "msync", "unmapped");
        break;
    case OP_FIND:
        if (a[1] == 0) cls_add(c, "find", "len0");
        if (RVA && a[1] > RVA) cls_add(c, "find", "huge");
        if (HP > TPS) cls_add(c, "find", "search-hostbig");
        if (RVA && a[0] && (a[0] & ~(HP - 1)) <= hp_up(MINADDR ? MINADDR : 1) + hp_up(a[1])) cls_add(c, "find", "search-low");
        if (a[0] && (u128)(a[0] & ~(HP - 1)) + hp_up(a[1]) > guest_limit()) cls_add(c, "find", "search-top");
        break;
    default:
        break;
    }
}

/* Expectations (expected.txt): "CLASS KIND [ARGS]", one per line.  For a
   step, every line whose class the step carries applies, in the order of
   the file:
     - a terminal kind (fail, stop) ends the scan: the oracle does not run the
       call.  The file lists terminal lines in the order our library checks
       its inputs, so the first one that matches is the one ours reports;
     - noreplace ends the scan with EEXIST when a page of the range is in
       use, else turns the call into a MAP_FIXED one and the scan goes on;
     - as-shared rewrites the flags before the call;
     - the others act after the call (zero, tb-args, mask-flags,
       reserve-holes, drop-probe, keep-next, file-tail, frag) or replace
       the call by a model (linux-mremap, eof-page). */
struct expect { char cls[64]; int kind; long long ret; int err; };
enum { EX_FAIL, EX_ZERO, EX_STOP, EX_TB_ARGS, EX_NOREPLACE, EX_AS_SHARED, EX_MASK_FLAGS,
       EX_RESERVE_HOLES, EX_DROP_PROBE, EX_KEEP_NEXT, EX_LINUX_MREMAP, EX_FILE_TAIL, EX_EOF_PAGE,
       EX_FRAG, EX_LINUX_SEARCH, EX_TIGHTEN, EX_LINUX_MPROTECT, EX_NKINDS };
static const char *const ex_names[EX_NKINDS] = {
    "fail", "zero", "stop", "tb-args", "noreplace", "as-shared", "mask-flags",
    "reserve-holes", "drop-probe", "keep-next", "linux-mremap", "file-tail", "eof-page", "frag", "linux-search", "tighten",
    "linux-mprotect" };
static struct expect expects[256];
static int nexpects;

/* what applies to one step */
struct plan {
    const struct expect *term;          /* fail or stop: the call is not run */
    struct expect synth;                /* noreplace over a used range: EEXIST */
    int has[EX_NKINDS];
    const char *why[EX_NKINDS];         /* the class that brought each kind */
};

static int errno_of(const char *s)
{
    static const int all[] = { EPERM, ENOENT, EBADF, EAGAIN, ENOMEM, EACCES, EFAULT, EBUSY, EEXIST,
                               ENODEV, EINVAL, ETXTBSY, EFBIG, ENXIO, EOVERFLOW, EOPNOTSUPP, 0 };
    for (int i = 0; all[i]; i++)
        if (!strcmp(errname(all[i]), s)) return all[i];
    return atoi(s);
}

static void load_expect(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f) die("cannot open %s", path);
    while (fgets(line, sizeof line, f)) {
        char *h = strchr(line, '#');
        if (h) *h = 0;
        char cls[64], kind[32], ret[32], err[32];
        int n = sscanf(line, "%63s %31s %31s %31s", cls, kind, ret, err);
        if (n < 2) continue;
        if (nexpects >= 256) die("too many lines in %s", path);
        struct expect *e = &expects[nexpects];
        snprintf(e->cls, sizeof e->cls, "%s", cls);
        e->kind = -1;
        for (int k = 0; k < EX_NKINDS; k++)
            if (!strcmp(kind, ex_names[k])) e->kind = k;
        if (e->kind < 0 || (e->kind == EX_FAIL && n < 3) || (e->kind != EX_FAIL && n > 2))
            die("bad line in %s: %s", path, line);
        if (e->kind == EX_FAIL) {
            e->ret = strtoll(ret, NULL, 0);
            e->err = n >= 4 ? errno_of(err) : 0;
        }
        nexpects++;
    }
    fclose(f);
}

/* Without reserved VA the host sees MAP_FIXED_NOREPLACE too: a host page of
   the range that holds no guest page but is mapped on the host (memory that
   is not the guest's) gives EEXIST as well */
static int noreplace_host_busy(u64 start, u64 len)
{
    if (RVA || !align_len(len)) return 0;
    u128 lo = hp_down(start), hi = hp_up((u128)start + align_len(len));
    read_maps();
    for (u128 h = lo; h < hi; h += HP) {
        int live = 0;
        for (u128 x = h; x < h + HP && !live; x += TPS) live = page_get_flags((target_ulong)(u64)x) != 0;
        if (live) continue;
        for (u128 x = h; x < h + HP; x += RP)
            if (maps_prot_at(x) >= 0) return 1;
    }
    return 0;
}

static int has_class(const struct classes *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->c[i], name)) return 1;
    return 0;
}


/* the plan of a step; may rewrite the mmap flags in a[3] */
static void make_plan(struct plan *p, const struct classes *c, int op, u64 *a)
{
    int host_busy = 0; /* NOREPLACE over a host mapping that holds no guest page */
    memset(p, 0, sizeof *p);
    for (int j = 0; j < nexpects && !p->term; j++) {
        const struct expect *e = &expects[j];
        if (!has_class(c, e->cls)) continue;
        switch (e->kind) {
        case EX_FAIL:
        case EX_STOP:
            p->term = e;
            break;
        case EX_NOREPLACE:
            if (op != OP_MMAP) break;
            /* Linux: EEXIST over a range the guest has mapped, else exactly
               there.  A host mapping holding no guest page is found only by
               the host's own refusal, after every check the library makes
               (a later fail line wins over it) */
            if (!range_all_free(a[0], a[1])) {
                p->synth = *e;
                p->synth.kind = EX_FAIL;
                p->synth.ret = -1;
                p->synth.err = EEXIST;
                p->term = &p->synth;
            } else {
                host_busy = noreplace_host_busy(a[0], a[1]);
                if (!host_busy) a[3] = (a[3] & ~(u64)MAP_FIXED_NOREPLACE) | MAP_FIXED;
            }
            break;
        case EX_AS_SHARED:
            if (op == OP_MMAP) a[3] = (a[3] & ~3ul) | MAP_SHARED;
            break;
        default:
            break;
        }
        if (!p->has[e->kind]) p->why[e->kind] = e->cls;
        p->has[e->kind] = 1;
    }
    if (host_busy && !p->term) {
        p->synth = expects[0];
        snprintf(p->synth.cls, sizeof p->synth.cls, "mmap-noreplace");
        p->synth.kind = EX_FAIL;
        p->synth.ret = -1;
        p->synth.err = EEXIST;
        p->term = &p->synth;
    }
    if (p->term) {
        /* nothing after a terminal line applies; what came before cannot */
        for (int k = 0; k < EX_NKINDS; k++) p->has[k] = 0;
        p->has[p->term->kind] = 1;
    }
}

/* the oracle's stderr records every modelled step, for the runner's figures */
static void plan_note(int step, const struct plan *p)
{
    for (int k = 0; k < EX_NKINDS; k++)
        if (p->has[k])
            fprintf(stderr, "expect step=%d class=%s kind=%s\n", step,
                    p->term && p->term->kind == k ? p->term->cls : p->why[k], ex_names[k]);
}

/* model of Linux for "zero": the fresh anonymous pages read as zero (written
   through /proc/self/mem, whatever their protection; a page that faults,
   such as a file mapping past end of file, stays as it is) */
static int mem_io(int wr, u64 g, void *buf, size_t n);
static void zero_guest_range(u64 start, u64 len)
{
    static unsigned char zeros[1 << 16];
    read_maps();
    for (u64 a = start & ~(RP - 1); a < start + len; a += RP) {
        if (maps_prot_at(a) < 0) continue;
        u64 lo = a < start ? start : a, hi = a + RP > start + len ? start + len : a + RP;
        mem_io(1, lo, zeros, hi - lo);
    }
}

/* ------------------------------------------------------------------ */
/* Linux models used by the expectations                                */
/* ------------------------------------------------------------------ */

/* the end of the guest space, as Linux sees the guest's address space: the
   reserved VA, else the virtual-address bits, minus the top page */
static u128 guest_limit(void)
{
    u128 lim;
    if (TARGET_ABI_BITS == 32) lim = ((u128)1 << 32) - TPS;
    else if (TARGET_VIRT_ADDR_SPACE_BITS < 64) lim = ((u128)1 << TARGET_VIRT_ADDR_SPACE_BITS) - TPS;
    else lim = ((u128)1 << 64) - TPS;
    if (RVA && RVA < lim) lim = RVA;
    return lim;
}

static u128 tp_len(u64 size) { return ((u128)size + TPS - 1) & ~(u128)(TPS - 1); }

/* give [from, to) (real host pages) back to the PROT_NONE reservation */
static void rereserve(u128 from, u128 to)
{
    if (from < to)
        mmap(g2h((u64)from), (size_t)(to - from), PROT_NONE,
             MAP_FIXED | MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE, -1, 0);
}

/* munmap's rule for the host pages of [start, end): a host page at either
   end that still holds another guest page stays */
static void releasable(u128 start, u128 end, u128 *rs, u128 *re)
{
    u128 s = start & ~(u128)(HP - 1), e = (end + HP - 1) & ~(u128)(HP - 1);
    if (start > s) {
        int f = 0;
        for (u128 x = s; x < start; x += TPS) f |= page_get_flags((target_ulong)(u64)x);
        if (e == s + HP) {
            for (u128 x = end; x < e; x += TPS) f |= page_get_flags((target_ulong)(u64)x);
            end = e;
        }
        if (f) s += HP;
    }
    if (end < e) {
        int f = 0;
        for (u128 x = end; x < e; x += TPS) f |= page_get_flags((target_ulong)(u64)x);
        if (f) e -= HP;
    }
    *rs = s;
    *re = e;
}

/* munmap's host side over [start, end): released host pages go back to the
   reservation under reserved VA, to the host otherwise */
static void release_host_pages(u128 start, u128 end)
{
    u128 rs, re;
    releasable(start, end, &rs, &re);
    if (rs >= re) return;
    if (RVA) rereserve(rs, re);
    else munmap(g2h((u64)rs), (size_t)(re - rs));
}

/* the union of the protections of the guest pages of host page h */
static int host_page_union(u128 h)
{
    int prot = 0;
    for (u128 g = h; g < h + HP; g += TPS) prot |= page_get_flags((target_ulong)(u64)g);
    return prot & PAGE_BITS;
}

/* tighten: after guest pages of the host pages at either end of [start,
   end) went away, those host pages are narrowed back to the union of what
   is left (2.3 left the wider protection) */
static void tighten_edges(u128 start, u128 end)
{
    if (HP <= TPS || end <= start) return;
    u128 first = hp_down(start), last = hp_down(end - 1);
    for (u128 h = first;; h = last) {
        int any = 0;
        for (u128 g = h; g < h + HP; g += TPS) any |= page_get_flags((target_ulong)(u64)g) & PAGE_VALID;
        if (any) mprotect(g2h((u64)h), HP, host_page_union(h));
        if (h == last) break;
    }
}

/* after the host released the real pages [lo, hi) of a live host page: the
   released part becomes fresh memory of the host page's union protection,
   so a live host page has no hole */
static void refill_live(u128 lo, u128 hi)
{
    u128 first = hp_down(lo), last = hp_down(hi - 1);
    for (u128 h = first;; h = last) {
        int u = host_page_union(h);
        u128 from = lo > h ? lo : h, to = hi < h + HP ? hi : h + HP;
        int any = 0;
        for (u128 g = h; g < h + HP; g += TPS) any |= page_get_flags((target_ulong)(u64)g) != 0;
        if (any && from < to)
            mmap(g2h((u64)from), (size_t)(to - from), u, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (h == last) break;
    }
}

/* reserve-holes: under reserved VA the guest space is always mapped on the
   host (a guest mapping or the PROT_NONE reservation): fill any hole */
static void reserve_holes(void)
{
    if (!RVA) return;
    read_maps();
    u128 cur = 0;
    for (int i = 0; i < nmaps && cur < RVA; i++) {
        if (maps[i].hi <= cur) continue;
        if (maps[i].lo > cur) rereserve(cur, maps[i].lo < RVA ? maps[i].lo : RVA);
        cur = maps[i].hi;
    }
    if (cur < RVA) rereserve(cur, RVA);
}

/* state saved before a call, for the models that need it */
/* a host page holding a fragment of a fixed map: its part [plo, phi) */
struct frag {
    u64 hp, plo, phi;
    int live;                   /* other guest pages live in the host page */
    int mapped[64];             /* real page k was mapped on the host before the call */
    char *scratch;              /* where those real pages wait during the call */
};
struct pre {
    u64 next;
    struct ivset mapped;        /* host mappings in guest coordinates */
    int nfrag;
    struct frag frag[2];
};

static int memfd = -1;

/* read or write guest memory whatever its protection (/proc/self/mem) */
static int mem_io(int wr, u64 g, void *buf, size_t n)
{
    if (memfd < 0) memfd = open("/proc/self/mem", O_RDWR);
    if (memfd < 0) die("open /proc/self/mem: %s", strerror(errno));
    ssize_t r = wr ? pwrite(memfd, buf, n, (off_t)(uintptr_t)g2h(g)) : pread(memfd, buf, n, (off_t)(uintptr_t)g2h(g));
    return r == (ssize_t)n ? 0 : -1;
}

/* write guest memory whatever its protection: through /proc/self/mem, or
   (a shared mapping without write permission, which that refuses) with the
   real page made writable meanwhile; a page that faults stays as it is */
static int guarded_copy(void *buf, const void *p, size_t n);
static void force_write(u64 g, const void *buf, size_t n)
{
    if (!mem_io(1, g, (void *)buf, n)) return;
    read_maps();
    for (u64 a = g & ~(RP - 1); a < g + n; a += RP) {
        int p = maps_prot_at(a);
        if (p < 0) continue;
        u64 lo = a < g ? g : a, hi = a + RP < g + n ? a + RP : g + n;
        mprotect(g2h(a), RP, p | PROT_READ | PROT_WRITE);
        guarded_copy(g2h(lo), (const unsigned char *)buf + (lo - g), hi - lo);
        mprotect(g2h(a), RP, p);
    }
}

static void pre_snapshot(struct pre *s, const struct plan *p, int op, u64 *a)
{
    s->next = mmap_next_start;
    s->mapped.n = 0;
    if (p->has[EX_DROP_PROBE]) {
        read_maps();
        for (int i = 0; i < nmaps; i++) ivset_add(&s->mapped, maps[i].lo, maps[i].hi);
    }
    s->nfrag = 0;
    if (p->has[EX_FRAG] && op == OP_MMAP && HP > RP && HP / RP <= 64) {
        u64 start = a[0], end = abi(a[0] + align_len(a[1]));
        u64 hps[2];
        int n = 0;
        if (start & (HP - 1)) hps[n++] = start & ~(HP - 1);
        if ((end & (HP - 1)) && (!n || (end & ~(HP - 1)) != hps[0])) hps[n++] = end & ~(HP - 1);
        read_maps();
        for (int f = 0; f < n; f++) {
            struct frag *fr = &s->frag[f];
            fr->hp = hps[f];
            fr->plo = start > fr->hp ? start : fr->hp;
            fr->phi = (u128)end < (u128)fr->hp + HP ? end : fr->hp + HP;
            fr->live = 0;
            fr->scratch = NULL;
            for (u64 x = fr->hp; x < fr->hp + HP; x += TPS)
                if (x < fr->plo || x >= fr->phi) fr->live |= page_get_flags((target_ulong)x) != 0;
            if (!fr->live) continue;
            if (!(fr->plo == fr->hp && fr->phi < fr->hp + HP)) {
                /* a host page 2.3 handles as a fragment: it writes into the
                   map's part, which is fresh writable memory meanwhile (the
                   old mapping may fault, a file mapping past its end, and
                   2.3's own mprotect may fail on stray prot bits).  Shared,
                   so that it merges with no neighbour and leaves their
                   state (which later host calls depend on) as it was */
                mmap(g2h(fr->plo), fr->phi - fr->plo, PROT_READ | PROT_WRITE,
                     MAP_FIXED | MAP_SHARED | MAP_ANONYMOUS, -1, 0);
                continue;
            }
            /* the host page holding the end, which 2.3 gives wholly to the
               map: its real pages wait elsewhere during the call, as they
               are (mapping, bytes, protection), and the host page is fresh
               memory meanwhile */
            fr->scratch = mmap(NULL, HP, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (fr->scratch == MAP_FAILED) die("scratch mmap: %s", strerror(errno));
            for (int k = 0; k < (int)(HP / RP); k++) {
                u64 g = fr->hp + (u64)k * RP;
                fr->mapped[k] = maps_prot_at(g) >= 0;
                if (fr->mapped[k] &&
                    mremap(g2h(g), RP, RP, MREMAP_MAYMOVE | MREMAP_FIXED, fr->scratch + (u64)k * RP) == MAP_FAILED)
                    die("frag: mremap away: %s", strerror(errno));
            }
            mmap(g2h(fr->hp), HP, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        }
        s->nfrag = n;
    }
}

/* drop-probe: a failed call leaves no host mapping behind in the guest
   space (2.3's search probe stays reserved when the call fails after it) */
static void drop_probe(const struct pre *s)
{
    static struct ivset extra;
    read_maps();
    extra.n = 0;
    for (int i = 0; i < nmaps; i++) ivset_add(&extra, maps[i].lo, maps[i].hi);
    for (int i = 0; i < s->mapped.n; i++) ivset_sub(&extra, s->mapped.v[i].lo, s->mapped.v[i].hi);
    for (int i = 0; i < extra.n; i++) munmap(g2h((u64)extra.v[i].lo), (size_t)(extra.v[i].hi - extra.v[i].lo));
}

/* frag: the host pages holding the fragments of a fixed map (-p 65536).
   2.3 keeps the old host mapping of a host page that holds other guest
   pages and reads a file's data into it in place (an anonymous map keeps
   the old bytes), and gives the whole host page holding the end to the map
   (fresh memory replaces the guest pages after the end, and a file map
   reads the file into them).  Linux, as this library models it: the map's
   part of such a host page is fresh private memory holding zeros (an
   anonymous map) or the file's data (zero past end of file); the rest of
   the host page keeps its mappings as they were; the host page's
   protection is the union of its pages'.  A host page holding no other
   guest page is fresh memory that reads as zero outside the map's part.
   When the call fails, the host page is put back as it was. */
/* the host page's protection, as the library sets it: one mprotect over the
   whole host page, best effort (a hole in the host page, or a neighbour
   sharing a read-only descriptor's file, makes the kernel stop or refuse) */
static void protect_mapped(const struct frag *fr, int prot)
{
    mprotect(g2h(fr->hp), HP, prot);
}

static void frag_fix(const struct frag *fr, const u64 *a, int failed)
{
    static unsigned char content[1 << 16];
    u64 plen = fr->phi - fr->plo;
    int nreal = (int)(HP / RP);
    int anon = (a[3] & MAP_ANONYMOUS) != 0;
    if (!fr->live) {
        /* 2.3 read the file into the whole host page holding the end; what
           lies after the end reads as zero in fresh memory (only that is
           written: pages never written stay mergeable, as in the library) */
        static unsigned char zeros[1 << 16];
        if (!failed && !anon && fr->plo == fr->hp && fr->phi < fr->hp + HP)
            force_write(fr->phi, zeros, fr->hp + HP - fr->phi);
        return;
    }
    for (int k = 0; k < nreal && fr->scratch; k++) {
        u64 g = fr->hp + (u64)k * RP;
        int part = g >= fr->plo && g < fr->phi;
        if (fr->mapped[k] && (failed || !part)) {
            if (mremap(fr->scratch + (u64)k * RP, RP, RP, MREMAP_MAYMOVE | MREMAP_FIXED, g2h(g)) == MAP_FAILED)
                die("frag: mremap back: %s", strerror(errno));
        } else if (!fr->mapped[k] && (failed || !part)) {
            munmap(g2h(g), RP);
        }
    }
    if (fr->scratch) munmap(fr->scratch, HP);
    if (failed) return;
    /* the map's part: fresh memory; a file's data is read into it (zero
       past end of file), an anonymous part is left untouched (zero); the
       host page gets the union protection.  The order is the library's,
       for the host's mappings to merge the same way (a later host mremap
       depends on it): a congruent file map is read before the protection
       is set, the read fallback after its anonymous map took the union
       protection (with write permission) */
    int prot = host_page_union(fr->hp);
    int fallback = !anon && ((a[5] ^ a[0]) & (HP - 1));
    mmap(g2h(fr->plo), plen, anon ? prot : prot | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!anon) {
        u64 off = a[5] + (fr->plo - a[0]), done = 0;
        memset(content, 0, plen);
        while (done < plen) {
            ssize_t r = pread((int)a[4], content + done, plen - done, (off_t)(off + done));
            if (r <= 0) break;
            done += (u64)r;
        }
    }
    if (fallback) protect_mapped(fr, prot | PROT_WRITE);
    if (!anon) memcpy(g2h(fr->plo), content, plen);
    protect_mapped(fr, prot);
    /* whatever the host page's call did, the map's part ends with exactly
       the union protection: never writable for a read-only map */
    mprotect(g2h(fr->plo), plen, prot);
}

/* the protection a page carries when it moves: its own (PAGE_WRITE_ORG
   counts as writable) */
static int moved_flags(int f)
{
    int p = f & PAGE_BITS;
    if (f & PAGE_WRITE_ORG) p |= PAGE_WRITE;
    return p | PAGE_VALID;
}

/* linux-mremap: Linux's mremap on the guest space, in the original's
   conventions (-1 with errno).  The arguments are checked first (EINVAL
   for flags, sizes, alignment, a fixed target outside the guest space or
   overlapping the old range; EFAULT for an old range outside the guest
   space or with an unmapped page); the host moves the memory; each page
   keeps its own protection (a grown tail takes the last page's); the old
   range is unmapped (given back to the reservation under reserved VA)
   unless MREMAP_DONTUNMAP; a failure changes nothing.  Growth in place
   under reserved VA is decided by the page flags.  Linux moves only when
   asked to (MREMAP_FIXED, MREMAP_DONTUNMAP) or when MREMAP_MAYMOVE is
   given and the mapping grows (to the place the original's search picks):
   without growth MREMAP_MAYMOVE stays in place and needs only the first
   page.  The host is given both sizes aligned to the target page (Linux
   with the target's page size: a size inside the last target page keeps or
   carries the whole page). */
static long long linux_mremap(u64 old, u64 osz, u64 nsz, u64 fl, u64 nw, int *err)
{
    const u64 known = MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP;
    int maymove = !!(fl & MREMAP_MAYMOVE), fixed = !!(fl & MREMAP_FIXED), dontunmap = !!(fl & MREMAP_DONTUNMAP);
    u128 olen = tp_len(osz), nlen = tp_len(nsz), lim = guest_limit();
    int moving;
    *err = 0;
    if ((fl & ~known) || (fixed && !maymove) || (dontunmap && (!maymove || osz != nsz)) || (old & (TPS - 1)) ||
        nlen == 0 || (olen == 0 && !maymove)) {
        *err = EINVAL;
        return -1;
    }
    if (fixed && ((nw & (TPS - 1)) || (u128)nw + nlen > lim ||
                  ((u128)nw < (u128)old + olen && (u128)old < (u128)nw + nlen))) {
        *err = EINVAL;
        return -1;
    }
    if ((u128)old + olen > lim) {
        *err = EFAULT;
        return -1;
    }
    /* Linux: the first page must be mapped; a shrink in place only unmaps
       the tail; a move needs the part it keeps to be mapped, a growth in
       place the old range (the host then needs it to be one mapping) */
    moving = fixed || dontunmap || (maymove && nlen > olen);
    u128 need = TPS;
    if (moving) need = olen < nlen ? olen : nlen;
    else if (nlen > olen) need = olen;
    if (need < TPS) need = TPS;
    for (u128 p = old; p < (u128)old + need; p += TPS)
        if (!(page_get_flags((target_ulong)(u64)p) & PAGE_VALID)) {
            *err = EFAULT;
            return -1;
        }
    /* the protections the pages will carry */
    u128 copied = olen < nlen ? olen : nlen;
    u64 npages = (u64)(copied / TPS);
    static int fl_old[1 << 16];
    if (npages > (1 << 16)) npages = 1 << 16; /* never with generated scripts */
    for (u64 i = 0; i < npages; i++) fl_old[i] = moved_flags(page_get_flags((target_ulong)(old + i * TPS)));
    int tail_flags = moved_flags(page_get_flags((target_ulong)(olen ? old + (u64)olen - TPS : old)));

    mmap_lock();
    void *h;
    if (fixed) {
        h = mremap(g2h(old), (size_t)olen, (size_t)nlen, (int)fl, g2h(nw));
        if (h == MAP_FAILED) {
            *err = errno;
            mmap_unlock();
            return -1;
        }
    } else if (moving) {
        abi_ulong saved = mmap_next_start;
        abi_ulong t = mmap_find_vma(0, (abi_ulong)nlen);
        if (t == (abi_ulong)-1) {
            mmap_next_start = saved;
            *err = ENOMEM;
            mmap_unlock();
            return -1;
        }
        h = mremap(g2h(old), (size_t)olen, (size_t)nlen, (int)(fl | MREMAP_FIXED), g2h(t));
        if (h == MAP_FAILED) {
            *err = errno;
            mmap_next_start = saved;
            if (!RVA) munmap(g2h(t), (size_t)hp_up(nlen));
            mmap_unlock();
            return -1;
        }
    } else {
        u128 lo = 0, hi = 0;
        h = MAP_FAILED;
        if (olen < nlen) {
            if ((u128)old + nlen > lim) {
                *err = ENOMEM;
                mmap_unlock();
                return -1;
            }
            if (RVA) {
                for (u128 p = (u128)old + olen; p < (u128)old + nlen; p += TPS)
                    if (page_get_flags((target_ulong)(u64)p)) {
                        *err = ENOMEM;
                        mmap_unlock();
                        return -1;
                    }
                lo = (u128)old + olen;
                hi = (u128)old + nlen;
                munmap(g2h((u64)lo), (size_t)(hi - lo));
            } else if (HP > RP) {
                /* host pages larger than target pages: the tail must hold no
                   guest page (it would be mapped); the rest of the host page
                   holding the old end is the library's own memory (a live
                   host page is mapped whole): lifted for the host to grow
                   into, put back on failure */
                if (HP > TPS) {
                    for (u128 p = (u128)old + olen; p < (u128)old + nlen; p += TPS)
                        if (page_get_flags((target_ulong)(u64)p)) {
                            *err = ENOMEM;
                            mmap_unlock();
                            return -1;
                        }
                    lo = rp_up((u128)old + olen);
                    hi = rp_up((u128)old + nlen);
                    if (hi > hp_up((u128)old + olen)) hi = hp_up((u128)old + olen);
                    if (lo < hi) munmap(g2h((u64)lo), (size_t)(hi - lo));
                    else lo = hi = 0;
                }
                /* a growth ending inside a host page with no guest page after
                   the new end takes the rest of that host page (a live host
                   page is mapped whole) */
                u128 end = (u128)old + nlen, hend = hp_up(end);
                int any = 0;
                for (u128 p = end; p < hend; p += TPS) any |= page_get_flags((target_ulong)(u64)p) != 0;
                if (hend > end && hend <= lim && !any)
                    h = mremap(g2h(old), (size_t)olen, (size_t)(hend - old), (int)fl);
            }
        }
        if (h == MAP_FAILED) h = mremap(g2h(old), (size_t)olen, (size_t)nlen, (int)fl);
        if (h == MAP_FAILED) {
            *err = errno;
            rereserve(lo, hi);
            mmap_unlock();
            return -1;
        }
    }
    u64 na = (u64)((uintptr_t)h - GBASE);
    if (na == old) {
        /* resized in place: the pages kept keep their flags */
        if (nlen < olen) page_set_flags((target_ulong)(old + (u64)nlen), (target_ulong)(old + (u64)olen), 0);
        else if (nlen > olen)
            page_set_flags((target_ulong)(old + (u64)olen), (target_ulong)(old + (u64)nlen), tail_flags);
    } else {
        if (!dontunmap && olen) page_set_flags((target_ulong)old, (target_ulong)(old + (u64)olen), 0);
        for (u64 i = 0; i < npages; i++)
            page_set_flags((target_ulong)(na + i * TPS), (target_ulong)(na + (i + 1) * TPS), fl_old[i]);
        if (nlen > copied)
            page_set_flags((target_ulong)(na + (u64)copied), (target_ulong)(na + (u64)nlen), tail_flags);
    }
    /* what the host released (whole real pages): the old range after a
       move, the tail after a shrink in place.  It goes back to the
       reservation; with host pages larger than the real ones, a host page
       left without guest pages is released as munmap releases it */
    u128 flo = 0, fhi = 0;
    if (na != old && !dontunmap) {
        flo = old;
        fhi = (u128)old + olen;
    } else if (na == old && nlen < olen) {
        flo = (u128)old + nlen;
        fhi = (u128)old + olen;
    }
    if (flo < fhi) {
        if (RVA) rereserve(flo, fhi);
        if (HP > RP) {
            release_host_pages(flo, fhi);
            refill_live(flo, fhi);
            tighten_edges(flo, fhi);
        }
    }
    if (HP > RP && (na != old || nlen > olen)) {
        /* every host page the moved (or grown) real pages now lie in gets
           the union of its guest pages' protections, as every fragment
           does */
        u128 alo = na != old ? (u128)na : (u128)old + olen, ahi = (u128)na + nlen;
        for (u128 h = hp_down(alo); h < ahi; h += HP) mprotect(g2h((u64)h), HP, host_page_union(h));
    }
    /* the old range's code is gone: unmapped, or (MREMAP_DONTUNMAP) still
       mapped but emptied, its contents having moved */
    if (olen) tb_invalidate_phys_range((abi_ulong)old, (abi_ulong)(old + (u64)olen), 0);
    tb_invalidate_phys_range((abi_ulong)na, (abi_ulong)(na + (u64)nlen), 0);
    mmap_unlock();
    return (long long)na;
}

/* linux-mprotect: Linux's mprotect over a range with an unmapped page (it
   walks the mappings from the start and changes each until the hole, then
   fails with ENOMEM): the original's target_mprotect over the mapped part
   before the first unmapped page (nothing when that is the first page),
   the code of that part invalidated when it loses PROT_EXEC, and -1
   ENOMEM. */
static long long linux_mprotect(u64 start, u64 len, int prot, int *err)
{
    u128 end = (u128)start + align_len(len), hole = start;
    int lost_exec = 0;
    while (hole < end && (page_get_flags((target_ulong)(u64)hole) & PAGE_VALID)) {
        lost_exec |= (page_get_flags((target_ulong)(u64)hole) & PAGE_EXEC) && !(prot & PROT_EXEC);
        hole += TPS;
    }
    if (hole > start) {
        int r = target_mprotect((abi_ulong)start, (abi_ulong)(hole - start), prot);
        if (r != 0) {
            *err = errno;
            return r;
        }
        if (lost_exec) tb_invalidate_phys_range((abi_ulong)start, (abi_ulong)(u64)hole, 0);
    }
    *err = ENOMEM;
    return -1;
}

/* eof-page: a file map reaching past end of file on a target whose pages
   are larger than the real host page (8 KiB guests on 4 KiB hosts).  2.3
   truncates the length at end of file (negative when the map starts past
   it) and maps only that; Linux maps the whole length: the target page
   holding end of file reads as zero after it, and pages wholly past end of
   file fault (SIGBUS).  The file is mapped over the whole range and the
   rest of the target page holding end of file is anonymous memory.  The
   place of a non-fixed map is the original's search.  Only with host pages
   of the target's size (no fragments), as on every such configuration. */
static long long eof_page_mmap(u64 start, u64 len0, int prot, int flags, int fd, u64 off, int *err)
{
    u64 len = align_len(len0), t;
    struct stat st;
    if (HP != TPS) die("eof-page needs qemu_host_page_size == TARGET_PAGE_SIZE");
    if (fstat(fd, &st) < 0) {
        *err = errno;
        return -1;
    }
    mmap_lock();
    if (!(flags & MAP_FIXED)) {
        u64 host_len = (u64)hp_up(len);
        t = mmap_find_vma((abi_ulong)(start & ~(HP - 1)), (abi_ulong)host_len);
        if (t == (abi_ulong)-1) {
            *err = ENOMEM;
            mmap_unlock();
            return -1;
        }
        if (mmap(g2h(t), host_len, prot, flags | MAP_FIXED | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ||
            mmap(g2h(t), len, prot, flags | MAP_FIXED, fd, (off_t)off) == MAP_FAILED) {
            *err = errno;
            if (RVA) rereserve(t, (u128)t + host_len);
            else munmap(g2h(t), host_len);
            mmap_unlock();
            return -1;
        }
    } else {
        t = start;
        if (mmap(g2h(t), len, prot, flags, fd, (off_t)off) == MAP_FAILED) {
            *err = errno;
            mmap_unlock();
            return -1;
        }
    }
    u64 size = st.st_size > 0 ? (u64)st.st_size : 0;
    if (size > off && size < off + len) {
        u128 eof = (u128)t + (size - off);
        u128 from = rp_up(eof), to = (eof + TPS - 1) & ~(u128)(TPS - 1);
        if (to > (u128)t + len) to = (u128)t + len;
        if (from < to)
            mmap(g2h((u64)from), (size_t)(to - from), prot, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    page_set_flags((target_ulong)t, (target_ulong)(t + len), prot | PAGE_VALID);
    tb_invalidate_phys_range((abi_ulong)t, (abi_ulong)(t + len), 0);
    mmap_unlock();
    return (long long)t;
}

/* linux-search: Linux's search for free guest space under reserved VA,
   used by the oracle instead of the original's for the steps that ask for
   it (oracle_hooks.c receives the original's own calls too): the highest
   window of free target pages -- every target page checked, not only the
   first of each host page -- that ends at or below the hint's end, never
   below mmap_min_addr nor above the end of the guest space; once more
   from the top when there is none.  mmap_next_start moves as in 2.3. */
int diff_search_model;

/* Without reserved VA the host kernel is asked (a PROT_NONE probe at the
   hint, kept as the reservation the caller maps over).  An answer is taken
   when the whole range lies in the guest space, not below mmap_min_addr,
   and starts a host page; an answer that does not start a host page is
   retried at the next host page, then at the host page below, then from
   low memory; an answer outside the guest space is retried from low memory
   once. */
static abi_ulong linux_probe_vma(u64 start, u128 size)
{
    u64 addr = start, floor = (u64)hp_up(MINADDR ? MINADDR : 1);
    int wrapped = 0, repeat = 0;
    void *prev = NULL;
    for (;;) {
        void *p = mmap(g2h(addr), (size_t)size, PROT_NONE, MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) return (abi_ulong)-1;
        repeat = p == prev ? repeat + 1 : 0;
        u128 g = (u128)((uintptr_t)p - GBASE);
        int inside = (uintptr_t)p >= GBASE && g + size <= guest_limit() && g >= floor &&
                     (TARGET_VIRT_ADDR_SPACE_BITS >= 64 || g + size <= virt_top());
        u64 next;
        if (inside) {
            if (!(g & (HP - 1))) {
                if (start == mmap_next_start && g >= TASK_UNMAPPED_BASE_) mmap_next_start = (abi_ulong)(g + size);
                return (abi_ulong)g;
            }
            next = repeat == 0 ? (u64)hp_up(g) : repeat == 1 ? (u64)hp_down(g) : repeat == 2 ? 0 : (u64)-1;
        } else {
            next = repeat ? (u64)-1 : 0;
        }
        munmap(p, (size_t)size);
        if (next == (u64)-1) return (abi_ulong)-1;
        if (next == 0) {
            if (wrapped) return (abi_ulong)-1;
            wrapped = 1;
            next = floor;
        } else if (wrapped && next >= start) {
            return (abi_ulong)-1;
        }
        addr = next;
        prev = p;
    }
}

abi_ulong diff_linux_find_vma(abi_ulong start0, abi_ulong size0);
abi_ulong diff_linux_find_vma(abi_ulong start0, abi_ulong size0)
{
    u64 start = start0 ? (start0 & ~(HP - 1)) : mmap_next_start;
    u128 size = hp_up(size0);
    if (!size) return (abi_ulong)-1; /* no window of size 0 */
    if (!RVA) return linux_probe_vma(start, size);
    if (size > RVA) return (abi_ulong)-1;
    u128 top = guest_limit() & ~(u128)(HP - 1);
    u128 bottom = hp_up(MINADDR ? MINADDR : 1);
    u128 end = (u128)start + size;
    if (end > top) end = top;
    end &= ~(u128)(HP - 1);
    int looped = 0;
    u128 cand;
    for (;;) {
        if (end < bottom + size) {
            if (looped || top < bottom + size) return (abi_ulong)-1;
            end = top;
            looped = 1;
            continue;
        }
        cand = end - size;
        u128 used = 0;
        int busy = 0;
        for (u128 p = cand; p < end; p += TPS)
            if (page_get_flags((target_ulong)(u64)p)) {
                used = p;
                busy = 1;
                break;
            }
        if (!busy) break;
        end = used & ~(u128)(HP - 1);
    }
    if (start == mmap_next_start) mmap_next_start = (abi_ulong)cand;
    return (abi_ulong)cand;
}

/* what the models do after the call */
static void post_apply(const struct plan *p, const struct pre *s, int op, u64 *a, long long r)
{
    int failed = r == -1 || (r < 0 && r >= -4095);
    if (op == OP_MMAP)
        for (int f = 0; f < s->nfrag; f++) frag_fix(&s->frag[f], a, failed);
    if (p->has[EX_DROP_PROBE] && failed) drop_probe(s);
    if (p->has[EX_KEEP_NEXT] && failed) mmap_next_start = (abi_ulong)s->next;
    if (!failed && p->has[EX_TB_ARGS]) {
        /* the code of the range the call was given (the old range of
           mremap, the range of mprotect) is invalidated too */
        if (op == OP_MREMAP) tb_invalidate_phys_range((abi_ulong)a[0], (abi_ulong)(a[0] + a[1]), 0);
        else if (op == OP_MPROTECT || op == OP_MMAP || op == OP_MUNMAP)
            tb_invalidate_phys_range((abi_ulong)a[0], (abi_ulong)(a[0] + align_len(a[1])), 0);
    }
    if (!failed && op == OP_MMAP) {
        u64 ra = (u64)r & ABI_MASK;

        if (p->has[EX_FILE_TAIL]) {
            /* 2.3 maps only len bytes from the host page below the offset;
               the map reaches its end: the last (offset % host page) bytes
               come from the file too */
            u64 len = align_len(a[1]), delta = a[5] & (HP - 1);
            mmap(g2h(ra - delta + len), delta, (int)a[2], ((int)a[3] & ~MAP_FIXED_NOREPLACE) | MAP_FIXED,
                 (int)a[4], (off_t)((a[5] & ~(HP - 1)) + len));
        }
        if (p->has[EX_ZERO]) zero_guest_range(ra, align_len(a[1]));
        if (p->has[EX_MASK_FLAGS])
            page_set_flags((target_ulong)ra, (target_ulong)(ra + align_len(a[1])), ((int)a[2] & PAGE_BITS) | PAGE_VALID);
    }
    if (!failed && op == OP_MUNMAP && p->has[EX_TIGHTEN]) tighten_edges(a[0], (u128)a[0] + align_len(a[1]));
    if (p->has[EX_RESERVE_HOLES]) reserve_holes();
}

/* ------------------------------------------------------------------ */
/* the safety guard (64-bit guests without reserved VA)                 */
/* ------------------------------------------------------------------ */

static int range_safe(u64 start, u64 len)
{
    if (!guarded) return 1;
    u128 lo = hp_down(start), hi = hp_up((u128)start + len + (len == 0));
    if (hi > ((u128)1 << 64)) {
        /* wraps: only from the region the host kernel refuses anyway */
        return start >= USER_TOP && (hi - ((u128)1 << 64)) <= ZONE_Z;
    }
    if (hi <= FOREIGN_LO || lo >= USER_TOP) return 1;
    if (lo >= FOREIGN_LO && hi <= USER_TOP && ivset_covers(&owned, lo, hi)) return 1;
    return 0;
}

static int op_safe(int op, u64 *a)
{
    switch (op) {
    case OP_MMAP:
        if (!(a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE))) return 1;
        return range_safe(a[0], align_len(a[1]) ? align_len(a[1]) : a[1]);
    case OP_MSYNC:
        /* a length that aligns to 0 is an empty range, looked at by no one */
        if (a[1] && !align_len(a[1])) return range_safe(a[0], 0);
        return range_safe(a[0], align_len(a[1]) ? align_len(a[1]) : a[1]);
    case OP_MUNMAP:
    case OP_MPROTECT:
    case OP_WRITE:
        return range_safe(a[0], align_len(a[1]) ? align_len(a[1]) : a[1]);
    case OP_MREMAP:
        if (!range_safe(a[0], a[1] > a[2] ? a[1] : a[2])) return 0;
        if (a[3] & MREMAP_FIXED) return range_safe(a[4], a[2]);
        return 1;
    default:
        return 1;
    }
}

/* ------------------------------------------------------------------ */
/* running a script                                                     */
/* ------------------------------------------------------------------ */

static void result_line(int op, long long r, int err, int addr_ret)
{
    if (r == -1) out(" = -1 %s\n", errname(err));
    else if (r < 0 && r >= -4095) out(" = %lld\n", r);
    else if (addr_ret) out(" = %s\n", A((u64)r & ABI_MASK));
    else out(" = %lld\n", r);
    (void)op;
}

/* the ranges a step touched (their state is printed from now on) and, for
   64-bit guests without reserved VA, the memory the guest owns; the same in
   both runs whether the call ran or was modelled */
static void account(int op, const u64 *a, long long r)
{
    int failed = r == -1 || (r < 0 && r >= -4095);
    switch (op) {
    case OP_MMAP: {
        int fixed = (a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;
        if (!failed) {
            u64 ra = (u64)r & ABI_MASK;
            /* the host range target_mmap made: it starts (offset % host page)
               below the address returned for a file map */
            u64 rlo = fixed ? ra : ra - (a[5] & (HP - 1));
            u64 rlen = fixed ? align_len(a[1]) : (u64)hp_up((u128)align_len(a[1]) + (a[5] & (HP - 1)));
            if (foreign(ra)) {
                anchor_add(ra);
                own(rp_down(rlo), rp_up((u128)rlo + rlen));
            }
            if (fixed) touch(a[0], align_len(a[1]));
            touch(rlo, rlen);
        } else if (fixed) {
            touch(a[0], align_len(a[1]));
        }
        break;
    }
    case OP_MUNMAP:
        touch(a[0], align_len(a[1]));
        if (r == 0 && guarded) ivset_sub(&owned, hp_down(a[0]), hp_up((u128)a[0] + align_len(a[1])));
        break;
    case OP_MPROTECT:
    case OP_MSYNC:
        touch(a[0], align_len(a[1]));
        break;
    case OP_MREMAP:
        touch(a[0], a[1] > a[2] ? a[1] : a[2]);
        if (a[3] & MREMAP_FIXED) touch(a[4], a[2]);
        if (r != -1) {
            u64 na = (u64)r & ABI_MASK;
            if (foreign(na)) {
                anchor_add(na);
                own(rp_down(na), rp_up((u128)na + a[2]));
            }
            touch(na, a[2]);
            if (guarded && na != a[0] && !(a[3] & MREMAP_DONTUNMAP))
                ivset_sub(&owned, hp_down(a[0]), hp_up((u128)a[0] + a[1]));
        }
        break;
    case OP_FIND:
        if (r != -1) {
            u64 v = (u64)r;
            if (foreign(v)) {
                anchor_add(v);
                own(rp_down(v), rp_up((u128)v + hp_up(a[1])));
            }
            touch(v, a[1]);
        }
        break;
    default:
        break;
    }
}

static int run_script(const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    static char line[4096];
    int step = 0;
    if (!f) die("cannot open %s", path);

    struct emu_options o;
    memset(&o, 0, sizeof o);
    const char *hp = getenv("DIFF_HOST_PAGE_SIZE");
    o.host_page_size = hp ? strtoul(hp, NULL, 0) : 0;
    o.reserved_va = -1;
#if defined(NO_GUEST_BASE)
    o.guest_base = 0;
    o.have_guest_base = 0;
#else
    if (DEFAULT_RESERVED_VA) {
        const char *gb = getenv("DIFF_GUEST_BASE");
        o.guest_base = gb ? strtoul(gb, NULL, 0) : DEFAULT_GUEST_BASE;
        o.have_guest_base = 1;
    }
#endif
    emu_init(&o);
    HP = qemu_host_page_size;
    RP = qemu_real_host_page_size;
    RVA = emu_reserved_va();
    GBASE = emu_guest_base();
    MINADDR = mmap_min_addr;
    guarded = TARGET_ABI_BITS == 64 && RVA == 0;
    window32 = TARGET_ABI_BITS == 32;
    make_files();
    install_fault_handler();

    out("config page_bits=%d abi_bits=%d long_bits=%d virt_bits=%d host_page=0x%llx real_page=0x%llx "
        "reserved_va=0x%llx guest_base=%s next=%s\n",
        TARGET_PAGE_BITS, TARGET_ABI_BITS, TARGET_LONG_BITS, TARGET_VIRT_ADDR_SPACE_BITS,
        (unsigned long long)HP, (unsigned long long)RP, (unsigned long long)RVA,
        GBASE ? "fixed" : "0", A(mmap_next_start));
    fflush(stdout);

    while (fgets(line, sizeof line, f)) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        char *h = strchr(line, '#');
        if (h) *h = 0;
        char *tok[16];
        int nt = 0;
        char copy[4096];
        snprintf(copy, sizeof copy, "%s", line);
        cur_line = copy;
        for (char *t = strtok(line, " \t"); t && nt < 16; t = strtok(NULL, " \t")) tok[nt++] = t;
        if (!nt) continue;
        if (!strcmp(tok[0], "require")) {
            /* "require COND": the rest of the script only makes sense on
               some configurations */
            for (int i = 1; i < nt; i++) {
                const char *q = tok[i];
                int ok = !strcmp(q, "rva") ? RVA != 0 : !strcmp(q, "norva") ? RVA == 0
                       : !strcmp(q, "abi32") ? TARGET_ABI_BITS == 32 : !strcmp(q, "abi64") ? TARGET_ABI_BITS == 64
                       : !strcmp(q, "bigpage") ? TPS > RP : !strcmp(q, "hostbig") ? HP > TPS
                       : !strcmp(q, "frag") ? HP > RP || TPS > RP || HP > TPS : -1;
                if (ok < 0) die("unknown condition %s", q);
                if (!ok) {
                    out("REQUIRE %s: not this configuration\nEND\n", q);
                    fflush(stdout);
                    return 0;
                }
            }
            continue;
        }
        char label[32] = "";
        int ti = 0;
        size_t l0 = strlen(tok[0]);
        if (tok[0][l0 - 1] == ':') {
            snprintf(label, sizeof label, "%.*s", (int)(l0 - 1), tok[0]);
            ti = 1;
        }
        if (ti >= nt) die("empty op: %s", copy);
        int op = -1;
        for (int i = 0; i < 8; i++)
            if (!strcmp(tok[ti], opnames[i])) op = i;
        if (op < 0) die("unknown op '%s'", tok[ti]);
        if (nt - ti - 1 != opnargs[op]) die("%s needs %d arguments: %s", opnames[op], opnargs[op], copy);
        char **arg = &tok[ti + 1];
        u64 a[6] = { 0 };
        /* lengths computed from host-chosen addresses differ between the two
           binaries: the echo prints them as "*" */
        int ltaint[2] = { 0, 0 };
        if (op != OP_NEXT) {
            eval_taint = 0;
            (void)eval(arg[1]);
            ltaint[0] = eval_taint;
            if (op == OP_MREMAP) {
                eval_taint = 0;
                (void)eval(arg[2]);
                ltaint[1] = eval_taint;
            }
        }
        switch (op) {
        case OP_MMAP:
            a[0] = abi(eval(arg[0])); a[1] = abi(eval(arg[1])); a[2] = (u64)(unsigned)parse_prot(arg[2]);
            a[3] = parse_flags(arg[3], mmap_flags); a[4] = (u64)(unsigned)parse_fd(arg[4]); a[5] = abi(eval(arg[5]));
            break;
        case OP_MUNMAP: case OP_FIND:
            a[0] = abi(eval(arg[0])); a[1] = abi(eval(arg[1]));
            break;
        case OP_MPROTECT:
            a[0] = abi(eval(arg[0])); a[1] = abi(eval(arg[1])); a[2] = (u64)(unsigned)parse_prot(arg[2]);
            break;
        case OP_MREMAP:
            a[0] = abi(eval(arg[0])); a[1] = abi(eval(arg[1])); a[2] = abi(eval(arg[2]));
            a[3] = parse_flags(arg[3], mremap_flags); a[4] = abi(eval(arg[4]));
            break;
        case OP_MSYNC:
            a[0] = abi(eval(arg[0])); a[1] = abi(eval(arg[1])); a[2] = parse_flags(arg[2], msync_flags);
            break;
        case OP_WRITE:
            a[0] = abi(eval(arg[0])); a[1] = eval(arg[1]); a[2] = eval(arg[2]);
            break;
        case OP_NEXT:
            a[0] = abi(eval(arg[0]));
            break;
        }

        struct classes cls;
        classify(&cls, op, a);

        /* echo.  A step the safety guard skips may have lengths computed
           from host-chosen addresses, which differ between the two binaries:
           they print as "*" */
        int unsafe = !op_safe(op, a);
        char lb[2][32];
        for (int k = 0; k < 2; k++) {
            u64 v = op == OP_MREMAP ? a[1 + k] : a[1];
            if (unsafe || ltaint[k]) snprintf(lb[k], sizeof lb[k], "*");
            else snprintf(lb[k], sizeof lb[k], "0x%llx", (unsigned long long)v);
        }
        out("@%d %s", step, opnames[op]);
        switch (op) {
        case OP_MMAP:
            out(" %s %s %s %s %s 0x%llx", A(a[0]), lb[0], fmt_prot((int)a[2]),
                fmt_flags(a[3], mmap_flags), fmt_fd((int)a[4]), (unsigned long long)a[5]);
            break;
        case OP_MUNMAP: case OP_FIND:
            out(" %s %s", A(a[0]), lb[0]);
            break;
        case OP_MPROTECT:
            out(" %s %s %s", A(a[0]), lb[0], fmt_prot((int)a[2]));
            break;
        case OP_MREMAP:
            out(" %s %s %s %s %s", A(a[0]), lb[0], lb[1], fmt_flags(a[3], mremap_flags), A(a[4]));
            break;
        case OP_MSYNC:
            out(" %s %s %s", A(a[0]), lb[0], fmt_flags(a[2], msync_flags));
            break;
        case OP_WRITE:
            out(" %s %s %llu", A(a[0]), lb[0], (unsigned long long)a[2]);
            break;
        case OP_NEXT:
            out(" %s", A(a[0]));
            break;
        }
        if (cls.n) {
            out(" {");
            for (int i = 0; i < cls.n; i++) out("%s%s", i ? " " : "", cls.c[i]);
            out("}");
        }
        fflush(stdout);

        struct plan plan;
        make_plan(&plan, &cls, op, a);
        const struct expect *ex = plan.term;
        if (nexpects) plan_note(step, &plan);
        if (ex && ex->kind == EX_STOP) {
            out(" = STOP %s\n", ex->cls);
            fflush(stdout);
            break;
        }
        if (unsafe) {
            out(" = SKIP unsafe\n");
            if (label[0]) label_set(label, ABI_MASK);
            print_state();
            fflush(stdout);
            step++;
            continue;
        }

        long long r = 0;
        int err = 0, addr_ret = 0;
        emu_tb_reset();
        static struct pre pre;
        pre_snapshot(&pre, &plan, op, a);
        diff_search_model = plan.has[EX_LINUX_SEARCH];
        addr_ret = op == OP_MMAP || op == OP_MREMAP || op == OP_FIND;
        if (ex && ex->kind == EX_FAIL) {
            r = ex->ret;
            err = ex->err;
            if (op == OP_FIND) r = -1;
        } else {
            errno = 0;
            switch (op) {
            case OP_MMAP:
                if (plan.has[EX_EOF_PAGE]) {
                    r = (abi_long)eof_page_mmap(a[0], a[1], (int)a[2], (int)a[3], (int)a[4], a[5], &err);
                } else {
                    r = (abi_long)target_mmap((abi_ulong)a[0], (abi_ulong)a[1], (int)a[2], (int)a[3], (int)a[4],
                                              (abi_ulong)a[5]);
                    err = errno;
                }
                break;
            case OP_MUNMAP:
                r = target_munmap((abi_ulong)a[0], (abi_ulong)a[1]);
                err = errno;
                break;
            case OP_MPROTECT:
                if (plan.has[EX_LINUX_MPROTECT]) {
                    r = linux_mprotect(a[0], a[1], (int)a[2], &err);
                } else {
                    r = target_mprotect((abi_ulong)a[0], (abi_ulong)a[1], (int)a[2]);
                    err = errno;
                }
                break;
            case OP_MREMAP:
                if (plan.has[EX_LINUX_MREMAP]) {
                    r = (abi_long)linux_mremap(a[0], a[1], a[2], a[3], a[4], &err);
                } else {
                    r = (abi_long)target_mremap((abi_ulong)a[0], (abi_ulong)a[1], (abi_ulong)a[2],
                                                (unsigned long)a[3], (abi_ulong)a[4]);
                    err = errno;
                }
                break;
            case OP_MSYNC:
                r = target_msync((abi_ulong)a[0], (abi_ulong)a[1], (int)a[2]);
                err = errno;
                break;
            case OP_FIND: {
                abi_ulong v;
                mmap_lock();
                v = mmap_find_vma((abi_ulong)a[0], (abi_ulong)a[1]);
                mmap_unlock();
                r = v == (abi_ulong)-1 ? -1 : (long long)v;
                err = 0; /* mmap_find_vma does not set errno */
                break;
            }
            case OP_WRITE: {
                /* a guest store: only where every host page is writable */
                u64 len = a[1] > (16u << 20) ? (16u << 20) : a[1];
                read_maps();
                int allw = len > 0;
                for (u64 p = a[0] & ~(RP - 1); p < a[0] + len; p += RP) {
                    int pr = maps_prot_at(p);
                    if (pr < 0 || !(pr & PROT_WRITE)) { allw = 0; break; }
                }
                if (!allw) {
                    out(" = notwritable\n");
                } else {
                    int sig = guarded_fill(g2h(a[0]), len, (unsigned char)a[2]);
                    out(" = %s\n", sig ? (sig == SIGBUS ? "SIGBUS" : "SIGSEGV") : "ok");
                }
                touch(a[0], len);
                break;
            }
            case OP_NEXT:
                mmap_next_start = (abi_ulong)a[0];
                out(" = ok\n");
                break;
            }
        }
        diff_search_model = 0;
        if (!ex) post_apply(&plan, &pre, op, a, r);
        account(op, a, r);
        if (op != OP_WRITE && op != OP_NEXT) {
            if (op == OP_MMAP || op == OP_MREMAP) {
                /* abi_long sign */
                r = (long long)(abi_long)r;
            }
            result_line(op, r, err, addr_ret);
        }
        if (label[0]) {
            /* a label names the address a step returned; when the step
               failed it names the address the step asked for, so later
               steps keep working on sensible addresses */
            int failed = (addr_ret && (r == -1 || (r < 0 && r >= -4095))) || (ex && ex->kind == EX_FAIL);
            label_set(label, failed ? a[0] : ((u64)r & ABI_MASK));
        }
        print_state();
        fflush(stdout);
        step++;
    }
    out("END\n");
    fflush(stdout);
    if (f != stdin) fclose(f);
    return 0;
}

static int child_timeout = 10;

static int run_in_child(const char *path)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        alarm((unsigned)child_timeout);
        _exit(run_script(path));
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (WIFSIGNALED(st)) {
        int s = WTERMSIG(st);
        printf("\n!%s %s\n", s == SIGALRM ? "TIMEOUT" : s == SIGABRT ? "ABORT" : "CRASH", strsignal(s));
        fflush(stdout);
        return 0;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) != 0) return WEXITSTATUS(st);
    return 0;
}

/* ------------------------------------------------------------------ */
/* the generator                                                        */
/* ------------------------------------------------------------------ */

static u64 rng_state;
static u64 rnd(void)
{
    u64 z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static unsigned rn(unsigned n) { return n ? (unsigned)(rnd() % n) : 0; }
static int chance(unsigned pct) { return rn(100) < pct; }

/* a region the generator believes was mapped: base expression + pages */
struct greg { char base[96]; unsigned tpages; int file; };
static struct greg gregs[256];
static int ngregs;

static char gbuf[16][160];
static int gbk;
static char *gs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *gs(const char *fmt, ...)
{
    char *b = gbuf[gbk++ & 15];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, 160, fmt, ap);
    va_end(ap);
    return b;
}

/* k target pages as an expression */
static const char *tpages(unsigned k)
{
    if (k == 0) return "0";
    if (k == 1) return "TP";
    return gs("%u*TP", k);
}

/* an offset of roughly `k` target pages, expressed around host pages */
static const char *around_hp(void)
{
    unsigned h = rn(4);
    switch (rn(6)) {
    case 0: return gs("%u*HP", h);
    case 1: return gs("%u*HP+TP", h);
    case 2: return gs("%u*HP-TP", h + 1);
    case 3: return gs("%u*HP+%u*TP", h, rn(4));
    case 4: return gs("%u*TP", rn(24));
    default: return gs("%u*HP+2*TP", h);
    }
}

/* a guest start address */
static const char *gen_addr(int fixed_ok_only_low, unsigned *zone_tp)
{
    int rva = DEFAULT_RESERVED_VA != 0;
#if defined(NO_GUEST_BASE)
    rva = 0;
#endif
    *zone_tp = 0;
    unsigned w = rn(100);
    if (w < 45 || ngregs == 0) {
        /* the Z zone: a few host pages, at target-page granularity */
        unsigned h = rn(8), t = rn(4);
        *zone_tp = 1;
        return gs("Z+%u*HP+%u*TP", h, t);
    }
    if (w < 80) {
        struct greg *g = &gregs[rn((unsigned)ngregs)];
        switch (rn(5)) {
        case 0: return gs("%s", g->base);
        case 1: return gs("%s+%s", g->base, tpages(rn(g->tpages + 2)));
        case 2: return gs("%s-TP", g->base);
        case 3: return gs("%s+HP", g->base);
        default: return gs("%s+%s", g->base, tpages(g->tpages));
        }
    }
    (void)fixed_ok_only_low;
    /* edges; the very top of a 32-bit space is rare because the original
       aborts on most ranges that touch it */
    unsigned e = rn(100);
    if (e < 6) return e < 4 ? "TOP-HP" : "TOP-TP";
    if (rva) {
        switch (e % 6) {
        case 0: return "RVA-HP";
        case 1: return "RVA-TP";
        case 2: return "RVA-2*HP";
        case 3: return "RVA";
        case 4: return "RVA-3*TP";
        default: return "NEXT-HP";
        }
    }
    if (TARGET_ABI_BITS == 32) {
        switch (e % 5) {
        case 0: return "TUB+HP";
        case 1: return "TUB-HP";
        case 2: return "MIN";
        case 3: return "TUB+TP";
        default: return "TUB";
        }
    }
    switch (e % 8) {
    case 0: return "G4-HP";
    case 1: return "G4-TP";
    case 2: return "G4";
    case 3: return "TUB-HP";
    case 4: return "VA-HP";
    case 5: return "VA-TP";
    case 6: return "MIN";
    default: return "TUB";
    }
}

static const char *gen_len(const char *start)
{
    unsigned w = rn(1000);
    if (w < 500) return tpages(1 + rn(6));
    if (w < 700) return around_hp();
    if (w < 760) return gs("%u", 1 + rn(3));
    if (w < 800) return gs("TP+%u", 1 + rn(100));
    if (w < 825) return "0";
    /* ranges that end exactly at the top of the guest space or wrap past it
       (the original aborts in page_set_flags on several of these): rare, so
       that most scripts run to their end */
    if (w < 831) return gs("TOP-(%s)", start);
    if (w < 835) return gs("TOP-(%s)+TP", start);
    if (w < 845) return "MAXU";
    if (w < 855) return "MAXU-TP+2";                      /* aligns to 0 */
    if (w < 875 && DEFAULT_RESERVED_VA) return gs("RVA-(%s)+HP", start); /* past reserved VA */
    if (w < 880 && TARGET_VIRT_ADDR_SPACE_BITS < TARGET_ABI_BITS) return gs("VA-(%s)", start);
    if (w < 960) return gs("%u*HP", 16 + rn(240));       /* up to 1 MiB with 4K */
    return "0x1000000";                                   /* 16 MiB */
}

static const char *gen_prot(void)
{
    static const char *p[] = { "rw-", "rw-", "r--", "r--", "---", "r-x", "rwx", "-w-", "--x" };
    if (chance(3)) return chance(50) ? "0x8" : "0x1000003"; /* unknown bit / PROT_GROWSDOWN */
    return p[rn(9)];
}

static void gen_script(u64 seed, unsigned n)
{
    rng_state = seed * 0x2545f4914f6cdd1dull + 1;
    printf("# generated: seed %llu, %u ops, page_bits=%d abi_bits=%d reserved_va=%s\n",
           (unsigned long long)seed, n, TARGET_PAGE_BITS, TARGET_ABI_BITS,
           DEFAULT_RESERVED_VA ? "default" : "0");
    for (unsigned i = 0; i < n; i++) {
        unsigned w = rn(100);
        unsigned ztp;
        if (w < 42) {
            /* mmap */
            int fixed = chance(65);
            int anon = chance(55);
            int shared = chance(25);
            const char *start = fixed ? gen_addr(1, &ztp) : (chance(70) ? "0" : gen_addr(0, &ztp));
            const char *len = gen_len(start);
            const char *prot = gen_prot();
            char flags[96];
            snprintf(flags, sizeof flags, "%s%s%s%s%s", shared ? (chance(10) ? "validate" : "shared") : (chance(2) ? "0" : "private"),
                     anon ? "|anon" : "", fixed ? "|fixed" : "", chance(4) ? "|noreplace" : "",
                     chance(5) ? "|noreserve" : "");
            const char *fd = "-1", *off = "0";
            int file = -1;
            if (!anon) {
                static const char *fds[] = { "F0", "F1", "F2", "F3", "F4", "F5", "F1", "F2", "99" };
                fd = fds[rn(9)];
                file = fd[0] == 'F' ? fd[1] - '0' : -1;
                switch (rn(8)) {
                case 0: case 1: off = "0"; break;
                case 2: off = "TP"; break;
                case 3: off = "HP"; break;
                case 4: off = gs("%u*TP", rn(20)); break;
                case 5: off = rn(2) ? "100" : "1"; break;                 /* unaligned */
                case 6:
                    /* past EOF; or near the top of the offset type, where a
                       64-bit ABI's file range ends past the largest file
                       position (EOVERFLOW: 2^64 - HP, and 2^63, just past
                       MAX_LFS_FILESIZE; not just below it, where 2.3's read
                       of a whole end host page would pass it, D30) */
                    off = chance(75) ? "16*HP" : chance(50) ? "MAXU-HP+1" : "MAXU/2+1";
                    break;
                default:
                    /* congruent with the start inside the host page */
                    off = ztp ? gs("(%s)%%HP+%u*HP", start, rn(2)) : gs("(%s)%%HP", start);
                    break;
                }
            } else if (chance(5)) {
                fd = "F1"; /* ignored for anonymous maps */
            }
            if (!anon && TPS > (u64)getpagesize() && chance(70)) {
                /* target pages larger than host pages: the original aborts on
                   most file maps that reach past EOF, so mostly stay inside F2 */
                fd = "F2";
                file = 2;
                off = tpages(rn(3));
                len = tpages(1 + rn(4));
            }
            char lab[16];
            snprintf(lab, sizeof lab, "r%u", i);
            printf("%s: mmap %s %s %s %s %s %s\n", lab, start, len, prot, flags, fd, off);
            if (ngregs < 256) {
                struct greg *g = &gregs[ngregs++];
                snprintf(g->base, sizeof g->base, "$%s", lab);
                g->tpages = 1 + rn(6);
                g->file = file;
            }
        } else if (w < 56) {
            const char *s = gen_addr(1, &ztp);
            printf("munmap %s %s\n", s, gen_len(s));
        } else if (w < 70) {
            const char *s = gen_addr(1, &ztp);
            printf("mprotect %s %s %s\n", s, gen_len(s), gen_prot());
        } else if (w < 82) {
            const char *old = gen_addr(1, &ztp);
            const char *osz = chance(8) ? "0" : tpages(1 + rn(6));
            const char *nsz;
            /* sizes inside the last target page (8 KiB targets on 4 KiB
               hosts: Linux aligns them to the target page) */
            if (chance(12)) osz = gs("%u*TP-RP", 2 + rn(5));
            switch (rn(8)) {
            case 6: nsz = osz; break;                          /* same size */
            case 7: nsz = chance(50) ? gs("(%s)-RP", osz) : gs("(%s)-TP", osz); break; /* shrink */
            case 0: nsz = tpages(1 + rn(3)); break;
            case 1: nsz = around_hp(); break;
            case 2: nsz = chance(30) ? "0" : "TP"; break;
            case 3: nsz = chance(30) ? gs("TOP-(%s)", old) : tpages(16 + rn(64)); break;
            default: nsz = tpages(2 + rn(10)); break;
            }
            const char *fl;
            const char *na = "0";
            switch (rn(7)) {
            case 0: case 1: fl = "0"; break;
            case 2: case 3: fl = "maymove"; break;
            case 4: case 5: fl = "maymove|fixed"; na = gen_addr(1, &ztp); break;
            default: fl = chance(50) ? "fixed" : (chance(50) ? "maymove|dontunmap" : "8"); na = gen_addr(1, &ztp); break;
            }
            printf("r%u: mremap %s %s %s %s %s\n", i, old, osz, nsz, fl, na);
            if (ngregs < 256) {
                struct greg *g = &gregs[ngregs++];
                snprintf(g->base, sizeof g->base, "$r%u", i);
                g->tpages = 2;
                g->file = -1;
            }
        } else if (w < 86) {
            const char *s = gen_addr(1, &ztp);
            static const char *fl[] = { "sync", "async", "invalidate", "sync|invalidate", "0", "sync|async" };
            printf("msync %s %s %s\n", s, gen_len(s), fl[rn(6)]);
        } else if (w < 91) {
            const char *s = chance(50) ? "0" : gen_addr(0, &ztp);
            const char *l = chance(85) ? tpages(1 + rn(16)) : (chance(50) ? "0" : "MAXU-HP");
            printf("r%u: find %s %s\n", i, s, l);
            if (ngregs < 256) {
                struct greg *g = &gregs[ngregs++];
                snprintf(g->base, sizeof g->base, "$r%u", i);
                g->tpages = 1;
                g->file = -1;
            }
        } else if (w < 99) {
            const char *s;
            if (ngregs && chance(80)) {
                struct greg *g = &gregs[rn((unsigned)ngregs)];
                s = gs("%s+%s", g->base, tpages(rn(g->tpages)));
            } else {
                s = gen_addr(1, &ztp);
            }
            printf("write %s %s %u\n", s, chance(70) ? tpages(1 + rn(3)) : gs("%u", 1 + rn(5000)), rn(250) + 1);
        } else {
            printf("next %s\n", chance(50) ? "TUB" : "Z+HP");
        }
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    if (argc >= 2 && !strcmp(argv[1], "gen")) {
        if (argc < 4) die("usage: driver gen SEED N");
        gen_script(strtoull(argv[2], NULL, 0), (unsigned)strtoul(argv[3], NULL, 0));
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "info")) {
        printf("page_bits=%d abi_bits=%d long_bits=%d virt_bits=%d default_reserved_va=0x%llx guest_base=%s\n",
               TARGET_PAGE_BITS, TARGET_ABI_BITS, TARGET_LONG_BITS, TARGET_VIRT_ADDR_SPACE_BITS,
               (unsigned long long)DEFAULT_RESERVED_VA,
#if defined(NO_GUEST_BASE)
               "unsupported"
#else
               "supported"
#endif
        );
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "run")) {
        int direct = 0;
        for (int i = 3; i < argc; i++) {
            if (!strcmp(argv[i], "--expect") && i + 1 < argc) load_expect(argv[++i]);
            else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) child_timeout = atoi(argv[++i]);
            else if (!strcmp(argv[i], "--no-fork")) direct = 1;
            else die("unknown option %s", argv[i]);
        }
        return direct ? run_script(argv[2]) : run_in_child(argv[2]);
    }
    fprintf(stderr, "usage: driver run SCRIPT [--expect FILE] [--timeout S] [--no-fork]\n"
                    "       driver gen SEED N\n"
                    "       driver info\n");
    return 2;
}
