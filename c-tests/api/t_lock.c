/* mmap_lock/mmap_unlock (mmap.c:39-51): one process-wide mutex and a
   per-thread recursion count; the mutex is taken on 0->1 and released on
   1->0.  Which entry points take it: target_mmap, target_munmap (after its
   argument checks), target_mprotect (after its argument checks),
   target_mremap; not target_msync, not mmap_find_vma (caller holds it). */
#include "tcommon.h"

#include <pthread.h>
#include <stdatomic.h>

static atomic_int started, acquired, release_it, released;
static pid_t helper_tid;

/* Thread state from /proc: 'S' while blocked on the mutex. */
static char thread_state(pid_t tid)
{
    char path[64], buf[512], *p;
    FILE *f;
    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
    f = fopen(path, "r");
    if (!f) {
        return '?';
    }
    if (!fgets(buf, sizeof(buf), f)) {
        buf[0] = 0;
    }
    fclose(f);
    p = strrchr(buf, ')');
    return p && p[1] && p[2] ? p[2] : '?';
}

static void *locker(void *arg)
{
    (void)arg;
    helper_tid = gettid();
    atomic_store(&started, 1);
    mmap_lock();
    atomic_store(&acquired, 1);
    while (!atomic_load(&release_it)) {
        usleep(1000);
    }
    mmap_unlock();
    atomic_store(&released, 1);
    return NULL;
}

/* Wait until the helper thread sleeps (blocked) or has the lock. */
static void wait_blocked_or_acquired(void)
{
    int i;
    for (i = 0; i < 20000; i++) {
        if (atomic_load(&acquired)) {
            return;
        }
        if (helper_tid && thread_state(helper_tid) == 'S') {
            /* sleeping: make sure it is not about to acquire */
            usleep(2000);
            if (thread_state(helper_tid) == 'S') {
                return;
            }
        }
        usleep(500);
    }
}

static void reset_flags(void)
{
    atomic_store(&started, 0);
    atomic_store(&acquired, 0);
    atomic_store(&release_it, 0);
    atomic_store(&released, 0);
    helper_tid = 0;
}

static volatile int in_handler_ok;

static void on_usr1(int sig)
{
    (void)sig;
    /* like page_unprotect called from the SIGSEGV handler while the
       interrupted code holds the lock */
    mmap_lock();
    in_handler_ok = page_get_flags(0) >= 0;
    mmap_unlock();
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "FAIL: deadlock (alarm)\n";
    if (write(1, msg, sizeof(msg) - 1) < 0) {
        _exit(2);
    }
    _exit(1);
}

int main(void)
{
    pthread_t t;
    abi_ulong a;

    emu_init_from_env();
    signal(SIGALRM, on_alarm);
    alarm(60);

    /* ---- recursion on one thread: no deadlock */
    mmap_lock();
    mmap_lock();
    a = target_mmap(0, TPS, RW, ANON, -1, 0);   /* takes it a third time */
    CHECK(a != FAILED);
    CHECK_EQ(target_mprotect(a, TPS, PROT_READ), 0);
    CHECK_EQ(target_munmap(a, TPS), 0);
    mmap_unlock();
    mmap_unlock();

    /* ---- another thread is excluded while the count is > 0, and gets
       the lock only when it drops to 0 */
    reset_flags();
    mmap_lock();
    mmap_lock();
    CHECK(pthread_create(&t, NULL, locker, NULL) == 0);
    while (!atomic_load(&started)) {
        usleep(100);
    }
    wait_blocked_or_acquired();
    CHECK(!atomic_load(&acquired));
    mmap_unlock();                               /* count 1: still held */
    wait_blocked_or_acquired();
    CHECK(!atomic_load(&acquired));
    mmap_unlock();                               /* count 0: released */
    while (!atomic_load(&acquired)) {
        usleep(100);
    }
    CHECK(atomic_load(&acquired));

    /* ---- while the other thread holds it: the entry points that take
       no lock, or take it only after their argument checks, return */
    errno = EXDEV;
    CHECK_EQ(target_msync(0, 0, MS_SYNC), 0);
    CHECK_EQ(target_msync(1, TPS, MS_SYNC), -EINVAL);
    CHECK_EQ(target_mprotect(1, TPS, PROT_READ), -EINVAL);
    CHECK_EQ(target_mprotect(0, 0, PROT_READ), 0);
    CHECK_EQ(target_munmap(1, TPS), -EINVAL);
    CHECK_EQ(target_munmap(0, 0), -EINVAL);
    atomic_store(&release_it, 1);
    pthread_join(t, NULL);
    CHECK(atomic_load(&released));

    /* ---- the count is per thread: the other thread locks and unlocks on
       its own while this one holds nothing */
    reset_flags();
    atomic_store(&release_it, 1);
    CHECK(pthread_create(&t, NULL, locker, NULL) == 0);
    pthread_join(t, NULL);
    CHECK(atomic_load(&acquired));
    CHECK(atomic_load(&released));
    /* and the lock is free again */
    a = target_mmap(0, TPS, RW, ANON, -1, 0);
    CHECK(a != FAILED);

    /* ---- re-entry from a signal handler on the thread holding it */
    signal(SIGUSR1, on_usr1);
    mmap_lock();
    raise(SIGUSR1);
    mmap_unlock();
    CHECK(in_handler_ok);
    /* and target_mmap from a handler while the thread holds the lock */
    mmap_lock();
    raise(SIGUSR1);
    a = target_mmap(0, TPS, RW, ANON, -1, 0);
    mmap_unlock();
    CHECK(a != FAILED);

    /* ---- mmap_find_vma does not take the lock itself: called without it
       while another thread holds the lock, it still answers */
    reset_flags();
    CHECK(pthread_create(&t, NULL, locker, NULL) == 0);
    while (!atomic_load(&acquired)) {
        usleep(100);
    }
    CHECK(mmap_find_vma(0, TPS) != FAILED);
    atomic_store(&release_it, 1);
    pthread_join(t, NULL);

    alarm(0);
    return check_summary();
}
