/*
 * r_badinput.c -- every export against every class of bad
 * input, each case in a forked child (so an abort of the original is a
 * result, not the end of the run).
 *
 * For every case the child takes a snapshot of a guest window holding a
 * scene of mappings (page flags, the host mappings over it, a hash of its
 * readable memory) and of /proc/self/maps, makes the call, and checks:
 *   - the result and its convention (-1 with errno, a literal negative
 *     errno, 0, an address) against Linux semantics as the library
 *     implements them (src/ops);
 *   - for a refused call: nothing changed in the window;
 *   - always: the global invariants of rel.h (page flags agree with the host
 *     mappings, nothing leaked, nothing outside the guest space touched, no
 *     hole in a reservation).
 *
 * Built against our library (IMPL=rust) every case must pass, except the
 * entries of known_bugs.txt (XFAIL).  Built against the original
 * (IMPL=oracle) nothing is judged: each row records what the original does.
 * Rows are machine-readable (matrix_md.sh turns them into the table of
 * docs/RELIABILITY.md):
 *
 *   ROW <id> <export> <class> <description> <expected> <got> <verdict>
 */
#include "rel.h"
#include "known.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <stdatomic.h>

#ifdef REL_ORACLE
# define IS_ORACLE 1
#else
# define IS_ORACLE 0
#endif

enum rt { RT_ADDR, RT_INT, RT_FIND, RT_CUSTOM };
enum xk { XK_ERRNO, XK_NEG, XK_ZERO, XK_OK, XK_FIND_FAIL, XK_SANE, XK_ABORT };

struct bcase;
typedef long long (*call_fn)(const struct bcase *);
typedef const char *(*post_fn)(const struct bcase *, long long raw);

struct bcase {
    const char *id, *exp, *cls, *desc;
    int rt;
    unsigned long long a[6];
    call_fn custom;
    post_fn post;         /* extra check after a success; NULL or a message */
    int xk, xe, nochange; /* expectation (ours) */
    int noglobal;         /* skip the global maps checks (threads map stacks) */
};

#define MAXCASES 256
static struct bcase cases[MAXCASES];
static int ncases;

/* the scene */
static abi_ulong W;       /* window base (guest) */
static abi_ulong U;       /* unit: qemu_host_page_size */
static unsigned WPAGES;   /* window size in target pages */
static int fd_file, fd_rdonly, fd_wronly, fd_dir, fd_closed = 1000;
static uint64_t LIM;      /* exclusive end of the usable guest space */

#define A(x) (W + (abi_ulong)(x))

static struct bcase *add(const char *id, const char *exp, const char *cls, const char *desc,
                         int rt, int xk, int xe, int nochange)
{
    struct bcase *c = &cases[ncases++];
    if (ncases > MAXCASES) {
        fprintf(stderr, "too many cases\n");
        exit(3);
    }
    memset(c, 0, sizeof(*c));
    c->id = id;
    c->exp = exp;
    c->cls = cls;
    c->desc = desc;
    c->rt = rt;
    c->xk = xk;
    c->xe = xe;
    c->nochange = nochange;
    return c;
}

static void args(struct bcase *c, unsigned long long a0, unsigned long long a1,
                 unsigned long long a2, unsigned long long a3, unsigned long long a4,
                 unsigned long long a5)
{
    c->a[0] = a0; c->a[1] = a1; c->a[2] = a2; c->a[3] = a3; c->a[4] = a4; c->a[5] = a5;
}

#define MMAP(id, cls, desc, s, l, p, f, fd, o, xk, xe, nc) \
    args(add(id, "target_mmap", cls, desc, RT_ADDR, xk, xe, nc), s, l, (unsigned)(p), (unsigned)(f), (unsigned)(fd), o)
#define MUNMAP(id, cls, desc, s, l, xk, xe, nc) \
    args(add(id, "target_munmap", cls, desc, RT_INT, xk, xe, nc), s, l, 0, 0, 0, 0)
#define MPROT(id, cls, desc, s, l, p, xk, xe, nc) \
    args(add(id, "target_mprotect", cls, desc, RT_INT, xk, xe, nc), s, l, (unsigned)(p), 0, 0, 0)
#define MREMAP(id, cls, desc, o, os, ns, f, n, xk, xe, nc) \
    args(add(id, "target_mremap", cls, desc, RT_ADDR, xk, xe, nc), o, os, ns, f, n, 0)
#define MSYNC(id, cls, desc, s, l, f, xk, xe, nc) \
    args(add(id, "target_msync", cls, desc, RT_INT, xk, xe, nc), s, l, (unsigned)(f), 0, 0, 0)
#define FIND(id, cls, desc, s, l) \
    args(add(id, "mmap_find_vma", cls, desc, RT_FIND, XK_SANE, 0, 0), s, l, 0, 0, 0, 0)

static long long do_call(const struct bcase *c)
{
    const unsigned long long *a = c->a;
    switch (c->rt) {
    case RT_ADDR:
        if (strcmp(c->exp, "target_mmap") == 0) {
            return (long long)target_mmap((abi_ulong)a[0], (abi_ulong)a[1], (int)a[2], (int)a[3],
                                          (int)a[4], (abi_ulong)a[5]);
        }
        return (long long)target_mremap((abi_ulong)a[0], (abi_ulong)a[1], (abi_ulong)a[2],
                                        (unsigned long)a[3], (abi_ulong)a[4]);
    case RT_INT:
        if (strcmp(c->exp, "target_munmap") == 0) {
            return target_munmap((abi_ulong)a[0], (abi_ulong)a[1]);
        }
        if (strcmp(c->exp, "target_mprotect") == 0) {
            return target_mprotect((abi_ulong)a[0], (abi_ulong)a[1], (int)a[2]);
        }
        return target_msync((abi_ulong)a[0], (abi_ulong)a[1], (int)a[2]);
    case RT_FIND: {
        abi_ulong r;
        mmap_lock();
        r = mmap_find_vma((abi_ulong)a[0], (abi_ulong)a[1]);
        mmap_unlock();
        /* Without reserved_va the range found stays reserved on the host
           for the caller to map over (CONTRACT.md section 1): this caller
           gives it back, so that anything else left over is a leak. */
        if (r != (abi_ulong)-1 && !is_reserved()) {
            munmap(g2h(r), HOST_PAGE_ALIGN((uint64_t)a[1]));
        }
        return (long long)r;
    }
    default:
        return c->custom(c);
    }
}

