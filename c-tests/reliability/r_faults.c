/*
 * r_faults.c -- make each host call of each operation fail
 * in turn, at every call index, with each errno the kernel can give there.
 *
 * For every scenario (an operation on a scene of mappings, chosen to reach
 * each path of src/ops: search, placeholder, fragments, middle, read
 * fallback, end-of-file backing, in-place growth, moves, re-reservation),
 * a calibration run counts the host calls per function; then, for each
 * function f, each index i < count(f) and each errno e of f, a forked child
 * builds nothing new (the scene is inherited), arms the injection, runs the
 * operation, disarms, and checks:
 *
 *   1. a failure is reported in the operation's convention: -1 with errno
 *      set (non-zero), or a literal negative errno (mprotect/munmap/msync),
 *      or (abi_ulong)-1 for mmap_find_vma; a failure the library swallows
 *      must leave a state as consistent as a success;
 *   2. page flags agree with the real host mappings, nothing leaked, nothing
 *      outside the guest space changed, and under reserved_va the
 *      reservation has no hole (rel_check);
 *   3. guest memory that stayed mapped kept its contents (per-page hashes of
 *      the pages valid and readable before and after, outside the range the
 *      operation writes).
 *
 * Modes besides plain failure: pread short reads (the library must retry)
 * and EINTR (it must retry).  Any violation is a FAIL unless the scenario
 * and function are listed in known_bugs.txt.  Against the original
 * (IMPL=oracle) violations are only counted, for the record.
 */
#include "rel.h"
#include "known.h"
#include "fault.h"

#include <sys/resource.h>

#ifdef REL_ORACLE
# define IS_ORACLE 1
#else
# define IS_ORACLE 0
#endif

static abi_ulong W, U;
static unsigned WPAGES;
static int fd_file, fd_short;

#define A(x) (W + (abi_ulong)(x))
#define T TPS

enum rt { RT_ADDR, RT_INT, RT_FIND };

struct scen {
    const char *name;
    int rt;
    int (*applies)(void);
    long long (*op)(void);
    abi_ulong wlo, whi;   /* window offsets the op may write (data may change) */
    void (*setup)(void);  /* run in the child before the injection is armed */
};

static int always(void) { return 1; }
static int frag(void) { return HPS > TPS; }
static int bigtarget(void) { return qemu_real_host_page_size < TARGET_PAGE_SIZE; }

