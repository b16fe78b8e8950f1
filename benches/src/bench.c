/*
 * bench.c -- the benchmark program of qemu-user-mmap.
 *
 * One source, linked twice per target: against the original linux-user/mmap.c
 * (compiled from ../shared/oracle with the target's -D flags) and against
 * build/<target>/libqemu_user_mmap.a.  The emulator side is c-tests/harness/emu.c:
 * QEMU 2.3's multi-level page table, with exact counters of page_get_flags
 * and page_set_flags calls.  Host system calls are counted exactly by
 * count.c (link-time wrapping).
 *
 * Each process runs one workload:
 *
 *   bench list                      the workloads this build has
 *   bench run NAME [options]        verification pass + timed batches; one JSON line
 *   bench callgrind NAME [--ops V]  verification pass only, with callgrind
 *                                   collection on around the library calls
 * options:
 *   --reps R        timed batches (default 11; 0: verification pass only)
 *   --batch-ms M    minimum duration of one batch (default 5)
 *   --budget-ms B   cap on the time spent in batches of slow operations (default 1500)
 *   --box S         time box in seconds for the verification pass: when it is
 *                   exceeded the program prints a "timeout" line with the
 *                   elapsed time and the page_get_flags calls made so far, and exits
 *   --ops V         operations of the verification pass (default per workload)
 * environment: BENCH_TRACE=1 prints the value of every operation of the
 * verification pass on stderr (to see why two checksums differ).
 *
 * The verification pass runs V operations from a fixed state; its counts
 * (system calls, page_get_flags, page_set_flags) and the checksum of every
 * result are exact and the same in every run.  The timed batches then run K
 * operations each (K calibrated so that a batch lasts --batch-ms), and the
 * per-operation time of each batch is printed; the runner takes the median.
 */
#include "emu.h"
#include "count.h"
#include "replay.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#ifndef BENCH_IMPL
# define BENCH_IMPL "unknown"
#endif
#ifndef BENCH_TARGET
# define BENCH_TARGET "unknown"
#endif
#ifndef BENCH_TRACE_DIR
# define BENCH_TRACE_DIR "build"
#endif

#define PS ((abi_ulong)TARGET_PAGE_SIZE)
#define KIB 1024ul
#define MIB (1024ul * 1024ul)
#define GIB (1024ul * 1024ul * 1024ul)

/* ---- timing and counters ------------------------------------------------ */
static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

struct counts {
    unsigned long pgf, psf;
    unsigned long sys[BAPI_N][BSYS_N];
};

static void counts_get(struct counts *c)
{
    c->pgf = emu_page_get_flags_calls;
    c->psf = emu_page_set_flags_calls;
    memcpy(c->sys, bench_sys, sizeof(c->sys));
}

static void counts_set(const struct counts *c)
{
    emu_page_get_flags_calls = c->pgf;
    emu_page_set_flags_calls = c->psf;
    memcpy(bench_sys, c->sys, sizeof(c->sys));
}

static int cg_mode;             /* callgrind: collect only around library calls */
static int trace_values;        /* BENCH_TRACE=1: print each operation's value */
static struct counts untimed_saved;

/* Work that is not part of the measurement (clean-up between operations):
   its counts are discarded and callgrind does not collect it. */
static void untimed_begin(void)
{
    counts_get(&untimed_saved);
    if (cg_mode) {
        CALLGRIND_TOGGLE_COLLECT;
    }
}

static void untimed_end(void)
{
    if (cg_mode) {
        CALLGRIND_TOGGLE_COLLECT;
    }
    counts_set(&untimed_saved);
}

static uint64_t fold(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ull;
}

static void die(const char *what)
{
    fprintf(stderr, "bench: %s (errno %d: %s)\n", what, errno, strerror(errno));
    exit(2);
}

/* ---- the calls, each under its counter slot ---------------------------- */
static abi_long b_mmap(abi_ulong s, abi_ulong l, int p, int f, int fd, abi_ulong o)
{
    abi_long r;
    bench_api = BAPI_MMAP;
    r = target_mmap(s, l, p, f, fd, o);
    bench_api = BAPI_OTHER;
    return r;
}

