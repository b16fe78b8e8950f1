/*
 * tcommon.h -- definitions shared by the t_*.c test programs.
 */
#ifndef TCOMMON_H
#define TCOMMON_H

#include "emu.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mman.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/stat.h>

/* ---- which implementation the expectations describe ----------------------
 *
 * The tests describe QEMU 2.3's linux-user/mmap.c exactly (IMPL=oracle) AND
 * the Rust library (IMPL=rust), which deliberately fixes the original's bugs
 * with Linux semantics: the deliberate differences (D-numbers) listed in
 * docs/COMPATIBILITY.md, whose table names the tests that show each one.
 * The Makefile passes -DIMPL_ORACLE=1 or -DIMPL_RUST=1.  Where the two
 * differ, a test keeps both expectations as real assertions:
 *
 *     if (LINUX_FIXES) {
 *         // D12: ours reads the whole range, zero-fills past EOF
 *         CHECK_EQ(...);                  // what the Rust library does
 *     } else {
 *         // 2.3 quirk: one pread, stale bytes past EOF
 *         CHECK_EQ(...);                  // what the original does
 *     }
 *
 * or, for a single value, CHECK_EQ_DIV("D12", value, original, ours).
 * Every such place names its D-number; `grep -n 'D[0-9]' c-tests/api/t_*.c` lists them.
 * A difference that has no D-number yet but is not a bug either (ours does
 * what Linux does) is labelled UNDOC-n until docs/COMPATIBILITY.md gives it one
 * (see docs/TESTING.md).  A suspected
 * library bug keeps the original's/Linux's expectation: CHECK_KB below.
 */
#if defined(IMPL_RUST) && defined(IMPL_ORACLE)
# error "define only one of IMPL_RUST and IMPL_ORACLE"
#elif defined(IMPL_RUST)
# define LINUX_FIXES 1
# define IMPL_NAME "rust"
#elif defined(IMPL_ORACLE)
# define LINUX_FIXES 0
# define IMPL_NAME "oracle"
#else
# error "compile the tests with -DIMPL_ORACLE=1 or -DIMPL_RUST=1 (see Makefile)"
#endif

/* One value, two expectations: `orig` for QEMU 2.3, `ours` for the Rust
   library; `d` names the difference (e.g. "D5"), printed on failure. */
#define CHECK_EQ_DIV(d, a, orig, ours) do {                                 \
    int check_failed_before_ = check_failed;                                \
    if (LINUX_FIXES) {                                                      \
        CHECK_EQ(a, ours);                                                  \
    } else {                                                                \
        CHECK_EQ(a, orig);                                                  \
    }                                                                       \
    if (check_failed != check_failed_before_) {                             \
        printf("    (%s: expected the %s result)\n", d, IMPL_NAME);         \
    }                                                                       \
} while (0)

/* KNOWN_BUG: a check of what Linux (and, where it agrees, the original)
   does, where the Rust library differs with no D-number that explains it
   (a suspected library bug; each n is described under "Suspected library
   bugs" in docs/TESTING.md).
     CHECK_KB(n, applies, cond)
     CHECK_EQ_KB(n, applies, a, b)
   With the oracle, or where `applies` is 0 (the configurations where the
   bug does not show), they are plain CHECK / CHECK_EQ.  With the Rust
   library where `applies` holds, the check is an expected failure: when it
   fails it prints "KNOWN_BUG(n): ..." and counts in check_known, not in
   check_failed; when it passes it counts as a FAILURE ("KNOWN_BUG(n) no
   longer reproduces"), so the marker goes when the library is fixed. */