static long long op_mmap_anon(void) { return target_mmap(0, 2 * U, RW, ANON, -1, 0); }
static long long op_mmap_anon_hint(void) { return target_mmap(A(12 * U), 2 * U, RW, ANON, -1, 0); }
static long long op_mmap_anon_fixed_over(void) { return target_mmap(A(0), 2 * U, RW, ANON | MAP_FIXED, -1, 0); }
static long long op_mmap_anon_fixed_free(void) { return target_mmap(A(10 * U), 2 * U, PROT_READ, ANON | MAP_FIXED, -1, 0); }
static long long op_mmap_file(void) { return target_mmap(0, 2 * U, PROT_READ, MAP_PRIVATE, fd_file, 0); }
static long long op_mmap_file_off(void) { return target_mmap(0, 2 * U, PROT_READ, MAP_PRIVATE, fd_file, T); }
static long long op_mmap_file_fixed(void) { return target_mmap(A(10 * U), 2 * U, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd_file, U); }
static long long op_mmap_file_fixed_over(void) { return target_mmap(A(0), 2 * U, RW, MAP_PRIVATE | MAP_FIXED, fd_file, 0); }
static long long op_mmap_file_shared_fixed(void) { return target_mmap(A(10 * U), 2 * U, RW, MAP_SHARED | MAP_FIXED, fd_file, 0); }
static long long op_mmap_noreplace(void) { return target_mmap(A(10 * U), U, RW, ANON | 0x100000, -1, 0); }
static long long op_mmap_anon_frag(void) { return target_mmap(A(8 * U + 2 * T), T, RW, ANON | MAP_FIXED, -1, 0); }
static long long op_mmap_anon_frag_ro(void) { return target_mmap(A(8 * U + 2 * T), T, PROT_READ, ANON | MAP_FIXED, -1, 0); }
static long long op_mmap_file_frag(void) { return target_mmap(A(8 * U + 2 * T), T, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd_file, 2 * T); }
static long long op_mmap_file_read(void) { return target_mmap(A(10 * U), 2 * U, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd_file, T); }
static long long op_mmap_file_read_over(void) { return target_mmap(A(0), 2 * U, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd_file, T); }
static long long op_mmap_file_both(void) { return target_mmap(A(10 * U + T), 2 * U - 2 * T, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd_file, T); }
static long long op_mmap_eof(void) { return target_mmap(A(10 * U), 2 * U, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd_short, 0); }
static long long op_mmap_eof_nonfixed(void) { return target_mmap(0, 2 * U, PROT_READ, MAP_PRIVATE, fd_short, 0); }
static long long op_munmap(void) { return target_munmap(A(0), 2 * U); }
static long long op_munmap_part(void) { return target_munmap(A(8 * U + T), T); }
static long long op_mprotect(void) { return target_mprotect(A(0), 2 * U, PROT_READ); }
static long long op_mprotect_frag(void) { return target_mprotect(A(8 * U + T), U, PROT_READ); }
static long long op_mremap_grow(void) { return target_mremap(A(8 * U), 2 * U, 4 * U, 0, 0); }
static long long op_mremap_shrink(void) { return target_mremap(A(8 * U), 2 * U, U, 0, 0); }
static long long op_mremap_move(void) { return target_mremap(A(0), 2 * U, 4 * U, MREMAP_MAYMOVE, 0); }
static long long op_mremap_fixed(void) { return target_mremap(A(0), 2 * U, 2 * U, MREMAP_MAYMOVE | MREMAP_FIXED, A(12 * U)); }
static long long op_mremap_dontunmap(void) { return target_mremap(A(0), 2 * U, 2 * U, MREMAP_MAYMOVE | 4, 0); }
static long long op_msync(void) { return target_msync(A(5 * U), 2 * U, MS_SYNC); }
/* a MAP_FIXED ending inside a host page whose other pages are mapped */
static long long op_mmap_end_fragment(void) { return target_mmap(A(T), U, PROT_NONE, ANON | MAP_FIXED, -1, 0); }
/* an in-place shrink over pages of different protections and a hole */
static void setup_mixed(void)
{
    target_mmap(A(10 * U), 4 * U, RW, ANON | MAP_FIXED, -1, 0);
    target_mprotect(A(10 * U + U), T, PROT_READ);
    target_munmap(A(10 * U + 2 * U), T);
}
static long long op_mremap_shrink_mixed(void) { return target_mremap(A(10 * U), 4 * U, 3 * U, 0, 0); }
/* an in-place shrink by one target page, then a fixed map into the freed page */
static void setup_shrink_then_map(void)
{
    target_mmap(A(12 * U), 2 * U, RW, ANON | MAP_FIXED, -1, 0);
}
static long long op_mremap_shrink_then_map(void)
{
    abi_long r = target_mremap(A(12 * U), 2 * U, 2 * U - T, 0, 0);
    if (r == -1) {
        return r;
    }
    return target_mmap(A(14 * U - T), T, RW, ANON | MAP_FIXED, -1, 0);
}
static long long op_find(void)
{
    abi_ulong r;
    mmap_lock();
    r = mmap_find_vma(0, 2 * U);
    mmap_unlock();
    return (long long)r;
}

