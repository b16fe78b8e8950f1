/*
 * fault_wrap.c -- the --wrap side of fault.h.
 *
 * Link with:
 *   -Wl,--wrap=mmap,--wrap=munmap,--wrap=mprotect,--wrap=mremap,--wrap=msync
 *   -Wl,--wrap=pread,--wrap=fstat,--wrap=syscall,--wrap=pthread_mutex_lock
 * (the symbol names the Rust library and the original import; see
 * `readelf -sW libqemu_user_mmap.a | grep UND`).
 */
#include "fault.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

struct fi_state fi;

const char *const fi_names[FI_N] = {
    "mmap", "munmap", "mprotect", "mremap", "msync", "pread", "fstat",
    "syscall(mremap)", "pthread_mutex_lock",
};

void fi_arm(int fn, long idx, int err, int mode)
{
    memset(fi.count, 0, sizeof(fi.count));
    fi.fn = fn;
    fi.idx = idx;
    fi.err = err;
    fi.mode = mode;
    fi.hit = 0;
    fi.fn2 = -1;
    fi.idx2 = -1;
    fi.hit2 = 0;
    fi.nlog = 0;
    fi.log_hit = -1;
    __atomic_store_n(&fi.armed, 1, __ATOMIC_SEQ_CST);
}

void fi_arm2(int fn2, long idx2, int err2)
{
    fi.fn2 = fn2;
    fi.idx2 = idx2;
    fi.err2 = err2;
}

void fi_count_only(void)
{
    fi_arm(-1, -1, 0, FI_FAIL);
}

void fi_disarm(void)
{
    __atomic_store_n(&fi.armed, 0, __ATOMIC_SEQ_CST);
}

/* 1 when this call is the first fault (fails with fi.err, or as fi.mode
   says), 2 when it is the second (fails with fi.err2) */
static int fi_take(int fn)
{
    long i;
    if (!fi.armed) {
        return 0;
    }
    i = fi.count[fn]++;
    if (fi.nlog < (int)(sizeof(fi.log) / sizeof(fi.log[0]))) {
        fi.log[fi.nlog].fn = fn;
        fi.log[fi.nlog].idx = i;
        fi.nlog++;
    }
    if (fn == fi.fn && i == fi.idx) {
        fi.hit = 1;
        fi.log_hit = fi.nlog - 1;
        return 1;
    }
    if (fn == fi.fn2 && i == fi.idx2) {
        /* the second fault always fails plainly, with err2 */
        fi.hit2 = 1;
        errno = fi.err2;
        return 2;
    }
    return 0;
}

void *__real_mmap(void *a, size_t l, int p, int f, int fd, off_t o);
void *__wrap_mmap(void *a, size_t l, int p, int f, int fd, off_t o)
{
    int t_ = fi_take(FI_MMAP);
    if (t_ == 2 || (t_ == 1 && fi.mode == FI_FAIL)) {
        errno = t_ == 2 ? fi.err2 : fi.err;
        return MAP_FAILED;
    }
    return __real_mmap(a, l, p, f, fd, o);
}

int __real_munmap(void *a, size_t l);
int __wrap_munmap(void *a, size_t l)
{
    int t_ = fi_take(FI_MUNMAP);
    if (t_ == 2 || (t_ == 1 && fi.mode == FI_FAIL)) {
        errno = t_ == 2 ? fi.err2 : fi.err;
        return -1;
    }
    return __real_munmap(a, l);
}

int __real_mprotect(void *a, size_t l, int p);
int __wrap_mprotect(void *a, size_t l, int p)
{
    int t_ = fi_take(FI_MPROTECT);
    if (t_ == 2 || (t_ == 1 && fi.mode == FI_FAIL)) {
        errno = t_ == 2 ? fi.err2 : fi.err;
        return -1;
    }
    return __real_mprotect(a, l, p);
}

void *__real_mremap(void *a, size_t os, size_t ns, int f, ...);
void *__wrap_mremap(void *a, size_t os, size_t ns, int f, ...)
{
    void *na = NULL;
    if (f & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, f);
        na = va_arg(ap, void *);
        va_end(ap);
    }
    int t_ = fi_take(FI_MREMAP);
    if (t_ == 2 || (t_ == 1 && fi.mode == FI_FAIL)) {
        errno = t_ == 2 ? fi.err2 : fi.err;
        return MAP_FAILED;
    }
    if (f & MREMAP_FIXED) {
        return __real_mremap(a, os, ns, f, na);
    }
    return __real_mremap(a, os, ns, f);
}

int __real_msync(void *a, size_t l, int f);
int __wrap_msync(void *a, size_t l, int f)
{
    int t_ = fi_take(FI_MSYNC);
    if (t_ == 2 || (t_ == 1 && fi.mode == FI_FAIL)) {
        errno = t_ == 2 ? fi.err2 : fi.err;
        return -1;
    }
    return __real_msync(a, l, f);
}

ssize_t __real_pread(int fd, void *b, size_t n, off_t o);
ssize_t __wrap_pread(int fd, void *b, size_t n, off_t o)
{
    int t_ = fi_take(FI_PREAD);
    if (t_) {
        if (t_ == 1 && fi.mode == FI_SHORT) {
            size_t half = n / 2;
            return __real_pread(fd, b, half ? half : (n ? 1 : 0), o);
        }
        errno = t_ == 2 ? fi.err2 : fi.err;
        return -1;
    }
    return __real_pread(fd, b, n, o);
}

int __real_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st)
{
    int t_ = fi_take(FI_FSTAT);
    if (t_ == 2 || (t_ == 1 && fi.mode == FI_FAIL)) {
        errno = t_ == 2 ? fi.err2 : fi.err;
        return -1;
    }
    return __real_fstat(fd, st);
}

long __real_syscall(long n, ...);
long __wrap_syscall(long n, ...)
{
    va_list ap;
    long a1, a2, a3, a4, a5, a6;
    va_start(ap, n);
    a1 = va_arg(ap, long);
    a2 = va_arg(ap, long);
    a3 = va_arg(ap, long);
    a4 = va_arg(ap, long);
    a5 = va_arg(ap, long);
    a6 = va_arg(ap, long);
    va_end(ap);
    if (n == SYS_mremap) {
        int t_ = fi_take(FI_SYSCALL_MREMAP);
        if (t_ == 1 && fi.mode == FI_BOGUS) {
            return (long)fi.bogus;
        }
        if (t_) {
            errno = t_ == 2 ? fi.err2 : fi.err;
            return -1;
        }
    }
    return __real_syscall(n, a1, a2, a3, a4, a5, a6);
}

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
    int t_ = fi_take(FI_MUTEX_LOCK);
    if (t_) {
        return t_ == 2 ? fi.err2 : fi.err;
    }
    return __real_pthread_mutex_lock(m);
}