/* ---- custom cases ------------------------------------------------------ */

/* mmap with an unknown prot bit, then move it: Linux ignores unknown prot
   bits, so the page is read-only and stays read-only after mremap. */
static long long call_unknown_prot_then_move(const struct bcase *c)
{
    abi_long r = target_mmap(0, TPS, PROT_READ | (int)c->a[0], ANON, -1, 0);
    abi_long m;
    if (r == -1) {
        return -1;
    }
    m = target_mremap((abi_ulong)r, TPS, 2 * TPS, MREMAP_MAYMOVE, 0);
    return m;
}

static const char *post_readonly(const struct bcase *c, long long raw)
{
    static char msg[160];
    abi_ulong g = (abi_ulong)raw;
    int f = page_get_flags(g), hp = emu_host_prot(g);
    (void)c;
    if (f != (PAGE_VALID | PAGE_READ) || hp != PROT_READ) {
        snprintf(msg, sizeof(msg), "flags 0x%x (want 0x%x, VALID|READ), host prot %d", f,
                 PAGE_VALID | PAGE_READ, hp);
        return msg;
    }
    return NULL;
}

static const char *post_ok_rw(const struct bcase *c, long long raw)
{
    static char msg[160];
    abi_ulong g = (abi_ulong)raw;
    int f = page_get_flags(g);
    (void)c;
    if ((f & (PAGE_VALID | PAGE_BITS)) != (PAGE_VALID | PROT_READ | PROT_WRITE)) {
        snprintf(msg, sizeof(msg), "flags 0x%x after success", f);
        return msg;
    }
    return NULL;
}

/* mmap_find_vma: the result is (abi_ulong)-1, or an aligned free range
   inside the guest space. */
static const char *post_find(const struct bcase *c, long long raw)
{
    static char msg[200];
    abi_ulong r = (abi_ulong)raw, size = (abi_ulong)c->a[1];
    uint64_t end;
    if (r == (abi_ulong)-1) {
        return NULL;
    }
    end = (uint64_t)r + (uint64_t)HOST_PAGE_ALIGN((uint64_t)size);
    if ((r & (TPS - 1)) != 0) {
        snprintf(msg, sizeof(msg), "result 0x%llx not target-page aligned", (unsigned long long)r);
        return msg;
    }
    if (end > LIM || end < (uint64_t)r) {
        snprintf(msg, sizeof(msg), "result 0x%llx + size ends at 0x%llx, beyond the guest space",
                 (unsigned long long)r, (unsigned long long)end);
        return msg;
    }
    if (r < mmap_min_addr || r == 0) {
        snprintf(msg, sizeof(msg), "result 0x%llx below mmap_min_addr", (unsigned long long)r);
        return msg;
    }
    {
        uint64_t a;
        for (a = r; a < end && a - r < (64ull << 20); a += TPS) {
            if (page_get_flags((target_ulong)a) != 0) {
                snprintf(msg, sizeof(msg), "result range holds a used page at 0x%llx",
                         (unsigned long long)a);
                return msg;
            }
        }
    }
    return NULL;
}

/* mmap_unlock() without mmap_lock(), then two threads: does the lock still
   exclude?  Returns 1 when both threads held it at once. */
static atomic_int ul_a_holds, ul_b_got;
static void *ul_thread_b(void *arg)
{
    (void)arg;
    while (!atomic_load(&ul_a_holds)) {
        usleep(100);
    }
    mmap_lock();
    atomic_store(&ul_b_got, 1);
    mmap_unlock();
    return NULL;
}
static void *ul_thread_a(void *arg)
{
    int i, both = 0;
    (void)arg;
    mmap_unlock();          /* the unbalanced call, on this thread */
    mmap_lock();
    atomic_store(&ul_a_holds, 1);
    for (i = 0; i < 200 && !atomic_load(&ul_b_got); i++) {
        usleep(1000);
    }
    both = atomic_load(&ul_b_got);
    atomic_store(&ul_a_holds, 0);
    mmap_unlock();
    return (void *)(long)both;
}
static long long call_unbalanced_unlock(const struct bcase *c)
{
    pthread_t a, b;
    void *both;
    (void)c;
    pthread_create(&a, NULL, ul_thread_a, NULL);
    pthread_create(&b, NULL, ul_thread_b, NULL);
    pthread_join(a, &both);
    pthread_join(b, NULL);
    return both ? 1 : 0;
}

/* ---- the cases ----------------------------------------------------------- */

/* mprotect/msync outside the guest space: a range whose end wraps in
   abi_ulong is the literal -ENOMEM of the early checks; one that merely
   leaves the space is -1 with errno ENOMEM, as the host's refusal was in
   the original (src/ops/protect.rs, sync.rs) */
static int wrap_kind(abi_ulong start, abi_ulong len)
{
    abi_ulong l = (len + TPS - 1) & ~(TPS - 1);
    return (l == 0 || (abi_ulong)(start + l) < start) ? XK_NEG : XK_ERRNO;
}