#define KB_EXPECTED_(n, applies) (LINUX_FIXES && (applies))
#define KB_RESULT_(n, ok, file, line, what, ...) do {                       \
    if (!(ok)) {                                                            \
        check_known++;                                                      \
        printf("KNOWN_BUG(%d): %s:%d: %s: ", (n), file, line, what);        \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
    } else {                                                                \
        check_failed++;                                                     \
        printf("%s:%d: FAIL: KNOWN_BUG(%d) no longer reproduces: %s "       \
               "(remove the marker)\n", file, line, (n), what);             \
    }                                                                       \
    fflush(stdout);                                                         \
} while (0)
#define CHECK_KB(n, applies, cond) do {                                     \
    if (KB_EXPECTED_(n, applies)) {                                         \
        int kb_ok_ = !!(cond);                                              \
        KB_RESULT_(n, kb_ok_, __FILE__, __LINE__, #cond, "%s",              \
                   "expected to fail");                                     \
    } else {                                                                \
        CHECK(cond);                                                        \
    }                                                                       \
} while (0)
#define CHECK_EQ_KB(n, applies, a, b) do {                                  \
    if (KB_EXPECTED_(n, applies)) {                                         \
        __typeof__(a) kb_a_ = (a);                                          \
        __typeof__(a) kb_b_ = (__typeof__(a))(b);                           \
        KB_RESULT_(n, kb_a_ == kb_b_, __FILE__, __LINE__, #a " == " #b,     \
                   "0x%llx != 0x%llx", (unsigned long long)kb_a_,           \
                   (unsigned long long)kb_b_);                              \
    } else {                                                                \
        CHECK_EQ(a, b);                                                     \
    }                                                                       \
} while (0)

#define TPS ((abi_ulong)TARGET_PAGE_SIZE)
#define HPS ((abi_ulong)qemu_host_page_size)
#define RPS ((abi_ulong)qemu_real_host_page_size)
#define FAILED ((abi_ulong)-1)

#if HOST_LONG_BITS == 64 && TARGET_ABI_BITS == 64
# define T_TASK_UNMAPPED_BASE ((abi_ulong)(1ul << 38))
#else
# define T_TASK_UNMAPPED_BASE ((abi_ulong)0x40000000)
#endif

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define VALID_R (PAGE_VALID | PAGE_READ)
#define VALID_RW (PAGE_VALID | PAGE_READ | PAGE_WRITE | PAGE_WRITE_ORG)

static inline int flags_of(abi_ulong a) { return page_get_flags(a); }
static inline int is_reserved(void) { return emu_reserved_va() != 0; }
static inline unsigned char *H(abi_ulong a) { return emu_g2h(a); }

/* every byte of [a, a+len) equals v */
static inline int mem_is(abi_ulong a, abi_ulong len, unsigned char v)
{
    abi_ulong i;
    for (i = 0; i < len; i++) {
        if (H(a)[i] != v) {
            return 0;
        }
    }
    return 1;
}

/* [a, a+len) holds the test file's bytes from file offset off */
static inline int mem_is_file(abi_ulong a, abi_ulong len, size_t off)
{
    abi_ulong i;
    for (i = 0; i < len; i++) {
        if (H(a)[i] != emu_file_byte(off + i)) {
            return 0;
        }
    }
    return 1;
}

/* the last tb_invalidate_phys_range call is (s, e) */
#define CHECK_LAST_TB(s, e) do {                                            \
    CHECK(emu_tb_count() > 0);                                              \
    CHECK_EQ(emu_tb_get(emu_tb_count() - 1).start, (abi_ulong)(s));         \
    CHECK_EQ(emu_tb_get(emu_tb_count() - 1).end, (abi_ulong)(e));           \
} while (0)

/* A host-page-aligned guest range of `size` bytes with no page flags
   and nothing guest-visible in it (unmapped, or PROT_NONE-reserved under
   reserved_va). */
static inline abi_ulong fresh(abi_ulong size)
{
    abi_ulong r = target_mmap(0, size + HPS, PROT_NONE,
                              ANON | MAP_NORESERVE, -1, 0);
    if (r == FAILED) {
        printf("fresh: target_mmap failed: %s\n", strerror(errno));
        exit(3);
    }
    target_munmap(r, size + HPS);
    return HOST_PAGE_ALIGN(r);
}