static const struct scen scens[] = {
    { "mmap-anon", RT_ADDR, always, op_mmap_anon, 0, 0 },
    { "mmap-anon-hint", RT_ADDR, always, op_mmap_anon_hint, 12, 14 },
    { "mmap-anon-fixed-over", RT_ADDR, always, op_mmap_anon_fixed_over, 0, 2 },
    { "mmap-anon-fixed-free", RT_ADDR, always, op_mmap_anon_fixed_free, 10, 12 },
    { "mmap-file", RT_ADDR, always, op_mmap_file, 0, 0 },
    { "mmap-file-offset", RT_ADDR, always, op_mmap_file_off, 0, 0 },
    { "mmap-file-fixed", RT_ADDR, always, op_mmap_file_fixed, 10, 12 },
    { "mmap-file-fixed-over", RT_ADDR, always, op_mmap_file_fixed_over, 0, 2 },
    { "mmap-file-shared-fixed", RT_ADDR, always, op_mmap_file_shared_fixed, 10, 12 },
    { "mmap-noreplace", RT_ADDR, always, op_mmap_noreplace, 10, 11 },
    { "mmap-anon-fragment", RT_ADDR, frag, op_mmap_anon_frag, 8, 9 },
    { "mmap-anon-fragment-ro", RT_ADDR, frag, op_mmap_anon_frag_ro, 8, 9 },
    { "mmap-file-fragment", RT_ADDR, frag, op_mmap_file_frag, 8, 9 },
    { "mmap-file-read-fallback", RT_ADDR, frag, op_mmap_file_read, 10, 12 },
    { "mmap-file-read-fallback-over", RT_ADDR, frag, op_mmap_file_read_over, 0, 2 },
    { "mmap-file-both-fragments", RT_ADDR, frag, op_mmap_file_both, 10, 12 },
    { "mmap-file-eof", RT_ADDR, bigtarget, op_mmap_eof, 10, 12 },
    { "mmap-file-eof-nonfixed", RT_ADDR, bigtarget, op_mmap_eof_nonfixed, 0, 0 },
    { "munmap", RT_INT, always, op_munmap, 0, 2 },
    { "munmap-partial", RT_INT, always, op_munmap_part, 8, 9 },
    { "mprotect", RT_INT, always, op_mprotect, 0, 0 },
    { "mprotect-fragments", RT_INT, always, op_mprotect_frag, 0, 0 },
    { "mremap-grow", RT_ADDR, always, op_mremap_grow, 8, 12 },
    { "mremap-shrink", RT_ADDR, always, op_mremap_shrink, 8, 10 },
    { "mremap-move", RT_ADDR, always, op_mremap_move, 0, 16 },
    { "mremap-fixed", RT_ADDR, always, op_mremap_fixed, 0, 16 },
    { "mremap-dontunmap", RT_ADDR, always, op_mremap_dontunmap, 0, 16 },
    { "msync", RT_INT, always, op_msync, 0, 0 },
    { "find-vma", RT_FIND, always, op_find, 0, 0 },
    { "mmap-end-fragment", RT_ADDR, frag, op_mmap_end_fragment, 0, 2 },
    { "mremap-shrink-mixed", RT_ADDR, always, op_mremap_shrink_mixed, 10, 14, setup_mixed },
    { "mremap-shrink-then-map", RT_ADDR, always, op_mremap_shrink_then_map, 12, 14, setup_shrink_then_map },
};
#define NSCEN ((int)(sizeof(scens) / sizeof(scens[0])))

/* the errnos the kernel can give for each call (man pages, mm/) */
static const int errs_mmap[] = { ENOMEM, EAGAIN, EPERM, 0 };
static const int errs_munmap[] = { ENOMEM, EINVAL, 0 };
static const int errs_mprotect[] = { ENOMEM, EACCES, 0 };
static const int errs_mremap[] = { ENOMEM, EFAULT, EAGAIN, 0 };
static const int errs_msync[] = { EIO, ENOMEM, EBUSY, 0 };
static const int errs_pread[] = { EINTR, EIO, EAGAIN, -1 /* short read */, 0 };
static const int errs_fstat[] = { EIO, EOVERFLOW, 0 };
static const int errs_syscall[] = { ENOMEM, EFAULT, EAGAIN, 0 };
static const int *const errs[FI_N] = {
    errs_mmap, errs_munmap, errs_mprotect, errs_mremap, errs_msync, errs_pread, errs_fstat,
    errs_syscall, NULL,
};

/* ---- shared result of a child ----------------------------------------- */
struct cres {
    long counts[FI_N];
    long long raw;
    int err;
    int hit;
    int done;
    int violations;
    char why[400];
    int nlog, log_hit;
    struct { int fn; long idx; } log[64];
};
static struct cres *cr;

/* per-page content hashes of the window */
static uint64_t hb[REL_WIN_MAX_PAGES], ha[REL_WIN_MAX_PAGES];
static int fb[REL_WIN_MAX_PAGES], fa[REL_WIN_MAX_PAGES];