static void build_cases(void)
{
    abi_ulong top_abi = (abi_ulong)-1 & ~(TPS - 1);   /* last page of the ABI */
    abi_ulong wrap_len = (abi_ulong)-1 - 5;           /* wraps to 0 when aligned */
    abi_ulong huge = (abi_ulong)-1 & ~(TPS - 1);      /* no wrap, larger than the space */
    abi_ulong lim = (abi_ulong)LIM;                   /* first unusable page */
    int reserved = is_reserved();
    int frag = HPS > TPS;
    int ro = PROT_READ, rw = RW;
    int fixed = ANON | MAP_FIXED, fixed_file = MAP_PRIVATE | MAP_FIXED;
    struct bcase *c;

    /* ---------- target_mmap ---------- */
    MMAP("mmap-01", "misaligned address", "MAP_FIXED start = page + 1", A(1), TPS, rw, fixed, -1, 0, XK_ERRNO, EINVAL, 1);
    MMAP("mmap-02", "misaligned address", "MAP_FIXED start = page + TPS/2, file", A(TPS / 2), TPS, ro, fixed_file, fd_file, 0, XK_ERRNO, EINVAL, 1);
    MMAP("mmap-03", "misaligned offset", "file offset 1, not fixed", 0, TPS, ro, MAP_PRIVATE, fd_file, 1, XK_ERRNO, EINVAL, 1);
    MMAP("mmap-04", "misaligned offset", "file offset TPS/2, MAP_FIXED over a mapping", A(0), TPS, ro, fixed_file, fd_file, TPS / 2, XK_ERRNO, EINVAL, 1);
    MMAP("mmap-05", "misaligned offset", "anonymous with offset 1", 0, TPS, rw, ANON, -1, 1, XK_ERRNO, EINVAL, 1);
    MMAP("mmap-06", "zero length", "len 0, not fixed", 0, 0, rw, ANON, -1, 0, XK_ERRNO, EINVAL, 1);
    MMAP("mmap-07", "zero length", "len 0, MAP_FIXED over a mapping", A(0), 0, rw, fixed, -1, 0, XK_ERRNO, EINVAL, 1);
    MMAP("mmap-08", "length wraps when aligned", "len = max - 5, not fixed", 0, wrap_len, rw, ANON, -1, 0, XK_ERRNO, ENOMEM, 1);
    MMAP("mmap-09", "length wraps when aligned", "len = max - 5, MAP_FIXED", A(0), wrap_len, rw, fixed, -1, 0, XK_ERRNO, ENOMEM, 1);
    MMAP("mmap-10", "length beyond the space", "len = last ABI page, not fixed", 0, huge, PROT_NONE, ANON | MAP_NORESERVE, -1, 0, XK_ERRNO, ENOMEM, 1);
    MMAP("mmap-11", "range wraps", "MAP_FIXED at the last ABI page, 2 pages", top_abi, 2 * TPS, rw, fixed, -1, 0, XK_ERRNO, ENOMEM, 1);
    MMAP("mmap-12", "range beyond the space", "MAP_FIXED ending one page past the usable space", lim - TPS, 2 * TPS, rw, fixed, -1, 0, XK_ERRNO, ENOMEM, 1);
    MMAP("mmap-13", "range beyond the space", "MAP_FIXED at the first unusable page", lim, TPS, rw, fixed, -1, 0, XK_ERRNO, ENOMEM, 1);
#if TARGET_ABI_BITS == 64 && TARGET_VIRT_ADDR_SPACE_BITS < 64
    MMAP("mmap-14", "range beyond VIRT bits", "MAP_FIXED at 1 << VIRT_BITS", (abi_ulong)1 << TARGET_VIRT_ADDR_SPACE_BITS, TPS, rw, fixed, -1, 0, XK_ERRNO, ENOMEM, 1);
#endif
    if (reserved) {
        MMAP("mmap-15", "range beyond reserved_va", "MAP_FIXED straddling reserved_va", (abi_ulong)emu_reserved_va() - TPS, 2 * TPS, rw, fixed, -1, 0, XK_ERRNO, ENOMEM, 1);
        MMAP("mmap-16", "range beyond reserved_va", "len = reserved_va + 1 page, not fixed", 0, (abi_ulong)emu_reserved_va() + TPS, rw, ANON, -1, 0, XK_ERRNO, ENOMEM, 1);
    }
    c = add("mmap-17", "target_mmap", "unknown prot bits", "prot READ|0x10 (PAGE_WRITE_ORG's bit): Linux ignores it", RT_ADDR, XK_OK, 0, 0);
    args(c, 0, TPS, PROT_READ | 0x10, ANON, (unsigned)-1, 0);
    c->post = post_readonly;
    c = add("mmap-18", "target_mmap", "unknown prot bits", "prot READ|0x100: Linux ignores it", RT_ADDR, XK_OK, 0, 0);
    args(c, 0, TPS, PROT_READ | 0x100, ANON, (unsigned)-1, 0);
    c->post = post_readonly;
    c = add("mmap-19", "target_mmap", "unknown prot bits", "prot READ|0x10, then mremap MAYMOVE: still read-only", RT_CUSTOM, XK_OK, 0, 0);
    c->a[0] = 0x10;
    c->custom = call_unknown_prot_then_move;
    c->post = post_readonly;
    c = add("mmap-20", "target_mmap", "unknown flags", "flag 0x800000 (unknown to Linux), private: ignored", RT_ADDR, XK_OK, 0, 0);
    args(c, 0, TPS, rw, ANON | 0x800000, (unsigned)-1, 0);
    c->post = post_ok_rw;
    MMAP("mmap-21", "bad map type", "no MAP_PRIVATE/MAP_SHARED, not fixed", 0, TPS, rw, MAP_ANONYMOUS, -1, 0, XK_ERRNO, EINVAL, 1);
    MMAP("mmap-22", "bad map type", "no MAP_PRIVATE/MAP_SHARED, MAP_FIXED over a mapping", A(0), TPS, rw, MAP_ANONYMOUS | MAP_FIXED, -1, 0, XK_ERRNO, EINVAL, 1);
    MMAP("mmap-23", "bad map type", "map type 0xf, MAP_FIXED over a mapping", A(0), TPS, rw, 0xf | MAP_ANONYMOUS | MAP_FIXED, -1, 0, XK_ERRNO, EINVAL, 1);
    MMAP("mmap-24", "unknown flags", "MAP_SHARED_VALIDATE file + unknown flag 0x800000, MAP_FIXED", A(0), TPS, ro, MAP_SHARED_VALIDATE | 0x800000 | MAP_FIXED, fd_file, 0, XK_ERRNO, EOPNOTSUPP, 1);
    MMAP("mmap-25", "bad file descriptor", "fd -1 without MAP_ANONYMOUS, not fixed", 0, TPS, ro, MAP_PRIVATE, -1, 0, XK_ERRNO, EBADF, 1);
    MMAP("mmap-26", "bad file descriptor", "closed fd, not fixed", 0, TPS, ro, MAP_PRIVATE, fd_closed, 0, XK_ERRNO, EBADF, 1);
    MMAP("mmap-27", "bad file descriptor", "closed fd, MAP_FIXED over a mapping", A(0), 2 * U, ro, fixed_file, fd_closed, 0, XK_ERRNO, EBADF, 1);
    MMAP("mmap-28", "bad file descriptor", "fd -1, MAP_FIXED over a mapping, partial host pages", A(TPS), frag ? U : TPS, ro, fixed_file, -1, 0, XK_ERRNO, EBADF, 1);
    MMAP("mmap-29", "directory", "directory fd, not fixed", 0, TPS, ro, MAP_PRIVATE, fd_dir, 0, XK_ERRNO, ENODEV, 1);
    MMAP("mmap-30", "directory", "directory fd, MAP_FIXED over a mapping", A(0), 2 * U, ro, fixed_file, fd_dir, 0, XK_ERRNO, ENODEV, 1);
    MMAP("mmap-31", "write-only file", "O_WRONLY fd, private read, not fixed", 0, TPS, ro, MAP_PRIVATE, fd_wronly, 0, XK_ERRNO, EACCES, 1);
    MMAP("mmap-32", "write-only file", "O_WRONLY fd, MAP_FIXED over a mapping", A(0), 2 * U, ro, fixed_file, fd_wronly, 0, XK_ERRNO, EACCES, 1);
    MMAP("mmap-33", "read-only file, shared write", "O_RDONLY fd, MAP_SHARED|PROT_WRITE, not fixed", 0, TPS, rw, MAP_SHARED, fd_rdonly, 0, XK_ERRNO, EACCES, 1);
    MMAP("mmap-34", "read-only file, shared write", "O_RDONLY fd, MAP_SHARED|PROT_WRITE, MAP_FIXED over a mapping", A(0), 2 * U, rw, MAP_SHARED | MAP_FIXED, fd_rdonly, 0, XK_ERRNO, EACCES, 1);
    c = add("mmap-35", "target_mmap", "offset past EOF", "offset 64 units past an 8-unit file: succeeds (SIGBUS on access, as on Linux)", RT_ADDR, XK_OK, 0, 0);
    args(c, 0, TPS, ro, MAP_PRIVATE, (unsigned)fd_file, 64 * (unsigned long long)U);
#if TARGET_ABI_BITS == 64
    MMAP("mmap-36", "offset overflows off_t", "offset 1 << 63, not fixed", 0, TPS, ro, MAP_PRIVATE, fd_file, 1ull << 63, XK_ERRNO, EOVERFLOW, 1);
    MMAP("mmap-37", "offset overflows off_t", "offset 1 << 63, MAP_FIXED over a mapping", A(0), 2 * U, ro, fixed_file, fd_file, 1ull << 63, XK_ERRNO, EOVERFLOW, 1);
#endif
    MMAP("mmap-38", "occupied range", "MAP_FIXED_NOREPLACE over a mapping", A(0), 2 * U, rw, ANON | 0x100000, -1, 0, XK_ERRNO, EEXIST, 1);
    MMAP("mmap-39", "occupied range", "MAP_FIXED_NOREPLACE over a partly used range", A(U), 2 * U, rw, ANON | 0x100000, -1, 0, XK_ERRNO, EEXIST, 1);
    if (frag) {
        MMAP("mmap-40", "shared writable fragment", "file MAP_SHARED|PROT_WRITE, both ends in partial host pages, MAP_FIXED over a mapping", A(TPS), 2 * U - 2 * TPS, rw, MAP_SHARED | MAP_FIXED, fd_file, TPS, XK_ERRNO, EINVAL, 1);
        /* (a read-only one is a private copy, as in QEMU: not refused) */
        MMAP("mmap-41", "shared, offset not congruent", "file MAP_SHARED|PROT_WRITE at an offset not congruent mod the host page, MAP_FIXED over a mapping", A(0), U, rw, MAP_SHARED | MAP_FIXED, fd_file, TPS, XK_ERRNO, EINVAL, 1);
        MMAP("mmap-42", "bad file descriptor", "closed fd at an offset not congruent mod the host page (read fallback), MAP_FIXED", A(0), U, ro, fixed_file, fd_closed, TPS, XK_ERRNO, EBADF, 1);
    }

    /* ---------- target_munmap ---------- */
    MUNMAP("munmap-01", "misaligned address", "start = page + 1", A(1), TPS, XK_NEG, EINVAL, 1);
    MUNMAP("munmap-02", "zero length", "len 0", A(0), 0, XK_NEG, EINVAL, 1);
    MUNMAP("munmap-03", "length wraps when aligned", "len = max - 5", A(0), wrap_len, XK_NEG, EINVAL, 1);
    MUNMAP("munmap-04", "length beyond the space", "len = last ABI page", A(0), huge, XK_NEG, EINVAL, 1);
    MUNMAP("munmap-05", "range wraps", "last ABI page, 2 pages", top_abi, 2 * TPS, XK_NEG, EINVAL, 1);
    MUNMAP("munmap-06", "range beyond the space", "ending one page past the usable space", lim - TPS, 2 * TPS, XK_NEG, EINVAL, 1);
    MUNMAP("munmap-07", "range beyond the space", "at the first unusable page", lim, TPS, XK_NEG, EINVAL, 1);
    if (reserved) {
        MUNMAP("munmap-08", "range beyond reserved_va", "straddling reserved_va", (abi_ulong)emu_reserved_va() - TPS, 2 * TPS, XK_NEG, EINVAL, 1);
    }
    MUNMAP("munmap-09", "unmapped range", "a hole: succeeds, changes nothing", A(2 * U), U, XK_ZERO, 0, 1);
    MUNMAP("munmap-10", "unmapped range", "the free tail of the window", A(10 * U), 6 * U, XK_ZERO, 0, 1);

    /* ---------- target_mprotect ---------- */
    MPROT("mprotect-01", "misaligned address", "start = page + 1", A(1), TPS, ro, XK_NEG, EINVAL, 1);
    MPROT("mprotect-02", "zero length", "len 0 (succeeds, as on Linux)", A(0), 0, ro, XK_ZERO, 0, 1);
    MPROT("mprotect-03", "length wraps when aligned", "len = max - 5", A(0), wrap_len, ro, XK_NEG, ENOMEM, 1);
    MPROT("mprotect-04", "length beyond the space", "len = last ABI page", A(0), huge, ro, XK_NEG, ENOMEM, 1);
    MPROT("mprotect-05", "range wraps", "last ABI page, 2 pages", top_abi, 2 * TPS, ro, XK_NEG, ENOMEM, 1);
    MPROT("mprotect-06", "range beyond the space", "ending one page past the usable space", lim - TPS, 2 * TPS, ro, wrap_kind(lim - TPS, 2 * TPS), ENOMEM, 1);
    MPROT("mprotect-07", "range beyond the space", "at the first unusable page", lim, TPS, ro, wrap_kind(lim, TPS), ENOMEM, 1);
    MPROT("mprotect-08", "unknown prot bits", "prot READ|0x100 over a mapping", A(0), TPS, ro | 0x100, XK_NEG, EINVAL, 1);
    MPROT("mprotect-09", "unknown prot bits", "prot 0x10 (PAGE_WRITE_ORG's bit) over a mapping", A(0), TPS, 0x10, XK_NEG, EINVAL, 1);
    MPROT("mprotect-10", "unmapped range", "a hole", A(2 * U), U, ro, XK_ERRNO, ENOMEM, 1);
    /* Linux changes the mapped part before the hole, then fails */
    MPROT("mprotect-11", "unmapped range", "mapped, then a hole (the mapped part changes, as on Linux)", A(0), 3 * U, ro, XK_ERRNO, ENOMEM, 0);
    MPROT("mprotect-12", "unmapped range", "the free tail of the window", A(10 * U), 6 * U, ro, XK_ERRNO, ENOMEM, 1);

    /* ---------- target_mremap ---------- */
    MREMAP("mremap-01", "misaligned address", "old = page + 1", A(1), TPS, 2 * TPS, MREMAP_MAYMOVE, 0, XK_ERRNO, EINVAL, 1);
    MREMAP("mremap-02", "zero length", "new_size 0", A(0), TPS, 0, MREMAP_MAYMOVE, 0, XK_ERRNO, EINVAL, 1);
    MREMAP("mremap-03", "zero length", "old_size 0 without MREMAP_MAYMOVE", A(0), 0, TPS, 0, 0, XK_ERRNO, EINVAL, 1);
    MREMAP("mremap-04", "zero length", "old_size 0 of a private mapping, MAYMOVE (Linux: EINVAL)", A(0), 0, TPS, MREMAP_MAYMOVE, 0, XK_ERRNO, EINVAL, 1);
    /* Linux aligns both sizes first (PAGE_ALIGN wraps to 0 at the ABI
       width) and refuses a zero new length, and a zero old length without
       MAYMOVE, with EINVAL */
    MREMAP("mremap-05", "length wraps when aligned", "new_size = max - 5, MAYMOVE", A(0), TPS, wrap_len, MREMAP_MAYMOVE, 0, XK_ERRNO, EINVAL, 1);
    MREMAP("mremap-06", "length wraps when aligned", "old_size = max - 5", A(0), wrap_len, TPS, 0, 0, XK_ERRNO, EINVAL, 1);
    MREMAP("mremap-07", "range wraps", "old = last ABI page, 2 pages", top_abi, 2 * TPS, TPS, 0, 0, XK_ERRNO, EFAULT, 1);
    MREMAP("mremap-08", "range beyond the space", "old range ending past the usable space", lim - TPS, 2 * TPS, TPS, 0, 0, XK_ERRNO, EFAULT, 1);
    MREMAP("mremap-09", "range beyond the space", "grow in place past the usable space", lim - TPS, TPS, 2 * TPS, 0, 0, XK_ERRNO, EFAULT, 1);
    MREMAP("mremap-10", "range beyond the space", "MREMAP_FIXED to the first unusable page", A(0), TPS, TPS, MREMAP_MAYMOVE | MREMAP_FIXED, lim, XK_ERRNO, EINVAL, 1);
    MREMAP("mremap-11", "range wraps", "MREMAP_FIXED to the last ABI page, 2 pages", A(0), TPS, 2 * TPS, MREMAP_MAYMOVE | MREMAP_FIXED, top_abi, XK_ERRNO, EINVAL, 1);
    MREMAP("mremap-12", "misaligned address", "MREMAP_FIXED new = page + 1", A(0), TPS, TPS, MREMAP_MAYMOVE | MREMAP_FIXED, A(12 * U) + 1, XK_ERRNO, EINVAL, 1);
    MREMAP("mremap-13", "overlapping ranges", "MREMAP_FIXED new range overlapping the old", A(0), 2 * U, 2 * U, MREMAP_MAYMOVE | MREMAP_FIXED, A(U), XK_ERRNO, EINVAL, 1);
    MREMAP("mremap-14", "unmapped range", "old range unmapped", A(2 * U), U, 2 * U, MREMAP_MAYMOVE, 0, XK_ERRNO, EFAULT, 1);
    MREMAP("mremap-15", "unmapped range", "old range unmapped, MREMAP_FIXED", A(11 * U), U, U, MREMAP_MAYMOVE | MREMAP_FIXED, A(13 * U), XK_ERRNO, EFAULT, 1);
    MREMAP("mremap-16", "unmapped range", "old range mapped then a hole", A(U), 2 * U, 4 * U, MREMAP_MAYMOVE, 0, XK_ERRNO, EFAULT, 1);
    MREMAP("mremap-17", "occupied range", "grow in place into a used neighbour", A(0), 2 * U, 4 * U, 0, 0, XK_ERRNO, ENOMEM, 1);
    if (reserved) {
        MREMAP("mremap-18", "range beyond reserved_va", "old range straddling reserved_va", (abi_ulong)emu_reserved_va() - TPS, 2 * TPS, TPS, 0, 0, XK_ERRNO, EFAULT, 1);
        MREMAP("mremap-19", "range beyond reserved_va", "MREMAP_FIXED to straddle reserved_va", A(0), 2 * TPS, 2 * TPS, MREMAP_MAYMOVE | MREMAP_FIXED, (abi_ulong)emu_reserved_va() - TPS, XK_ERRNO, EINVAL, 1);
    }
    /* every invalid combination of the flags, same size and grown */
    {
        static const struct { const char *id, *desc; unsigned long f; int grow; } fc[] = {
            { "mremap-20", "MREMAP_FIXED without MAYMOVE", MREMAP_FIXED, 0 },
            { "mremap-21", "MREMAP_FIXED without MAYMOVE, grown", MREMAP_FIXED, 1 },
            { "mremap-22", "DONTUNMAP without MAYMOVE", 4, 0 },
            { "mremap-23", "DONTUNMAP|FIXED without MAYMOVE", 4 | MREMAP_FIXED, 0 },
            { "mremap-24", "DONTUNMAP|MAYMOVE, sizes differ", 4 | MREMAP_MAYMOVE, 1 },
            { "mremap-25", "DONTUNMAP|MAYMOVE|FIXED, sizes differ", 4 | MREMAP_MAYMOVE | MREMAP_FIXED, 1 },
            { "mremap-26", "unknown flag 0x8", 8 | MREMAP_MAYMOVE, 0 },
            { "mremap-27", "unknown flag 0x100", 0x100, 0 },
            { "mremap-28", "flags = (unsigned long)-1 (a sign-extended abi_long -1)", ~0ul, 0 },
            { "mremap-29", "flags = 1 << 32", 1ul << 32, 0 },
        };
        unsigned i;
        for (i = 0; i < sizeof(fc) / sizeof(fc[0]); i++) {
            MREMAP(fc[i].id, "invalid flag combination", fc[i].desc, A(8 * U), U,
                   fc[i].grow ? 2 * U : U, fc[i].f, A(12 * U), XK_ERRNO, EINVAL, 1);
        }
    }

    /* ---------- target_msync ---------- */
    MSYNC("msync-01", "misaligned address", "start = page + 1", A(1), TPS, MS_SYNC, XK_NEG, EINVAL, 1);
    MSYNC("msync-02", "unknown flags", "MS_ASYNC|MS_SYNC", A(0), TPS, MS_ASYNC | MS_SYNC, XK_ERRNO, EINVAL, 1);
    MSYNC("msync-03", "unknown flags", "flag 0x8", A(0), TPS, 0x8, XK_ERRNO, EINVAL, 1);
    MSYNC("msync-04", "zero length", "len 0 (succeeds)", A(0), 0, MS_SYNC, XK_ZERO, 0, 1);
    MSYNC("msync-05", "length wraps when aligned", "len = max - 5 (aligns to 0: succeeds, as on Linux)", A(0), wrap_len, MS_SYNC, XK_ZERO, 0, 1);
    MSYNC("msync-06", "range wraps", "last ABI page, 2 pages", top_abi, 2 * TPS, MS_SYNC, XK_NEG, ENOMEM, 1);
    MSYNC("msync-07", "range beyond the space", "ending one page past the usable space", lim - TPS, 2 * TPS, MS_SYNC, wrap_kind(lim - TPS, 2 * TPS), ENOMEM, 1);
    MSYNC("msync-08", "unmapped range", "a hole", A(2 * U), U, MS_SYNC, XK_ERRNO, ENOMEM, 1);
    MSYNC("msync-09", "unmapped range", "mapped, then a hole", A(0), 3 * U, MS_SYNC, XK_ERRNO, ENOMEM, 1);

    /* ---------- mmap_find_vma (lock held) ---------- */
    FIND("find-01", "zero length", "size 0", 0, 0);
    cases[ncases - 1].post = post_find;
    FIND("find-02", "length wraps when aligned", "size = max - 5", 0, wrap_len);
    cases[ncases - 1].post = post_find;
    FIND("find-03", "length beyond the space", "size = last ABI page", 0, huge);
    cases[ncases - 1].post = post_find;
    FIND("find-04", "misaligned address", "start = window + 1", A(1), U);
    cases[ncases - 1].post = post_find;
    FIND("find-05", "range beyond the space", "start at the first unusable page", lim, U);
    cases[ncases - 1].post = post_find;
    FIND("find-06", "range wraps", "start at the last ABI page", top_abi, 2 * U);
    cases[ncases - 1].post = post_find;

    /* ---------- mmap_lock / mmap_unlock ---------- */
    c = add("lock-01", "mmap_unlock", "unbalanced call", "mmap_unlock without mmap_lock, then two threads lock: mutual exclusion must hold (upstream asserts)", RT_CUSTOM, XK_ABORT, 0, 0);
    c->custom = call_unbalanced_unlock;
    c->noglobal = 1;
}