/* Run fn(arg) in a forked child; its CHECK counts are added to ours.
   A child that dies counts as one failure. */
struct child_counts { int passed, failed, known; };

static inline void run_checked_child(void (*fn)(void *), void *arg,
                                     const char *what)
{
    struct child_counts *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t pid;
    int status = 0;

    if (sh == MAP_FAILED) {
        perror("mmap");
        exit(3);
    }
    sh->passed = sh->failed = -1;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        check_passed = check_failed = check_known = 0;
        fn(arg);
        sh->passed = check_passed;
        sh->failed = check_failed;
        sh->known = check_known;
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && sh->passed >= 0) {
        check_add(sh->passed, sh->failed);
        check_known += sh->known;
    } else {
        check_failed++;
        printf("FAIL: child '%s' died (status 0x%x)\n", what, status);
    }
    munmap(sh, 4096);
}

/* Death test: fn(arg) in a forked child must die with SIGABRT; when
   `expect` is not NULL, the child's stderr must contain it (emu.c prints
   which page_set_flags assertion failed). */
struct death_arg_ { void (*fn)(void *); void *arg; int errfd; };
static int death_fn_trampoline_(void *p) __attribute__((unused));
static int death_fn_trampoline_(void *p)
{
    struct death_arg_ *d = p;
    dup2(d->errfd, 2);
    d->fn(d->arg);
    return 0;   /* survived */
}

static inline int death_test_(void (*fn)(void *), void *arg,
                              const char *expect, const char *name,
                              const char *file, int line)
{
    char path[] = "/tmp/emu-death-XXXXXX", buf[4096];
    struct death_arg_ d;
    int st, ok;
    ssize_t n;

    d.fn = fn;
    d.arg = arg;
    d.errfd = mkstemp(path);
    if (d.errfd < 0) {
        perror("mkstemp");
        exit(3);
    }
    unlink(path);
    st = emu_run_child(death_fn_trampoline_, &d);
    n = pread(d.errfd, buf, sizeof(buf) - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    close(d.errfd);
    ok = WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT &&
         (!expect || strstr(buf, expect));
    if (!ok) {
        printf("%s:%d: FAIL: %s: expected SIGABRT%s%s, got status 0x%x, "
               "stderr: %s\n", file, line, name, expect ? " with " : "",
               expect ? expect : "", st, buf);
    }
    return ok;
}

#define CHECK_ABORTS_MSG(fn, arg, expect) do {                              \
    if (death_test_((fn), (arg), (expect), #fn, __FILE__, __LINE__)) {     \
        check_passed++;                                                     \
    } else {                                                                \
        check_failed++;                                                     \
    }                                                                       \
} while (0)
#define CHECK_ABORTS(fn, arg) CHECK_ABORTS_MSG(fn, arg, NULL)
#define PSF_START_END "page_set_flags: assertion `start < end' failed"
#define PSF_VIRT_END "page_set_flags: assertion `end < (1 << L1_MAP_ADDR_SPACE_BITS)' failed"

/* For a forked child only: re-initialise the emulator with a guest base
   inside a fresh 16 GiB PROT_NONE host area, so that host mappings made
   through g2h() of any 32-bit guest address, even several GiB past the
   reserved guest space, land in memory nobody else uses.  Keeps the
   configuration's reserved_va and host page size.  Use only MAP_FIXED
   mappings afterwards when reserved_va is 0.  Returns 0 without guest base
   support. */
static inline int use_private_guest_space(void)
{
#if defined(CONFIG_USE_GUEST_BASE)
    struct emu_options o;
    size_t sz = (size_t)1 << 34;
    void *p = mmap(NULL, sz, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        return 0;
    }
    emu_options_from_env(&o);
    o.guest_base = (unsigned long)p + (1ul << 26);
    o.have_guest_base = 1;
    emu_init(&o);
    return 1;
#else
    return 0;
#endif
}

#endif /* TCOMMON_H */