static void page_hashes(uint64_t *h, int *f)
{
    unsigned i;
    struct rel_maps *s = &rel_now_;
    rel_maps_read(s);
    for (i = 0; i < WPAGES; i++) {
        abi_ulong g = A((abi_ulong)i * T);
        int hp = rel_maps_prot(s, (unsigned long)g2h(g));
        f[i] = page_get_flags(g);
        h[i] = 0;
        if ((f[i] & PAGE_VALID) && (f[i] & PAGE_READ) && hp > 0 && (hp & PROT_READ)) {
            h[i] = rel_hash_mem(0xcbf29ce484222325ull, g2h(g), T);
        }
    }
}

static struct rel_maps before;

static int failed_result(int rt, long long raw)
{
    switch (rt) {
    case RT_INT: return raw != 0;
    case RT_FIND: return (abi_ulong)raw == (abi_ulong)-1;
    default: return raw == -1 || (raw < 0 && raw > -4096);
    }
}

static int g_fn2 = -1, g_err2;
static long g_idx2;

static void child_run(const struct scen *s, int fn, long idx, int err, int mode)
{
    long long raw;
    int e, i;
    char *why = cr->why;

    if (s->setup) {
        s->setup();
    }
    page_hashes(hb, fb);
    rel_maps_read(&before);
    errno = 0;
    if (fn < 0) {
        fi_count_only();
    } else {
        fi_arm(fn, idx, err, mode);
        if (g_fn2 >= 0) {
            fi_arm2(g_fn2, g_idx2, g_err2);
        }
    }
    raw = s->op();
    e = errno;
    fi_disarm();
    memcpy(cr->counts, fi.count, sizeof(cr->counts));
    cr->raw = raw;
    cr->err = e;
    cr->hit = fi.hit;
    cr->nlog = fi.nlog;
    cr->log_hit = fi.log_hit;
    memcpy(cr->log, fi.log, sizeof(cr->log));
    if (s->rt == RT_FIND && (abi_ulong)raw != (abi_ulong)-1 && !is_reserved()) {
        /* the caller's part: map over the reservation, or give it back */
        munmap(g2h((abi_ulong)raw), HOST_PAGE_ALIGN((uint64_t)2 * U));
    }
    rel_verbose_ = 0;
    cr->violations = rel_check(s->name, &before);
    if (cr->violations) {
        snprintf(why, sizeof(cr->why), "%s", rel_last_violation_);
    }
    /* the failure convention */
    if (failed_result(s->rt, raw)) {
        if (s->rt != RT_FIND && raw == -1 && e == 0) {
            cr->violations++;
            snprintf(why, sizeof(cr->why), "returned -1 with errno 0");
        }
    }
    /* contents of pages that stayed mapped */
    page_hashes(ha, fa);
    for (i = 0; i < (int)WPAGES && !cr->violations; i++) {
        abi_ulong off = (abi_ulong)i * T;
        int in_write_set = off >= s->wlo * U && off < s->whi * U;
        if (hb[i] && ha[i] && hb[i] != ha[i] && !in_write_set) {
            /* a successful move or shrink may legitimately change the page */
            cr->violations++;
            snprintf(why, sizeof(cr->why), "contents of guest 0x%llx changed (flags 0x%x -> 0x%x)",
                     (unsigned long long)A(off), fb[i], fa[i]);
        }
    }
    cr->done = 1;
}

