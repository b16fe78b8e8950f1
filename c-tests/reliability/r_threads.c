/*
 * r_threads.c -- threads, lock recursion from a signal
 * handler, fork under contention.
 *
 * part 1  8 threads do random operations (seeded, REL_OPS each): threads
 *         0-3 on one shared range (overlapping: mmap/munmap/mprotect/
 *         mremap/msync over each other), threads 4-7 each on a range of its
 *         own that it keeps fully mapped and whose contents it checks after
 *         every operation, plus non-fixed maps and mmap_find_vma anywhere.
 *         Every result must be in the export's convention with an errno the
 *         operation can give; after the join, the global invariants
 *         (rel_check) must hold.
 * part 2  mmap_lock recursion from a SIGSEGV handler on a thread that holds
 *         the lock (as QEMU's page_unprotect does), and on one that does
 *         not, while a contender checks mutual exclusion; REL_SIGNALS rounds.
 * part 3  REL_FORKS forks from the main thread while 6 threads contend for
 *         the lock; each child (mmap_fork_end(1)) maps, writes, protects,
 *         unmaps, checks the invariants and exits 0.
 *
 * Debugging: REL_STEP_CHECK=1 checks the invariants right after each
 * operation on the shared range, under the same hold of the lock, and names
 * the operation that broke them; REL_TRACE=1 prints every operation.
 *
 * Bounded: every wait is on a join or a waitpid; a watchdog alarm (a
 * deadlock is a failure, never a slow pass) ends a stuck run.  No timed
 * assertions.
 */
#include "rel.h"
#include "known.h"

#include <pthread.h>
#include <stdatomic.h>

#define NTHREADS 8
static abi_ulong U, S, SLEN, D[NTHREADS], DLEN;
static int fd_file;
static long ops_per_thread = 3000;
static atomic_long total_ops, bad_results;
static atomic_int stop_flag;

static void bad(const char *what, long long r, int e)
{
    atomic_fetch_add(&bad_results, 1);
    printf("FAIL: unexpected result of %s: %lld errno %s\n", what, r, rel_errname(e));
    fflush(stdout);
}

/* a random page-aligned sub-range [*a, *a + *len) of [base, base + size) */
/* the unit of the random ranges: a target page, so that with 64 KiB host
   pages most ranges start or end inside a host page (the fragment model) */
static abi_ulong grain;
/* no in-place shrink while "r_threads:mremap-shrink" is listed (the first
   page's flags are stamped over holes: docs/RELIABILITY.md) */
static int no_shrink;

static void pick(uint64_t *seed, abi_ulong base, abi_ulong size, abi_ulong *a, abi_ulong *len)
{
    abi_ulong pages = size / grain;
    abi_ulong first = (abi_ulong)(rel_rand(seed) % pages);
    abi_ulong n = 1 + (abi_ulong)(rel_rand(seed) % (pages - first < 16 ? pages - first : 16));
    *a = base + first * grain;
    *len = n * grain;
}

/* the contents of an owned page: its page number's low byte */
static void fill_own(abi_ulong a, abi_ulong len)
{
    abi_ulong p;
    for (p = a; p < a + len; p += TPS) {
        memset(H(p), (int)(p / TPS) & 0xff, TPS);
    }
}

static int trace_ops;   /* debugging (REL_TRACE=1): print every operation */
/* debugging (REL_STEP_CHECK=1): each operation on the shared range runs with
   the invariants checked right after it, under the same hold of the lock, so
   a violation names the operation that made it */
static int step_check;
static atomic_int step_failed;
static __thread char last_op[160];

static const int prots[] = { PROT_NONE, PROT_READ, RW, PROT_READ | PROT_EXEC };

/* one random operation on [base, base + size); `own`: the thread owns the
   range and keeps it mapped (no munmap, no mremap) */
