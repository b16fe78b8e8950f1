/* mmap_fork_start / mmap_fork_end (mmap.c:53-67), as main.c's
   fork_start/fork_end use them around fork():
   - fork_start aborts when the calling thread holds the lock (count != 0),
     otherwise locks the mutex;
   - fork_end(1) in the child re-initialises the mutex (unlocked);
   - fork_end(0) in the parent unlocks it. */
#include "tcommon.h"

#include <pthread.h>

static void fork_start_with_lock(void *arg)
{
    int n = *(int *)arg, i;
    for (i = 0; i < n; i++) {
        mmap_lock();
    }
    mmap_fork_start();
}

static void on_alarm(int sig)
{
    (void)sig;
    _exit(42);
}

static void *thread_lock_unlock(void *arg)
{
    (void)arg;
    mmap_lock();
    mmap_unlock();
    return NULL;
}

int main(void)
{
    pid_t pid;
    int status, one = 1, two = 2;
    abi_ulong a;
    pthread_t t;

    emu_init_from_env();
    signal(SIGALRM, on_alarm);

    /* ---- the QEMU sequence */
    a = target_mmap(0, TPS, RW, ANON, -1, 0);
    CHECK(a != FAILED);
    H(a)[0] = 0x12;
    fflush(stdout);
    mmap_fork_start();
    pid = fork();
    if (pid == 0) {
        abi_ulong b;
        int bad = 0;
        mmap_fork_end(1);
        alarm(20);                              /* a deadlock -> exit 42 */
        b = target_mmap(0, TPS, RW, ANON, -1, 0);
        bad |= b == FAILED;
        bad |= page_get_flags(b) != VALID_RW;
        bad |= H(a)[0] != 0x12;
        bad |= target_munmap(a, TPS) != 0;
        /* the lock works normally afterwards, also from another thread */
        bad |= pthread_create(&t, NULL, thread_lock_unlock, NULL) != 0;
        bad |= pthread_join(t, NULL) != 0;
        _exit(bad);
    }
    mmap_fork_end(0);
    CHECK(pid > 0);
    alarm(20);
    /* the parent can map again (the mutex was unlocked) */
    a = target_mmap(0, TPS, RW, ANON, -1, 0);
    CHECK(a != FAILED);
    CHECK(pthread_create(&t, NULL, thread_lock_unlock, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    alarm(0);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "child status 0x%x", status);
    /* the parent's flags are not affected by the child's munmap */
    CHECK_EQ(flags_of(a), VALID_RW);

    /* ---- fork_start while this thread holds the lock: abort() */
    CHECK_ABORTS(fork_start_with_lock, &one);
    CHECK_ABORTS(fork_start_with_lock, &two);

    /* ---- fork_end(0) without a fork in between: start/end pair */
    mmap_fork_start();
    mmap_fork_end(0);
    a = target_mmap(0, TPS, RW, ANON, -1, 0);
    CHECK(a != FAILED);

    return check_summary();
}