static int b_munmap(abi_ulong s, abi_ulong l)
{
    int r;
    bench_api = BAPI_MUNMAP;
    r = target_munmap(s, l);
    bench_api = BAPI_OTHER;
    return r;
}

static int b_mprotect(abi_ulong s, abi_ulong l, int p)
{
    int r;
    bench_api = BAPI_MPROTECT;
    r = target_mprotect(s, l, p);
    bench_api = BAPI_OTHER;
    return r;
}

static abi_long b_mremap(abi_ulong o, abi_ulong os, abi_ulong ns, unsigned long f, abi_ulong n)
{
    abi_long r;
    bench_api = BAPI_MREMAP;
    r = target_mremap(o, os, ns, f, n);
    bench_api = BAPI_OTHER;
    return r;
}

static abi_ulong b_find(abi_ulong start, abi_ulong size)
{
    abi_ulong r;
    bench_api = BAPI_FIND;
    mmap_lock();
    r = mmap_find_vma(start, size);
    mmap_unlock();
    bench_api = BAPI_OTHER;
    return r;
}

/* ---- workload state ------------------------------------------------------ */
static struct {
    unsigned long p1, p2, p3;   /* workload parameters */
    abi_ulong region;
    int fd;
    abi_ulong top, next_start0;
    unsigned long span_pages;   /* search: pages between top and the free space */
    struct replay *rp;
    /* contended lock */
    int nthreads;
    pthread_t th[8];
    pthread_barrier_t start_b, end_b;
    volatile uint64_t batch_k;
    volatile int stop;
} W;

static abi_ulong must_map(abi_ulong start, abi_ulong len, int prot, int flags, int fd, abi_ulong off)
{
    abi_long r = target_mmap(start, len, prot, flags, fd, off);
    if (r == -1 || (flags & MAP_FIXED && (abi_ulong)r != start)) {
        die("setup target_mmap failed");
    }
    return (abi_ulong)r;
}

/* A guest address that is free (x86_64 guests: identity-mapped). */
#if TARGET_ABI_BITS == 64
# define FIXED_REGION ((abi_ulong)1 << 39)
#else
# define FIXED_REGION ((abi_ulong)0x10000000)
#endif

/* ---- workloads ------------------------------------------------------------ */

/* anonymous non-fixed map + unmap churn (one op = one map and its unmap) */
static void setup_none(void) {}