static void random_op(uint64_t *seed, abi_ulong base, abi_ulong size, int own)
{
    abi_ulong a, len;
    abi_long r;
    int k = (int)(rel_rand(seed) % (own ? 6 : 9)), e, p;

    pick(seed, base, size, &a, &len);
    p = prots[rel_rand(seed) % 4];
    errno = 0;
    if (trace_ops || step_check) {
        snprintf(last_op, sizeof(last_op), "op %d a=0x%llx (+0x%llx) len=0x%llx p=%d own=%d", k,
                 (unsigned long long)a, (unsigned long long)(a - base), (unsigned long long)len, p, own);
        if (trace_ops) {
            printf("%s\n", last_op);
        }
    }
    switch (k) {
    case 0: /* fixed anonymous */
        r = target_mmap(a, len, own ? RW : p, ANON | MAP_FIXED, -1, 0);
        if (r != (abi_long)a) bad("target_mmap fixed", r, errno);
        else if (own) fill_own(a, len);
        break;
    case 1: /* mprotect */
        r = target_mprotect(a, len, own ? RW : p);
        e = errno;
        if (r != 0 && !(r == -1 && e == ENOMEM && !own)) bad("target_mprotect", r, e);
        break;
    case 2: /* msync */
        r = target_msync(a, len, MS_ASYNC);
        e = errno;
        if (r != 0 && !(r == -1 && e == ENOMEM && !own)) bad("target_msync", r, e);
        break;
    case 3: { /* non-fixed anonymous, then unmap it */
        abi_ulong l = (1 + rel_rand(seed) % 8) * U;
        r = target_mmap(0, l, RW, ANON, -1, 0);
        e = errno;
        if (r == -1) {
            if (e != ENOMEM) bad("target_mmap", r, e);
        } else {
            /* no write into it: under reserved_va a thread of the shared
               range may map over it at any time (that is allowed) */
            if (target_munmap((abi_ulong)r, l) != 0) bad("target_munmap (own result)", -1, errno);
        }
        break;
    }
    case 4: { /* mmap_find_vma under the lock; give the range back */
        abi_ulong f;
        mmap_lock();
        f = mmap_find_vma(0, 2 * U);
        if (f != (abi_ulong)-1 && !is_reserved()) {
            munmap(g2h(f), 2 * U);
        }
        mmap_unlock();
        break;
    }
    case 5: /* file mapping, fixed, private */
        r = target_mmap(a, len, own ? RW : PROT_READ, MAP_PRIVATE | MAP_FIXED, fd_file, 0);
        e = errno;
        if (r != (abi_long)a) {
            /* with host pages larger than target pages the offset may not be
               congruent: the read fallback */
            bad("target_mmap file fixed", r, e);
        } else if (own) {
            fill_own(a, len);
        }
        break;
    case 6: /* munmap */
        r = target_munmap(a, len);
        if (r != 0) bad("target_munmap", r, errno);
        break;
    case 7: /* mremap in place */
        r = target_mremap(a, len, (rel_rand(seed) & 1) || len == grain || no_shrink ? len + grain : len - grain, 0, 0);
        e = errno;
        if (r == -1 && e != ENOMEM && e != EFAULT && e != EINVAL) bad("target_mremap", r, e);
        break;
    case 8: /* mremap may move: then unmap the result */
        r = target_mremap(a, len, len + grain, MREMAP_MAYMOVE, 0);
        e = errno;
        if (r == -1) {
            if (e != ENOMEM && e != EFAULT) bad("target_mremap maymove", r, e);
        } else if (target_munmap((abi_ulong)r, len + grain) != 0) {
            bad("target_munmap (moved)", -1, errno);
        }
        break;
    }
    atomic_fetch_add(&total_ops, 1);
}

/* the owned range keeps the fill byte of every page (the page flags are
   read under the mmap lock, like every reader of QEMU's page table must) */
static int check_own_locked(abi_ulong base, abi_ulong size);
static int check_own(abi_ulong base, abi_ulong size)
{
    int ok;
    mmap_lock();
    ok = check_own_locked(base, size);
    mmap_unlock();
    return ok;
}

static int check_own_locked(abi_ulong base, abi_ulong size)
{
    abi_ulong a;
    for (a = base; a < base + size; a += TPS) {
        unsigned char want = (unsigned char)((a / TPS) & 0xff);
        if ((page_get_flags(a) & (PAGE_VALID | PAGE_READ | PAGE_WRITE)) !=
            (PAGE_VALID | PAGE_READ | PAGE_WRITE)) {
            printf("FAIL: owned page 0x%llx lost its mapping (flags 0x%x)\n",
                   (unsigned long long)a, page_get_flags(a));
            return 0;
        }
        if (H(a)[0] != want || H(a)[TPS - 1] != want) {
            printf("FAIL: owned page 0x%llx: contents changed (0x%x, want 0x%x)\n",
                   (unsigned long long)a, H(a)[0], want);
            return 0;
        }
    }
    return 1;
}

static void *worker(void *arg)
{
    long id = (long)arg, i;
    uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1);
    for (i = 0; i < ops_per_thread; i++) {
        if (id < 4 && step_check) {
            mmap_lock();
            if (atomic_load(&step_failed)) {    /* the first report is the one */
                mmap_unlock();
                break;
            }
            random_op(&seed, S, SLEN, 0);
            if (rel_check_scoped("step", NULL, S, S + SLEN)) {
                printf("FAIL: the invariants broke at thread %ld's %s\n", id, last_op);
                atomic_fetch_add(&bad_results, 1);
                atomic_store(&step_failed, 1);
                mmap_unlock();
                break;
            }
            mmap_unlock();
        } else if (id < 4) {
            random_op(&seed, S, SLEN, 0);
        } else {
            random_op(&seed, D[id], DLEN, 1);
            if (!check_own(D[id], DLEN)) {
                atomic_fetch_add(&bad_results, 1);
                break;
            }
        }
    }
    return NULL;
}