static void build_scene(void)
{
    abi_ulong r;
    U = HPS;
    WPAGES = (unsigned)(16 * U / TPS);
    W = fresh(16 * U);
    fd_file = emu_make_file(8 * U);
    fd_short = emu_make_file(100);
#define MUST(x) do { if ((x) == (abi_ulong)-1) { printf("scene: %s failed: %s\n", #x, strerror(errno)); exit(3); } } while (0)
    r = target_mmap(A(0), 2 * U, RW, ANON | MAP_FIXED, -1, 0); MUST(r);
    memset(H(A(0)), 0x11, 2 * U);
    r = target_mmap(A(3 * U), 2 * U, RW, ANON | MAP_FIXED, -1, 0); MUST(r);
    memset(H(A(3 * U)), 0x22, 2 * U);
    if (target_mprotect(A(3 * U), 2 * U, PROT_READ) != 0) { printf("scene: mprotect\n"); exit(3); }
    r = target_mmap(A(5 * U), 2 * U, PROT_READ, MAP_SHARED | MAP_FIXED, fd_file, 0); MUST(r);
    r = target_mmap(A(7 * U), U, PROT_NONE, ANON | MAP_FIXED, -1, 0); MUST(r);
    r = target_mmap(A(8 * U), 2 * U, RW, ANON | MAP_FIXED, -1, 0); MUST(r);
    memset(H(A(8 * U)), 0x33, 2 * U);
    if (U > TPS) {
        if (target_mprotect(A(8 * U + T), T, PROT_READ) != 0) { printf("scene: mprotect 2\n"); exit(3); }
        /* a free target page inside the host page, for the fragment scenarios */
        if (target_munmap(A(8 * U + 2 * T), T) != 0) { printf("scene: munmap\n"); exit(3); }
    }
}

static int run_child(const struct scen *s, int fn, long idx, int err, int mode, int *status)
{
    pid_t pid;
    memset(cr, 0, sizeof(*cr));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct rlimit rl = { 0, 0 };
        setrlimit(RLIMIT_CORE, &rl);
        alarm(30);
        child_run(s, fn, idx, err, mode);
        _exit(0);
    }
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(*status) && cr->done;
}

static int total, viol, xfail, swallowed, errno_other, doubles, notes;
static int per_fn[FI_N];

static void inject(const struct scen *s, int fn, long idx, int err, int mode, int *sinj, int *sviol)
{
    int status, ok = run_child(s, fn, idx, err, mode, &status);
    const char *verdict;
    char why[500], known_id[128], second[96] = "";

    total++;
    (*sinj)++;
    per_fn[fn]++;
    if (!ok) {
        snprintf(why, sizeof(why), "the process died (status 0x%x%s%s)", status,
                 WIFSIGNALED(status) ? ", signal " : "",
                 WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "");
    } else if (cr->violations) {
        snprintf(why, sizeof(why), "%s", cr->why);
    } else {
        if (!failed_result(s->rt, cr->raw)) {
            swallowed++;
        } else if (cr->raw == -1 && mode == FI_FAIL && cr->err != err && g_fn2 < 0) {
            printf("errno: %s: %s call #%ld fails with %s -> reported as %s\n", s->name,
                   fi_names[fn], idx, rel_errname(err), rel_errname(cr->err));
            errno_other++;
        }
        return;
    }
    if (g_fn2 >= 0) {
        snprintf(second, sizeof(second), ", then %s call #%ld fails with %s",
                 fi_names[g_fn2], g_idx2, rel_errname(g_err2));
    }
    snprintf(known_id, sizeof(known_id), "%s/%s", s->name, fi_names[fn]);
    if (g_fn2 >= 0) {
        /* a failure of the clean-up after a failure: reported, not judged
           (the kernel rarely fails such a call: unmapping a whole mapping
           just made cannot fail) */
        verdict = "NOTE";
        notes++;
    } else if (IS_ORACLE) {
        verdict = "ORACLE";
        viol++;
        (*sviol)++;
    } else if (known_lookup("r_faults", known_id)) {
        verdict = "XFAIL";
        xfail++;
        (*sviol)++;
    } else {
        verdict = "FAIL";
        viol++;
        (*sviol)++;
    }
    printf("%s: %s: %s call #%ld fails with %s%s -> result %lld errno %s: %s\n",
           verdict, s->name, fi_names[fn], idx,
           mode == FI_SHORT ? "a short read" : rel_errname(err), second,
           cr->raw, rel_errname(cr->err), why);
}