/* ---- running one case ---------------------------------------------------- */

struct result {
    long long raw;
    int err;
    int changed;
    char change[240];
    int violations;
    char viol[300];
    char post[200];
    int done;
};

static struct result *res;   /* shared with the child */
static struct rel_window wb, wa;
static struct rel_maps before;

static void run_in_child(const struct bcase *c)
{
    long long raw;
    int e;
    char *saved_msg = res->change;

    rel_window_take(&wb, W, WPAGES);
    rel_maps_read(&before);
    errno = 0;
    raw = do_call(c);
    e = errno;
    res->raw = raw;
    res->err = e;
    rel_window_take(&wa, W, WPAGES);
    res->changed = rel_window_diff(&wb, &wa, saved_msg, sizeof(res->change));
    rel_verbose_ = 0;
    res->violations = c->noglobal ? 0 : rel_check(c->id, &before);
    snprintf(res->viol, sizeof(res->viol), "%s", rel_last_violation_);
    if (c->post && c->xk == XK_OK) {
        int failed = (c->rt == RT_INT) ? raw != 0 : (raw == -1 || (raw < 0 && raw > -4096));
        if (!failed) {
            const char *m = c->post(c, raw);
            if (m) {
                snprintf(res->post, sizeof(res->post), "%s", m);
            }
        }
    }
    if (c->rt == RT_FIND && c->post) {
        const char *m = c->post(c, raw);
        if (m) {
            snprintf(res->post, sizeof(res->post), "%s", m);
        }
    }
    res->done = 1;
}