static uint64_t op_anon_churn(uint64_t i)
{
    abi_long a = b_mmap(0, (abi_ulong)(W.p1 * PS), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    (void)i;
    if (a == -1) {
        die("anon_churn: target_mmap failed");
    }
    b_munmap((abi_ulong)a, (abi_ulong)(W.p1 * PS));
    return (uint64_t)a;
}

/* MAP_FIXED over an existing anonymous mapping: 16 pages at one of 4 places */
static void setup_fixed_over(void)
{
    W.region = must_map(FIXED_REGION, 64 * PS, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static uint64_t op_fixed_over(uint64_t i)
{
    return (uint64_t)b_mmap(W.region + (abi_ulong)(i % 4) * 16 * PS, 16 * PS,
                            PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

/* mprotect toggling of 16 pages between RW and R */
static uint64_t op_mprotect_toggle(uint64_t i)
{
    return (uint64_t)(int64_t)b_mprotect(W.region, 16 * PS,
                                         (i & 1) ? PROT_READ | PROT_WRITE : PROT_READ);
}

/* a scratch file of 4 MiB */
static void make_file(void)
{
    W.fd = emu_make_file(4 * MIB);
}

/* non-fixed file mapping (16 pages, private, read-only) + unmap */
static void setup_file_map(void) { make_file(); }

static uint64_t op_file_map(uint64_t i)
{
    abi_ulong off = (abi_ulong)(i % 16) * 16 * PS;
    abi_long a = b_mmap(0, 16 * PS, PROT_READ, MAP_PRIVATE, W.fd, off);
    if (a == -1) {
        die("file_map: target_mmap failed");
    }
    b_munmap((abi_ulong)a, 16 * PS);
    return (uint64_t)a;
}

/* MAP_FIXED file mappings of one 64 KiB host page (16 target pages) over
   anonymous memory, at a congruent offset (host mmap) or at an offset that
   is not (anonymous map + pread + mprotect) */
static void setup_file_fixed(void)
{
    make_file();
    W.region = must_map(FIXED_REGION, 8 * 64 * KIB, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static uint64_t op_file_fixed(uint64_t i)
{
    abi_ulong off = (abi_ulong)(i % 8) * 64 * KIB + (abi_ulong)W.p1;
    abi_ulong at = W.region + (abi_ulong)(4 + i % 4) * 64 * KIB;
    abi_long r = b_mmap(at, 64 * KIB, PROT_READ, MAP_PRIVATE | MAP_FIXED, W.fd, off);
    if (r == -1) {
        die("file_fixed: target_mmap failed");
    }
    return (uint64_t)r;
}

/* fragments: one 4 KiB target page mapped MAP_FIXED inside a 64 KiB host
   page whose other 15 target pages are mapped (mmap_frag on one host page) */
static void setup_frag(void)
{
    make_file();
    W.region = must_map(FIXED_REGION, 4 * 64 * KIB, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static uint64_t op_frag(uint64_t i)
{
    abi_ulong j = (abi_ulong)(1 + i % 14);
    abi_ulong at = W.region + 64 * KIB + j * PS;
    abi_long r;
    if (W.p1) {         /* file-backed fragment (congruent offset: read by hand) */
        r = b_mmap(at, PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, W.fd, j * PS);
    } else {
        r = b_mmap(at, PS, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    }
    if (r == -1) {
        die("frag: target_mmap failed");
    }
    return (uint64_t)r;
}

/* reserved-VA address search: N live one-page mappings below the top of the
   reserved space, separated by free holes of 0..min(S-1, 7) pages (so no hole
   fits an S-page request), then mmap_find_vma(0, S pages) from the top.  The
   _dense variant has no holes: one used region of N pages.  The
   mappings are entered in the page-flags table with page_set_flags, which
   is all the reserved search consults (this keeps N = 100k within the host's
   vm.max_map_count). */
static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void setup_search(void)
{
    unsigned long n = W.p1, s = W.p2, k;
    unsigned long maxhole = W.p3 ? 0 : (s - 1 < 7 ? s - 1 : 7);   /* p3: one used region */
    abi_ulong cur;
    if (!emu_reserved_va()) {
        die("search: needs reserved_va");
    }
    W.top = (abi_ulong)emu_reserved_va();
    cur = W.top;
    mmap_lock();
    for (k = 0; k < n; k++) {
        unsigned long hole = maxhole ? rng() % (maxhole + 1) : 0;
        cur -= (abi_ulong)(hole + 1) * PS;
        page_set_flags(cur, cur + PS, PAGE_VALID | PAGE_READ);
    }
    mmap_unlock();
    W.span_pages = (unsigned long)((W.top - cur) / PS);
    W.next_start0 = mmap_next_start;
}

static uint64_t op_search(uint64_t i)
{
    (void)i;
    mmap_next_start = W.next_start0;
    return (uint64_t)b_find(0, (abi_ulong)(W.p2 * PS));
}

/* in-place mremap growth under reserved VA: a one-page mapping grown by
   p1 bytes without MREMAP_MAYMOVE.  Both implementations check that the
   growth area is free in the page flags first; the host call then fails
   (the area is the PROT_NONE reservation, or the quirk at mmap.c:745 for a
   32-bit guest on a 64-bit host), so every call answers -1/ENOMEM and the
   state does not change. */
static void setup_mremap(void)
{
    if (!emu_reserved_va()) {
        die("mremap_grow: needs reserved_va");
    }
    W.region = must_map(FIXED_REGION, PS, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static uint64_t op_mremap(uint64_t i)
{
    abi_long r;
    (void)i;
    errno = 0;
    r = b_mremap(W.region, PS, (abi_ulong)(PS + W.p1), 0, 0);
    return ((uint64_t)(abi_ulong)r << 32) | (uint64_t)(r == -1 ? errno : 0);
}

/* One growth per operation.  A growth that succeeds (an implementation may grow
   in place where the original refuses) is undone after the measurement, so
   that every operation starts from the same one-page mapping. */
static uint64_t batch_mremap(uint64_t k, uint64_t *ops, uint64_t *sum)
{
    uint64_t t = 0, j, h = *sum;
    for (j = 0; j < k; j++) {
        uint64_t t0 = now_ns(), v;
        v = op_mremap(j);
        t += now_ns() - t0;
        if (trace_values) {
            fprintf(stderr, "op %llu: %#llx\n", (unsigned long long)j, (unsigned long long)v);
        }
        h = fold(h, v);
        if ((v >> 32) != (uint64_t)(abi_ulong)-1) {
            untimed_begin();
            target_munmap((abi_ulong)(v >> 32), (abi_ulong)(PS + W.p1));
            target_munmap(W.region, PS);
            W.region = must_map(FIXED_REGION, PS, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            untimed_end();
        }
    }
    *ops = k;
    *sum = h;
    return t;
}

/* mmap_lock/mmap_unlock (one op = one lock + unlock pair) */
static uint64_t op_lock(uint64_t i)
{
    (void)i;
    mmap_lock();
    mmap_unlock();
    return 0;
}

static void *lock_worker(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t k, n;
        pthread_barrier_wait(&W.start_b);
        if (W.stop) {
            break;
        }
        n = W.batch_k;
        for (k = 0; k < n; k++) {
            mmap_lock();
            mmap_unlock();
        }
        pthread_barrier_wait(&W.end_b);
    }
    return NULL;
}

static void setup_lock_contended(void)
{
    int t;
    W.nthreads = (int)W.p1;
    pthread_barrier_init(&W.start_b, NULL, (unsigned)W.nthreads);
    pthread_barrier_init(&W.end_b, NULL, (unsigned)W.nthreads);
    for (t = 1; t < W.nthreads; t++) {
        if (pthread_create(&W.th[t], NULL, lock_worker, NULL) != 0) {
            die("pthread_create");
        }
    }
}

/* T threads (the main one included) each take and release the lock k times */
static uint64_t batch_lock_contended(uint64_t k, uint64_t *ops, uint64_t *sum)
{
    uint64_t t0, t1, j;
    (void)sum;
    W.batch_k = k;
    t0 = now_ns();
    pthread_barrier_wait(&W.start_b);
    for (j = 0; j < k; j++) {
        mmap_lock();
        mmap_unlock();
    }
    pthread_barrier_wait(&W.end_b);
    t1 = now_ns();
    *ops = k * (uint64_t)W.nthreads;
    return t1 - t0;
}

/* replay of a recorded program (one batch unit = one whole replay; the
   reported cost is per replayed call) */
static void setup_replay(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.trace", BENCH_TRACE_DIR, "python3-import");
    W.rp = replay_load(path);
}

static uint64_t batch_replay(uint64_t k, uint64_t *ops, uint64_t *sum)
{
    uint64_t t = 0, j, n = 0;
    for (j = 0; j < k; j++) {
        uint64_t t0 = now_ns();
        n += replay_run(W.rp, sum);
        t += now_ns() - t0;
        untimed_begin();
        replay_cleanup(W.rp);
        untimed_end();
    }
    *ops = n;
    return t;
}

/* ---- the table ------------------------------------------------------------ */
enum { NEED_ANY, NEED_RESERVED, NEED_NO_RESERVED };

struct workload {
    char name[64];
    int need;
    uintptr_t host_page;        /* 0: real */
    void (*setup)(void);
    uint64_t (*op)(uint64_t i);
    uint64_t (*batch)(uint64_t k, uint64_t *ops, uint64_t *sum);  /* overrides op */
    unsigned long p1, p2, p3;
    unsigned verify_ops, cg_ops;
};

static struct workload table[64];
static int ntable;

static void add(const char *name, int need, uintptr_t hp, void (*setup)(void),
                uint64_t (*op)(uint64_t), uint64_t (*batch)(uint64_t, uint64_t *, uint64_t *),
                unsigned long p1, unsigned long p2, unsigned v, unsigned cg)
{
    struct workload *w = &table[ntable++];
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->need = need;
    w->host_page = hp;
    w->setup = setup;
    w->op = op;
    w->batch = batch;
    w->p1 = p1;
    w->p2 = p2;
    w->p3 = 0;
    w->verify_ops = v;
    w->cg_ops = cg;
}

static void build_table(void)
{
    static const unsigned long ns[] = { 1000, 10000, 100000 };
    static const unsigned long ss[] = { 1, 16, 256 };
    static const struct { const char *n; unsigned long b; } gs[] = {
        { "1M", MIB }, { "2M", 2 * MIB }, { "64M", 64 * MIB }, { "1G", GIB }
    };
    char name[64];
    int a, b;

    add("anon_churn", NEED_NO_RESERVED, 0, setup_none, op_anon_churn, NULL, 1, 0, 256, 64);
    add("fixed_over", NEED_NO_RESERVED, 0, setup_fixed_over, op_fixed_over, NULL, 0, 0, 256, 64);
    add("mprotect_toggle", NEED_NO_RESERVED, 0, setup_fixed_over, op_mprotect_toggle, NULL, 0, 0, 256, 64);
    add("file_map", NEED_NO_RESERVED, 0, setup_file_map, op_file_map, NULL, 0, 0, 256, 64);
    add("file_fixed_congruent_64k", NEED_NO_RESERVED, 64 * KIB, setup_file_fixed, op_file_fixed,
        NULL, 0, 0, 256, 64);
    add("file_fixed_noncongruent_64k", NEED_NO_RESERVED, 64 * KIB, setup_file_fixed,
        op_file_fixed, NULL, 4096, 0, 256, 64);
    add("frag_anon_64k", NEED_NO_RESERVED, 64 * KIB, setup_frag, op_frag, NULL, 0, 0, 64, 8);
    add("frag_file_64k", NEED_NO_RESERVED, 64 * KIB, setup_frag, op_frag, NULL, 1, 0, 64, 8);
    add("lock_uncontended", NEED_NO_RESERVED, 0, setup_none, op_lock, NULL, 1, 0, 1024, 256);
    add("lock_contended_2", NEED_NO_RESERVED, 0, setup_lock_contended, NULL, batch_lock_contended,
        2, 0, 256, 64);
    add("lock_contended_4", NEED_NO_RESERVED, 0, setup_lock_contended, NULL, batch_lock_contended,
        4, 0, 256, 64);
    add("replay_python3", NEED_NO_RESERVED, 0, setup_replay, NULL, batch_replay, 0, 0, 1, 1);

    add("anon_churn_rva", NEED_RESERVED, 0, setup_none, op_anon_churn, NULL, 1, 0, 256, 64);
    for (a = 0; a < 3; a++) {
        for (b = 0; b < 3; b++) {
            snprintf(name, sizeof(name), "search_rva/N=%lu/S=%lu", ns[a], ss[b]);
            add(name, NEED_RESERVED, 0, setup_search, op_search, NULL, ns[a], ss[b],
                ns[a] >= 100000 ? 4 : 16, ns[a] >= 100000 ? 1 : 4);
        }
    }
    /* the same search across one used region of N pages (no holes at all) */
    for (a = 0; a < 3; a++) {
        for (b = 1; b < 3; b++) {
            snprintf(name, sizeof(name), "search_rva_dense/N=%lu/S=%lu", ns[a], ss[b]);
            add(name, NEED_RESERVED, 0, setup_search, op_search, NULL, ns[a], ss[b],
                ns[a] >= 100000 ? 4 : 16, ns[a] >= 100000 ? 1 : 4);
            table[ntable - 1].p3 = 1;
        }
    }
    for (a = 0; a < 4; a++) {
        snprintf(name, sizeof(name), "mremap_grow_rva/%s", gs[a].n);
        add(name, NEED_RESERVED, 0, setup_mremap, op_mremap, batch_mremap, gs[a].b, 0, 1, 1);
    }
    add("replay_python3_rva", NEED_RESERVED, 0, setup_replay, NULL, batch_replay, 0, 0, 1, 1);
}

static int available(const struct workload *w)
{
    long rva = DEFAULT_RESERVED_VA;
    if (w->need == NEED_RESERVED) {
        return rva != 0;
    }
    if (w->need == NEED_NO_RESERVED) {
        return rva == 0 && TARGET_ABI_BITS == 64;
    }
    return 1;
}

/* ---- running -------------------------------------------------------------- */
static const struct workload *cur;
static uint64_t op_index;

static uint64_t run_ops(uint64_t k, uint64_t *ops, uint64_t *sum)
{
    uint64_t t0, j, h = *sum;
    if (cur->batch) {
        return cur->batch(k, ops, sum);
    }
    t0 = now_ns();
    for (j = 0; j < k; j++) {
        uint64_t v = cur->op(op_index++);
        if (trace_values) {
            fprintf(stderr, "op %llu: %#llx\n", (unsigned long long)j, (unsigned long long)v);
        }
        h = fold(h, v);
    }
    *ops = k;
    *sum = h;
    return now_ns() - t0;
}

/* ---- time box (verification pass) ---------------------------------------- */
static volatile uint64_t box_t0;
static volatile unsigned long box_pgf0;

static size_t put_u64(char *p, uint64_t v)
{
    char tmp[24];
    size_t n = 0, i;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++) {
        p[i] = tmp[n - 1 - i];
    }
    return n;
}

static size_t put_s(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return n;
}

static void box_handler(int sig)
{
    char buf[512];
    size_t n = 0;
    uint64_t el = now_ns() - box_t0;
    (void)sig;
    n += put_s(buf + n, "{\"workload\":\"");
    n += put_s(buf + n, cur->name);
    n += put_s(buf + n, "\",\"impl\":\"" BENCH_IMPL "\",\"target\":\"" BENCH_TARGET
               "\",\"timeout\":true,\"elapsed_ns\":");
    n += put_u64(buf + n, el);
    n += put_s(buf + n, ",\"pgf_done\":");
    n += put_u64(buf + n, (uint64_t)(emu_page_get_flags_calls - box_pgf0));
    n += put_s(buf + n, "}\n");
    if (write(1, buf, n) < 0) {
        _exit(3);
    }
    _exit(0);
}

static void print_counts(const struct counts *a, const struct counts *b)
{
    int i, j, first = 1;
    printf("\"pgf\":%lu,\"psf\":%lu,\"sys\":{", b->pgf - a->pgf, b->psf - a->psf);
    for (i = 0; i < BAPI_N; i++) {
        for (j = 0; j < BSYS_N; j++) {
            unsigned long d = b->sys[i][j] - a->sys[i][j];
            if (d) {
                printf("%s\"%s.%s\":%lu", first ? "" : ",", bench_api_names[i],
                       bench_sys_names[j], d);
                first = 0;
            }
        }
    }
    printf("}");
}

static void usage(void)
{
    fprintf(stderr, "usage: bench list | run NAME [--reps R] [--batch-ms M] [--budget-ms B]"
            " [--box S] [--ops V] | callgrind NAME [--ops V]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct emu_options o = { 0, -1, 0, 0 };
    const char *mode, *name = NULL;
    int reps = 11, i;
    double batch_ms = 5, budget_ms = 1500, box = 0;
    unsigned v = 0;
    struct counts c0, c1;
    uint64_t sum = 0xcbf29ce484222325ull, ops = 0, t;

    build_table();
    if (argc < 2) {
        usage();
    }
    mode = argv[1];
    if (!strcmp(mode, "list")) {
        for (i = 0; i < ntable; i++) {
            if (available(&table[i])) {
                printf("%s\n", table[i].name);
            }
        }
        return 0;
    }
    if (argc < 3) {
        usage();
    }
    name = argv[2];
    for (i = 3; i < argc; i++) {
        if (i + 1 >= argc) {
            usage();
        }
        if (!strcmp(argv[i], "--reps")) {
            reps = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--batch-ms")) {
            batch_ms = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--budget-ms")) {
            budget_ms = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--box")) {
            box = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--ops")) {
            v = (unsigned)atoi(argv[++i]);
        } else {
            usage();
        }
    }
    for (i = 0; i < ntable; i++) {
        if (!strcmp(table[i].name, name) && available(&table[i])) {
            cur = &table[i];
        }
    }
    if (!cur) {
        fprintf(stderr, "bench: no workload %s in this build\n", name);
        return 2;
    }
    if (!strcmp(mode, "callgrind")) {
        cg_mode = 1;
        reps = 0;
        if (!v) {
            v = cur->cg_ops;
        }
    } else if (strcmp(mode, "run")) {
        usage();
    }
    if (!v) {
        v = cur->verify_ops;
    }

    o.host_page_size = cur->host_page;
    emu_init(&o);
    W.p1 = cur->p1;
    W.p2 = cur->p2;
    W.p3 = cur->p3;
    cur->setup();
    emu_tb_reset();

    /* verification pass: exact counts and checksum */
    if (box > 0) {
        struct itimerval it;
        memset(&it, 0, sizeof(it));
        it.it_value.tv_sec = (time_t)box;
        it.it_value.tv_usec = (suseconds_t)((box - (double)(time_t)box) * 1e6);
        signal(SIGALRM, box_handler);
        box_pgf0 = emu_page_get_flags_calls;
        box_t0 = now_ns();
        setitimer(ITIMER_REAL, &it, NULL);
    }
    counts_get(&c0);
    if (cg_mode) {
        CALLGRIND_TOGGLE_COLLECT;
    }
    trace_values = getenv("BENCH_TRACE") != NULL;
    t = run_ops(v, &ops, &sum);
    trace_values = 0;
    if (cg_mode) {
        CALLGRIND_TOGGLE_COLLECT;
    }
    counts_get(&c1);
    if (box > 0) {
        struct itimerval it;
        memset(&it, 0, sizeof(it));
        setitimer(ITIMER_REAL, &it, NULL);
    }
    emu_tb_reset();

    printf("{\"workload\":\"%s\",\"impl\":\"%s\",\"target\":\"%s\",\"host_page\":%lu,"
           "\"mode\":\"%s\",\"verify_units\":%u,\"ops\":%lu,\"checksum\":\"%016llx\",",
           cur->name, BENCH_IMPL, BENCH_TARGET, (unsigned long)qemu_host_page_size, mode, v,
           (unsigned long)ops, (unsigned long long)sum);
    print_counts(&c0, &c1);
    printf(",\"verify_ns\":%llu", (unsigned long long)t);
    if (W.rp) {
        printf(",\"trace_calls\":%lu,\"skipped\":%lu", replay_calls(W.rp), replay_skipped(W.rp));
    }
    if (W.span_pages) {
        printf(",\"span_pages\":%lu", W.span_pages);
    }

    /* timed batches */
    printf(",\"samples\":[");
    if (reps > 0) {
        double unit = (double)t / (double)v;            /* one batch unit */
        double per_op = (double)t / (double)(ops ? ops : 1);
        uint64_t k = 1, scratch = 0, o2 = 0;
        int r, nrep = reps, first = 1;
        if (unit > 50e6) {
            /* slow operations: one per batch, within the budget; the
               verification pass is the first sample */
            nrep = (int)(budget_ms * 1e6 / unit);
            if (nrep > reps) {
                nrep = reps;
            }
            printf("%.1f", per_op);
            first = 0;
        } else {
            /* calibrate (doubles as warm-up) */
            for (;;) {
                uint64_t tt = run_ops(k, &o2, &scratch);
                emu_tb_reset();
                if ((double)tt >= batch_ms * 1e6 || k >= (1u << 24)) {
                    break;
                }
                k *= 2;
            }
        }
        for (r = 0; r < nrep; r++) {
            uint64_t tt = run_ops(k, &o2, &scratch);
            emu_tb_reset();
            printf("%s%.2f", first ? "" : ",", (double)tt / (double)(o2 ? o2 : 1));
            first = 0;
        }
        printf("],\"batch_k\":%llu", (unsigned long long)k);
    } else {
        printf("]");
    }
    printf("}\n");
    fflush(stdout);

    if (W.nthreads > 1) {
        W.stop = 1;
        pthread_barrier_wait(&W.start_b);
        for (i = 1; i < W.nthreads; i++) {
            pthread_join(W.th[i], NULL);
        }
    }
    return 0;
}