int main(void)
{
    int si, fails = 0;
    const char *cfg = getenv("CONFIG");

    emu_init_from_env();
    /* injected host failures may leave holes in the window (a failed
       re-reservation); this program finds and classifies them itself
       (rel_check), so the emulator's aborting checker (emu.h) is off */
    emu_check_enable(0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    cr = mmap(NULL, sizeof(*cr), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    rel_maps_read(&before);
    build_scene();
    rel_verbose_ = 1;
    if (rel_check("scene", &before)) {
        printf("the scene itself is inconsistent\n");
        return 1;
    }
    printf("# r_faults CONFIG=%s IMPL=%s: window 0x%llx, host page %lu, real %lu, reserved_va 0x%lx\n",
           cfg ? cfg : "?", IS_ORACLE ? "oracle" : "rust", (unsigned long long)W,
           (unsigned long)HPS, (unsigned long)qemu_real_host_page_size, emu_reserved_va());

    for (si = 0; si < NSCEN; si++) {
        const struct scen *s = &scens[si];
        long counts[FI_N];
        int status, fn, sviol = 0, sinj = 0;

        if (!s->applies()) {
            continue;
        }
        if (!run_child(s, -1, -1, 0, FI_FAIL, &status) || cr->violations) {
            char id[128];
            int known;
            snprintf(id, sizeof(id), "%s/none", s->name);
            known = !IS_ORACLE && known_lookup("r_faults", id);
            if (cr->done) {
                printf("%s: %s: without injection: %s\n", IS_ORACLE ? "ORACLE" : known ? "XFAIL" : "FAIL",
                       s->name, cr->why);
            } else {
                printf("%s: %s: without injection: the process died (status 0x%x%s%s)\n",
                       IS_ORACLE ? "ORACLE" : known ? "XFAIL" : "FAIL", s->name, status,
                       WIFSIGNALED(status) ? ", signal " : "",
                       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "");
            }
            if (known) {
                xfail++;
            } else if (!IS_ORACLE) {
                fails++;
            }
            if (!cr->done) {
                continue;
            }
        }
        memcpy(counts, cr->counts, sizeof(counts));
        for (fn = 0; fn < FI_N; fn++) {
            long idx;
            const int *e;
            if (!errs[fn]) {
                continue;
            }
            for (idx = 0; idx < counts[fn]; idx++) {
                for (e = errs[fn]; *e; e++) {
                    int mode = *e == -1 ? FI_SHORT : FI_FAIL;
                    int err = *e == -1 ? 0 : *e;
                    int j, nlog, log_hit;
                    struct { int fn; long idx; } log[64];
                    g_fn2 = -1;
                    inject(s, fn, idx, err, mode, &sinj, &sviol);
                    /* second faults: every call the failure path made */
                    nlog = cr->nlog;
                    log_hit = cr->log_hit;
                    memcpy(log, cr->log, sizeof(log));
                    if (mode != FI_FAIL || log_hit < 0) {
                        continue;
                    }
                    for (j = log_hit + 1; j < nlog; j++) {
                        if (!errs[log[j].fn] || e != errs[fn]) {
                            continue;   /* second faults only after the first errno */
                        }
                        g_fn2 = log[j].fn;
                        g_idx2 = log[j].idx;
                        g_err2 = errs[g_fn2][0];
                        inject(s, fn, idx, err, mode, &sinj, &sviol);
                        doubles++;
                    }
                    g_fn2 = -1;
                }
            }
        }
        printf("# %-28s calls:", s->name);
        for (fn = 0; fn < FI_N; fn++) {
            if (counts[fn]) {
                printf(" %s=%ld", fi_names[fn], counts[fn]);
            }
        }
        printf("; %d injections, %d with violations\n", sinj, sviol);
    }
    printf("# r_faults: %d faults injected (", total);
    {
        int fn, first = 1;
        for (fn = 0; fn < FI_N; fn++) {
            if (per_fn[fn]) {
                printf("%s%s %d", first ? "" : ", ", fi_names[fn], per_fn[fn]);
                first = 0;
            }
        }
    }
    printf("), %d of them second faults on failure paths (%d left an inconsistent state: NOTE lines); %d violations, %d known (XFAIL); %d faults absorbed by the library "
           "(operation succeeded, state consistent); %d reported with another errno\n",
           doubles, notes, viol, xfail, swallowed, errno_other);
    if (IS_ORACLE) {
        printf("%d passed, 0 failed\n", total);
        return 0;
    }
    printf("%d passed, %d failed\n", total - viol + fails * 0, viol + fails);
    return viol + fails ? 1 : 0;
}
