/*
 * count.c -- exact host system call counting for the benchmark.
 *
 * The benchmark is linked with
 *   -Wl,--wrap=mmap,--wrap=munmap,--wrap=mprotect,--wrap=mremap,--wrap=msync,
 *          --wrap=pread,--wrap=fstat,--wrap=fcntl,--wrap=syscall
 * so every reference to these libc functions from the objects being linked
 * (the original's mmap.o, or every object of libqemu_user_mmap.a) goes
 * through the wrappers below, which count the call and forward it.  These
 * nine functions are everything either implementation imports from libc
 * that enters the kernel, apart from pthread_mutex_lock/unlock (which only
 * enter the kernel, as futex, under contention).  Calls glibc makes
 * internally (malloc's own mmap, ...) use internal aliases and are not
 * counted: they are not the library's calls.
 *
 * Counts are kept per library entry point (bench_api, set by the harness
 * before each call) and per system call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "count.h"

unsigned long bench_sys[BAPI_N][BSYS_N];
int bench_api;

void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_munmap(void *addr, size_t len);
int __real_mprotect(void *addr, size_t len, int prot);
void *__real_mremap(void *old, size_t old_len, size_t new_len, int flags, ...);
int __real_msync(void *addr, size_t len, int flags);
ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
int __real_fstat(int fd, struct stat *st);
int __real_fcntl(int fd, int cmd, ...);
long __real_syscall(long n, ...);

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    bench_sys[bench_api][BSYS_MMAP]++;
    return __real_mmap(addr, len, prot, flags, fd, off);
}

int __wrap_munmap(void *addr, size_t len)
{
    bench_sys[bench_api][BSYS_MUNMAP]++;
    return __real_munmap(addr, len);
}

int __wrap_mprotect(void *addr, size_t len, int prot)
{
    bench_sys[bench_api][BSYS_MPROTECT]++;
    return __real_mprotect(addr, len, prot);
}

void *__wrap_mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    void *new_addr = NULL;
    bench_sys[bench_api][BSYS_MREMAP]++;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        new_addr = va_arg(ap, void *);
        va_end(ap);
        return __real_mremap(old, old_len, new_len, flags, new_addr);
    }
    return __real_mremap(old, old_len, new_len, flags);
}

int __wrap_msync(void *addr, size_t len, int flags)
{
    bench_sys[bench_api][BSYS_MSYNC]++;
    return __real_msync(addr, len, flags);
}

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
    bench_sys[bench_api][BSYS_PREAD]++;
    return __real_pread(fd, buf, n, off);
}

int __wrap_fstat(int fd, struct stat *st)
{
    bench_sys[bench_api][BSYS_FSTAT]++;
    return __real_fstat(fd, st);
}

/* The library asks only F_GETFL, whose argument is ignored; any argument is passed on. */
int __wrap_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    long arg;
    va_start(ap, cmd);
    arg = va_arg(ap, long);
    va_end(ap);
    bench_sys[bench_api][BSYS_FCNTL]++;
    return __real_fcntl(fd, cmd, arg);
}

long __wrap_syscall(long n, ...)
{
    va_list ap;
    long a[6];
    int i;
    va_start(ap, n);
    for (i = 0; i < 6; i++) {
        a[i] = va_arg(ap, long);
    }
    va_end(ap);
    bench_sys[bench_api][n == SYS_mremap ? BSYS_MREMAP : BSYS_OTHER]++;
    return __real_syscall(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

const char *const bench_api_names[BAPI_N] = {
    "other", "mmap", "munmap", "mprotect", "mremap", "msync", "find_vma", "lock"
};
const char *const bench_sys_names[BSYS_N] = {
    "mmap", "munmap", "mprotect", "mremap", "msync", "pread", "fstat", "fcntl", "other"
};