/* how a result reads in the table */
static void describe(const struct bcase *c, const struct result *r, int status, char *buf,
                     size_t n, const char *stderr_line)
{
    if (WIFSIGNALED(status)) {
        snprintf(buf, n, "%s%s%s", WTERMSIG(status) == SIGABRT ? "aborts" : strsignal(WTERMSIG(status)),
                 stderr_line[0] ? ": " : "", stderr_line);
        return;
    }
    if (!WIFEXITED(status) || !r->done) {
        snprintf(buf, n, "child exit %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return;
    }
    switch (c->rt) {
    case RT_FIND:
        if ((abi_ulong)r->raw == (abi_ulong)-1) {
            snprintf(buf, n, "-1");
        } else {
            snprintf(buf, n, "an address");
        }
        break;
    case RT_CUSTOM:
        if (c->xk == XK_ABORT) {
            snprintf(buf, n, r->raw ? "returns; both threads held the lock" : "returns; exclusion held");
            break;
        }
        /* fall through */
    default:
        if (r->raw == -1) {
            snprintf(buf, n, "-1 %s", rel_errname(r->err));
        } else if (r->raw < 0 && r->raw > -4096) {
            snprintf(buf, n, "-%s", rel_errname((int)-r->raw));
        } else if (r->raw == 0 && c->rt == RT_INT) {
            snprintf(buf, n, "0");
        } else {
            snprintf(buf, n, "an address");
        }
    }
}

static void expected_str(const struct bcase *c, char *buf, size_t n)
{
    const char *nc = c->nochange ? ", nothing changed" : "";
    switch (c->xk) {
    case XK_ERRNO: snprintf(buf, n, "-1 %s%s", rel_errname(c->xe), nc); break;
    case XK_NEG: snprintf(buf, n, "-%s%s", rel_errname(c->xe), nc); break;
    case XK_ZERO: snprintf(buf, n, "0%s", nc); break;
    case XK_OK: snprintf(buf, n, "an address"); break;
    case XK_SANE: snprintf(buf, n, "-1 or a free aligned range inside the space"); break;
    case XK_ABORT: snprintf(buf, n, "aborts with a message"); break;
    default: snprintf(buf, n, "?");
    }
}

/* did ours meet the expectation?  returns NULL or why not */
static const char *judge(const struct bcase *c, const struct result *r, int status)
{
    static char why[400];
    int sig = WIFSIGNALED(status);
    if (c->xk == XK_ABORT) {
        if (sig && WTERMSIG(status) == SIGABRT) {
            return NULL;
        }
        return "did not abort";
    }
    if (sig || !r->done) {
        return "the process died";
    }
    switch (c->xk) {
    case XK_ERRNO:
        if (r->raw != -1 || r->err != c->xe) {
            return "wrong result or errno";
        }
        break;
    case XK_NEG:
        if (r->raw != -(long long)c->xe) {
            return "wrong result";
        }
        break;
    case XK_ZERO:
        if (r->raw != 0) {
            return "wrong result";
        }
        break;
    case XK_OK:
        if (r->raw == -1 || (r->raw < 0 && r->raw > -4096)) {
            return "failed";
        }
        break;
    default:
        break;
    }
    if (c->nochange && r->changed) {
        snprintf(why, sizeof(why), "changed: %s", r->change);
        return why;
    }
    if (r->violations) {
        snprintf(why, sizeof(why), "invariant: %s", r->viol);
        return why;
    }
    if (r->post[0]) {
        snprintf(why, sizeof(why), "%s", r->post);
        return why;
    }
    return NULL;
}

static void build_scene(void)
{
    abi_ulong r;
    char path[64];

    U = HPS;
    WPAGES = (unsigned)(16 * U / TPS);
    W = fresh(16 * U);
    fd_file = emu_make_file(8 * U);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd_file);
    fd_rdonly = open(path, O_RDONLY);
    fd_wronly = open(path, O_WRONLY);
    fd_dir = open("/", O_RDONLY | O_DIRECTORY);
    close(fd_closed);
    if (fd_rdonly < 0 || fd_wronly < 0 || fd_dir < 0) {
        perror("open");
        exit(3);
    }
#define MUST(x) do { if ((x) == (abi_ulong)-1) { printf("scene: %s failed: %s\n", #x, strerror(errno)); exit(3); } } while (0)
    r = target_mmap(A(0), 2 * U, RW, ANON | MAP_FIXED, -1, 0); MUST(r);
    memset(H(A(0)), 0x11, 2 * U);
    r = target_mmap(A(3 * U), 2 * U, RW, ANON | MAP_FIXED, -1, 0); MUST(r);
    memset(H(A(3 * U)), 0x22, 2 * U);
    if (target_mprotect(A(3 * U), 2 * U, PROT_READ) != 0) { printf("scene: mprotect\n"); exit(3); }
    r = target_mmap(A(5 * U), 2 * U, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd_file, 0); MUST(r);
    r = target_mmap(A(7 * U), U, PROT_NONE, ANON | MAP_FIXED, -1, 0); MUST(r);
    r = target_mmap(A(8 * U), 2 * U, RW, ANON | MAP_FIXED, -1, 0); MUST(r);
    memset(H(A(8 * U)), 0x33, 2 * U);
    if (U > TPS && target_mprotect(A(8 * U + TPS), TPS, PROT_READ) != 0) {
        printf("scene: mprotect 2\n");
        exit(3);
    }
    LIM = rel_guest_limit();
}

