/* The guest system calls that reach mmap.c, as QEMU 2.3's syscall.c makes them: results go
 * through get_errno, which turns only -1 into -errno (a literal -EINVAL passes through). */
#include <errno.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "qemu.h"

abi_long get_errno(abi_long ret)
{
    return ret == -1 ? -errno : ret;
}

abi_long do_mmap(abi_ulong a1, abi_ulong a2, int a3, int a4, int a5, abi_ulong a6)
{
    return get_errno(target_mmap(a1, a2, a3, a4, a5, a6));
}

abi_long do_munmap(abi_ulong a1, abi_ulong a2) { return get_errno(target_munmap(a1, a2)); }

abi_long do_mprotect(abi_ulong a1, abi_ulong a2, int a3) { return get_errno(target_mprotect(a1, a2, a3)); }

abi_long do_mremap(abi_ulong a1, abi_ulong a2, abi_ulong a3, abi_long a4, abi_ulong a5)
{
    return get_errno(target_mremap(a1, a2, a3, (unsigned long)a4, a5));
}

/* do_shmat's address search: mmap_find_vma under the mmap lock. */
abi_long do_shmat_reserve(abi_ulong size)
{
    mmap_lock();
    abi_ulong a = mmap_find_vma(0, size);
    if (a != (abi_ulong)-1) page_set_flags(a, a + size, PAGE_VALID | PAGE_READ);
    mmap_unlock();
    return a == (abi_ulong)-1 ? -ENOMEM : (abi_long)a;
}

/* do_fork: fork_start / fork_end around fork(), as main.c does. */
abi_long do_fork(void)
{
    mmap_fork_start();
    pid_t pid = fork();
    if (pid == 0) {
        mmap_fork_end(1);
        abi_long a = do_mmap(0, 3 * TARGET_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        _exit(a < 0 && a > -4096 ? 1 : 0);
    }
    mmap_fork_end(0);
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) return -errno;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}