/* ---- part 2: recursion from a SIGSEGV handler ---------------------------- */
static abi_ulong P1, P2;               /* PROT_NONE guest pages */
static atomic_int in_cs, recursion_ok, handler_runs, exclusion_broken;
static __thread int holds;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    unsigned long h = (unsigned long)si->si_addr;
    abi_ulong g = (abi_ulong)(h - emu_guest_base()) & ~(TPS - 1);
    (void)sig;
    (void)ctx;
    /* like page_unprotect: take the lock (recursively when this thread
       holds it), make the page accessible, release */
    mmap_lock();
    if (holds && !atomic_load(&in_cs)) {
        atomic_store(&exclusion_broken, 1);
    }
    if (target_mprotect(g, TPS, RW) != 0) {
        static const char m[] = "FAIL: target_mprotect in the handler failed\n";
        if (write(1, m, sizeof(m) - 1) < 0) {
            _exit(3);
        }
        _exit(3);
    }
    atomic_fetch_add(&handler_runs, 1);
    mmap_unlock();
}

static void *contender(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_flag)) {
        mmap_lock();
        if (atomic_load(&in_cs)) {
            atomic_store(&exclusion_broken, 1);
        }
        mmap_unlock();
    }
    return NULL;
}

static void *holder(void *arg)
{
    long rounds = (long)arg, i;
    for (i = 0; i < rounds; i++) {
        mmap_lock();
        holds = 1;
        atomic_store(&in_cs, 1);
        ((volatile unsigned char *)H(P1))[0] = (unsigned char)i;   /* faults */
        if (H(P1)[0] != (unsigned char)i) {
            atomic_store(&exclusion_broken, 1);
        }
        if (target_mprotect(P1, TPS, PROT_NONE) != 0) {
            atomic_store(&exclusion_broken, 1);
        }
        atomic_store(&in_cs, 0);
        holds = 0;
        mmap_unlock();
        /* a fault without the lock held: the handler takes it normally */
        ((volatile unsigned char *)H(P2))[0] = (unsigned char)i;
        mmap_lock();
        target_mprotect(P2, TPS, PROT_NONE);
        mmap_unlock();
    }
    atomic_store(&recursion_ok, 1);
    return NULL;
}

/* ---- part 3: fork under contention ---------------------------------------- */
static void *fork_contender(void *arg)
{
    long id = (long)arg;
    uint64_t seed = 77 + (uint64_t)id;
    while (!atomic_load(&stop_flag)) {
        random_op(&seed, D[id], DLEN, 1);
    }
    return NULL;
}

static int child_after_fork(void)
{
    abi_long a;
    int bad_ = 0;
    alarm(30);
    a = target_mmap(0, 4 * U, RW, ANON, -1, 0);
    if (a == -1) {
        return 10;
    }
    memset(H((abi_ulong)a), 0x42, 4 * U);
    bad_ |= target_mprotect((abi_ulong)a, 2 * U, PROT_READ) != 0;
    bad_ |= H((abi_ulong)a)[0] != 0x42;
    bad_ |= target_munmap((abi_ulong)a + U, U) != 0;
    bad_ |= target_mmap((abi_ulong)a + U, U, RW, ANON | MAP_FIXED, -1, 0) != a + (abi_long)U;
    bad_ |= target_munmap((abi_ulong)a, 4 * U) != 0;
    rel_verbose_ = 0;
    {
        /* the pages this child touched: [a, a + 4U) */
        bad_ |= rel_check_scoped("child", NULL, (abi_ulong)a, (abi_ulong)a + 4 * U) != 0;
    }
    return bad_ ? 11 : 0;
}

static void on_alarm(int sig)
{
    static const char m[] = "FAIL: watchdog: deadlock or livelock (alarm)\n";
    (void)sig;
    if (write(1, m, sizeof(m) - 1) < 0) {
        _exit(2);
    }
    _exit(2);
}

static long env_long(const char *name, long dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtol(s, NULL, 0) : dflt;
}

