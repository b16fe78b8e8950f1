/*
 * r_death.c -- the process must die, loudly and
 * without unwinding into C, when an invariant the library relies on breaks.
 *
 *   death-01/02  mmap_fork_start on a thread that holds the mmap lock
 *                (count 1 and 2): abort, with a message naming it;
 *   death-03     h2g on a host address outside the guest space: reached by
 *                making the host's mremap return an address it was not asked
 *                for (fault injection; no guest input reaches it), abort
 *                with the message of QEMU's assertion;
 *   death-04     the mmap lock's mutex failing in mmap_fork_start: abort with
 *                a message (the guest calls' lock, like 2.3's and like the
 *                unlock, does not look at the result: a default mutex whose
 *                count guarantees one acquisition has no error to report);
 *   death-05     a Rust panic inside an export: reached by an emulator that
 *                calls before page_size_init (qemu_real_host_page_size 0),
 *                under reserved_va only; abort with the panic message and
 *                its source location, nothing unwinds.
 *
 * Each case runs in a forked child; the child's stderr is captured.  With
 * IMPL=oracle the rows only record what the original does.
 */
#include "rel.h"
#include "known.h"
#include "fault.h"

#ifdef REL_ORACLE
# define IS_ORACLE 1
#else
# define IS_ORACLE 0
#endif

struct dcase {
    const char *id, *desc, *expect_msg;  /* expect_msg: substring of stderr (ours) */
    void (*fn)(void);
    int (*applies)(void);
};

static int always(void) { return 1; }
static int reserved_only(void) { return is_reserved(); }

static void fork_start_locked1(void)
{
    mmap_lock();
    mmap_fork_start();
}

static void fork_start_locked2(void)
{
    mmap_lock();
    mmap_lock();
    mmap_fork_start();
}

static void h2g_outside(void)
{
    abi_ulong a = target_mmap(0, TPS, RW, ANON, -1, 0);
    unsigned long bogus;
    if (a == (abi_ulong)-1) {
        return;
    }
    if (is_reserved()) {
        bogus = emu_guest_base() + emu_reserved_va() + 0x100000;
    } else {
#if TARGET_VIRT_ADDR_SPACE_BITS < 64 && TARGET_ABI_BITS == 64
        bogus = emu_guest_base() + (1ul << TARGET_VIRT_ADDR_SPACE_BITS) + 0x100000;
#elif TARGET_ABI_BITS == 32
        bogus = emu_guest_base() + (1ul << 32) + 0x100000;
#else
        bogus = 0;
#endif
    }
    if (emu_guest_base() == 0 && !is_reserved() && TARGET_ABI_BITS == 32) {
        /* with guest_base 0 a 32-bit guest's space is [0, 4 GiB) */
        bogus = (1ul << 32) + 0x100000;
    }
    fi.bogus = bogus;
    fi_arm(FI_SYSCALL_MREMAP, 0, 0, FI_BOGUS);
    target_mremap(a, TPS, 2 * TPS, MREMAP_MAYMOVE, 0);
    fi_disarm();
}

static void mutex_fails(void)
{
    fi_arm(FI_MUTEX_LOCK, 0, EINVAL, FI_FAIL);
    mmap_fork_start();
    fi_disarm();
}

static void panic_in_export(void)
{
    abi_ulong a = target_mmap(0, 4 * TPS, RW, ANON, -1, 0);
    if (a == (abi_ulong)-1) {
        return;
    }
    target_munmap(a + TPS, 3 * TPS);
    qemu_real_host_page_size = 0;     /* as before page_size_init */
    /* a growth in place under reserved_va rounds the tail to real pages */
    target_mremap(a, TPS, 4 * TPS, 0, 0);
}

static const struct dcase dcases[] = {
    { "death-01", "mmap_fork_start while this thread holds the lock (count 1)",
      "mmap_fork_start: the forking thread holds the mmap lock", fork_start_locked1, always },
    { "death-02", "mmap_fork_start while this thread holds the lock (count 2)",
      "mmap_fork_start: the forking thread holds the mmap lock", fork_start_locked2, always },
    { "death-03", "h2g on a host address outside the guest space (the host's mremap returns an address it was not asked for)",
      "h2g: host address", h2g_outside, always },
    { "death-04", "mmap_fork_start's pthread_mutex_lock fails (EINVAL)",
      "mmap lock: pthread_mutex_lock failed with error 22", mutex_fails, always },
    { "death-05", "a Rust panic inside target_mremap (qemu_real_host_page_size 0: called before page_size_init)",
      "panicked at", panic_in_export, reserved_only },
};

static int errfd_;

static int child_main(void *arg)
{
    const struct dcase *d = arg;
    dup2(errfd_, 2);
    d->fn();
    return 0;   /* survived */
}

int main(void)
{
    unsigned i;
    int passed = 0, failed = 0;
    char path[] = "/tmp/rel-death-XXXXXX";

    emu_init_from_env();
    setvbuf(stdout, NULL, _IOLBF, 0);
    errfd_ = mkstemp(path);
    unlink(path);
    printf("# r_death CONFIG=%s IMPL=%s\n", getenv("CONFIG") ? getenv("CONFIG") : "?",
           IS_ORACLE ? "oracle" : "rust");
    for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
        const struct dcase *d = &dcases[i];
        char buf[4096], got[600], *p;
        int st, ok;
        ssize_t n;

        if (!d->applies()) {
            printf("SKIP: %s: %s: needs reserved_va\n", d->id, d->desc);
            continue;
        }
        if (ftruncate(errfd_, 0) != 0 || lseek(errfd_, 0, SEEK_SET) != 0) {
            perror("ftruncate");
        }
        st = emu_run_child(child_main, (void *)d);
        n = pread(errfd_, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = 0;
        for (p = buf; *p; p++) {
            if (*p == '\n' || *p == '\t') {
                *p = ' ';
            }
        }
        if (WIFSIGNALED(st)) {
            snprintf(got, sizeof(got), "%s; stderr: %.400s",
                     WTERMSIG(st) == SIGABRT ? "aborts (SIGABRT)" : strsignal(WTERMSIG(st)),
                     buf[0] ? buf : "(nothing)");
        } else {
            snprintf(got, sizeof(got), "returns (exit %d); stderr: %.400s", WEXITSTATUS(st),
                     buf[0] ? buf : "(nothing)");
        }
        if (IS_ORACLE) {
            printf("ROW\t%s\t%s\t%s\tORACLE\n", d->id, d->desc, got);
            passed++;
            continue;
        }
        ok = WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && strstr(buf, d->expect_msg) != NULL;
        if (ok) {
            passed++;
            printf("ROW\t%s\t%s\t%s\tPASS\n", d->id, d->desc, got);
        } else if (known_lookup("r_death", d->id)) {
            passed++;
            printf("ROW\t%s\t%s\t%s\tXFAIL\n", d->id, d->desc, got);
        } else {
            failed++;
            printf("ROW\t%s\t%s\t%s\tFAIL\n", d->id, d->desc, got);
            printf("FAIL: %s: expected SIGABRT with \"%s\" on stderr\n", d->id, d->expect_msg);
        }
    }
    close(errfd_);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
