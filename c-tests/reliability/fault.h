/*
 * fault.h -- fault injection into the host calls of the mmap layer.
 *
 * fault_wrap.c defines __wrap_<fn> for every host call the library makes;
 * the test programs are linked with -Wl,--wrap=<fn> (see the Makefile), so
 * every undefined reference to <fn> in the linked objects, the Rust static
 * library's included, goes through the wrapper.  While armed, the wrappers
 * count calls per function; the call with index `idx` of function `fn`
 * fails with `err` (or, in the other modes, reads short, or returns a bogus
 * address).  Disarmed they only forward.
 */
#ifndef FAULT_H
#define FAULT_H

enum fi_fn {
    FI_MMAP, FI_MUNMAP, FI_MPROTECT, FI_MREMAP, FI_MSYNC, FI_PREAD, FI_FSTAT,
    FI_SYSCALL_MREMAP, FI_MUTEX_LOCK, FI_N
};

enum fi_mode {
    FI_FAIL,    /* return the failure value with errno = err */
    FI_SHORT,   /* pread: read at most half of what was asked (at least 1 byte) */
    FI_BOGUS,   /* syscall(SYS_mremap): do nothing, return `bogus` as the address */
};

struct fi_state {
    volatile int armed;
    int fn;
    long idx;
    int err;
    int mode;
    unsigned long bogus;
    long count[FI_N];
    int hit;
    /* a second fault (fn2 < 0: none), for the calls a failure path makes */
    int fn2;
    long idx2;
    int err2;
    int hit2;
    /* the calls made while armed, in order */
    int nlog;
    struct { int fn; long idx; } log[64];
    int log_hit;   /* index in log of the first injected failure, -1: none */
};

extern struct fi_state fi;
extern const char *const fi_names[FI_N];

void fi_arm(int fn, long idx, int err, int mode);
void fi_arm2(int fn2, long idx2, int err2);
void fi_count_only(void);
void fi_disarm(void);

#endif /* FAULT_H */