int main(void)
{
    int i, passed = 0, failed = 0, xfail = 0, xpass = 0;
    const char *cfg = getenv("CONFIG");
    char errpath[] = "/tmp/rel-bad-XXXXXX";
    int errfd;

    emu_init_from_env();
    setvbuf(stdout, NULL, _IOLBF, 0);
    rel_maps_read(&before);
    build_scene();
    rel_verbose_ = 1;
    if (rel_check("scene", &before) != 0) {
        printf("the scene itself is inconsistent\n");
    }
    build_cases();
    res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    errfd = mkstemp(errpath);
    unlink(errpath);
    printf("# r_badinput CONFIG=%s IMPL=%s: %d cases, window 0x%llx (%u target pages), "
           "host page %lu, reserved_va 0x%lx, guest limit 0x%llx\n",
           cfg ? cfg : "?", IS_ORACLE ? "oracle" : "rust", ncases, (unsigned long long)W, WPAGES,
           (unsigned long)qemu_host_page_size, emu_reserved_va(), (unsigned long long)LIM);

    for (i = 0; i < ncases; i++) {
        const struct bcase *c = &cases[i];
        char got[400], exp[200], errline[200] = "";
        const char *why;
        int status = 0, known;
        pid_t pid;

        memset(res, 0, sizeof(*res));
        if (ftruncate(errfd, 0) != 0 || lseek(errfd, 0, SEEK_SET) != 0) {
            perror("ftruncate");
        }
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            struct rlimit rl = { 0, 0 };
            setrlimit(RLIMIT_CORE, &rl);
            dup2(errfd, 2);
            alarm(20);
            run_in_child(c);
            _exit(0);
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        {
            ssize_t n = pread(errfd, errline, sizeof(errline) - 1, 0);
            char *nl;
            errline[n > 0 ? n : 0] = 0;
            /* the first line that says something */
            nl = strstr(errline, "fatal: ");
            if (nl) {
                memmove(errline, nl + 7, strlen(nl + 7) + 1);
            }
            nl = strchr(errline, '\n');
            if (nl) {
                *nl = 0;
            }
            for (nl = errline; *nl; nl++) {
                if (*nl == '\t') *nl = ' ';
            }
        }
        describe(c, res, status, got, sizeof(got), errline);
        if (!WIFSIGNALED(status) && res->done) {
            size_t l = strlen(got);
            if (res->changed) {
                snprintf(got + l, sizeof(got) - l, "; CHANGED: %s", res->change);
            } else if (res->violations) {
                snprintf(got + l, sizeof(got) - l, "; INVARIANT: %s", res->viol);
            } else if (res->post[0]) {
                snprintf(got + l, sizeof(got) - l, "; %s", res->post);
            }
        }
        expected_str(c, exp, sizeof(exp));
        if (IS_ORACLE) {
            printf("ROW\t%s\t%s\t%s\t%s\t%s\t%s\tORACLE\n", c->id, c->exp, c->cls, c->desc, exp, got);
            passed++;
            continue;
        }
        why = judge(c, res, status);
        known = known_lookup("r_badinput", c->id);
        if (!why && !known) {
            passed++;
            printf("ROW\t%s\t%s\t%s\t%s\t%s\t%s\tPASS\n", c->id, c->exp, c->cls, c->desc, exp, got);
        } else if (!why && known) {
            xpass++;
            printf("ROW\t%s\t%s\t%s\t%s\t%s\t%s\tXPASS\n", c->id, c->exp, c->cls, c->desc, exp, got);
            printf("FAIL: %s passes but is listed in known_bugs.txt: remove the entry\n", c->id);
        } else if (known) {
            xfail++;
            printf("ROW\t%s\t%s\t%s\t%s\t%s\t%s\tXFAIL\n", c->id, c->exp, c->cls, c->desc, exp, got);
            printf("XFAIL (known library bug): %s: %s\n", c->id, why);
        } else {
            failed++;
            printf("ROW\t%s\t%s\t%s\t%s\t%s\t%s\tFAIL\n", c->id, c->exp, c->cls, c->desc, exp, got);
            printf("FAIL: %s (%s %s): %s\n", c->id, c->exp, c->desc, why);
        }
    }
    close(errfd);
    printf("# r_badinput: %d cases, %d as expected, %d known bugs (XFAIL), %d XPASS, %d failed\n",
           ncases, passed, xfail, xpass, failed);
    printf("%d passed, %d failed\n", passed + xfail, failed + xpass);
    return failed + xpass ? 1 : 0;
}