int main(void)
{
    pthread_t t[NTHREADS];
    long i, signal_rounds, forks, survived = 0;
    struct rel_maps *before = malloc(sizeof(*before));
    struct sigaction sa;
    int fails = 0;

    emu_init_from_env();
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGALRM, on_alarm);
    alarm((unsigned)env_long("REL_WATCHDOG", 240));
    ops_per_thread = env_long("REL_OPS", 3000);
    step_check = (int)env_long("REL_STEP_CHECK", 0);
    trace_ops = (int)env_long("REL_TRACE", 0);
    signal_rounds = env_long("REL_SIGNALS", 2000);
    forks = env_long("REL_FORKS", 200);

    U = HPS;
    grain = TPS;
    if (known_lookup("r_threads", "mremap-shrink")) {
        no_shrink = 1;
        printf("XFAIL: known library bug in in-place mremap shrink (known_bugs.txt): not exercised\n");
    }
    SLEN = 64 * U;
    DLEN = 16 * U;
    fd_file = emu_make_file(64 * U);
    S = fresh(SLEN);
    if (target_mmap(S, SLEN, RW, ANON | MAP_FIXED, -1, 0) != (abi_long)S) {
        printf("setup failed\n");
        return 3;
    }
    for (i = 4; i < NTHREADS; i++) {
        D[i] = fresh(DLEN);
        if (target_mmap(D[i], DLEN, RW, ANON | MAP_FIXED, -1, 0) != (abi_long)D[i]) {
            printf("setup failed\n");
            return 3;
        }
        fill_own(D[i], DLEN);
    }
    rel_maps_read(before);

    /* ---- part 1 */
    for (i = 0; i < NTHREADS; i++) {
        pthread_create(&t[i], NULL, worker, (void *)i);
    }
    for (i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
    }
    rel_verbose_ = 1;
    {
        abi_ulong lo = S, hi = S + SLEN;
        int v;
        for (i = 4; i < NTHREADS; i++) {
            lo = D[i] < lo ? D[i] : lo;
            hi = D[i] + DLEN > hi ? D[i] + DLEN : hi;
        }
        v = rel_check_scoped("after 8 threads", before, lo, hi);
        for (i = 4; i < NTHREADS; i++) {
            v += !check_own(D[i], DLEN);
        }
        printf("%s: part 1: %ld operations by %d threads (%ld each), %ld bad results, %d invariant violations after the join\n",
               v || atomic_load(&bad_results) ? "FAIL" : "ok", atomic_load(&total_ops), NTHREADS,
               ops_per_thread, atomic_load(&bad_results), v);
        fails += v + (int)atomic_load(&bad_results);
    }

    /* ---- part 2 */
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    P1 = fresh(2 * U);
    P2 = P1 + U;
    if (target_mmap(P1, 2 * U, PROT_NONE, ANON | MAP_FIXED, -1, 0) != (abi_long)P1) {
        printf("setup 2 failed\n");
        return 3;
    }
    atomic_store(&stop_flag, 0);
    pthread_create(&t[0], NULL, contender, NULL);
    pthread_create(&t[1], NULL, holder, (void *)signal_rounds);
    pthread_join(t[1], NULL);
    atomic_store(&stop_flag, 1);
    pthread_join(t[0], NULL);
    signal(SIGSEGV, SIG_DFL);
    {
        int ok = atomic_load(&recursion_ok) && !atomic_load(&exclusion_broken) &&
                 atomic_load(&handler_runs) == 2 * signal_rounds;
        printf("%s: part 2: %ld rounds, %d SIGSEGV handler runs (half of them on the thread holding the lock), exclusion %s\n",
               ok ? "ok" : "FAIL", signal_rounds, atomic_load(&handler_runs),
               atomic_load(&exclusion_broken) ? "BROKEN" : "held");
        fails += !ok;
    }

    /* ---- part 3 */
    atomic_store(&stop_flag, 0);
    for (i = 4; i < NTHREADS; i++) {
        pthread_create(&t[i], NULL, fork_contender, (void *)i);
    }
    for (i = 0; i < forks; i++) {
        pid_t pid;
        int st;
        mmap_fork_start();
        pid = fork();
        if (pid == 0) {
            mmap_fork_end(1);
            _exit(child_after_fork());
        }
        mmap_fork_end(0);
        if (pid < 0) {
            printf("FAIL: fork: %s\n", strerror(errno));
            fails++;
            break;
        }
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            survived++;
        } else {
            printf("FAIL: fork %ld: child status 0x%x\n", i, st);
            fails++;
        }
    }
    atomic_store(&stop_flag, 1);
    for (i = 4; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
    }
    printf("%s: part 3: %ld forks while %d threads contended, %ld children mapped, checked and exited cleanly\n",
           survived == forks ? "ok" : "FAIL", forks, NTHREADS - 4, survived);
    printf("# r_threads: %ld operations under threads, %d signal-handler recursions, %ld forks survived\n",
           atomic_load(&total_ops), atomic_load(&handler_runs), survived);
    free(before);
    printf("%d passed, %d failed\n", fails ? 2 : 3, fails ? 1 : 0);
    return fails ? 1 : 0;
}
