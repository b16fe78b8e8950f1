/* count.h -- exact host system call counters (see count.c). */
#ifndef BENCH_COUNT_H
#define BENCH_COUNT_H

enum bench_api {
    BAPI_OTHER, BAPI_MMAP, BAPI_MUNMAP, BAPI_MPROTECT, BAPI_MREMAP, BAPI_MSYNC,
    BAPI_FIND, BAPI_LOCK, BAPI_N
};

enum bench_sys {
    BSYS_MMAP, BSYS_MUNMAP, BSYS_MPROTECT, BSYS_MREMAP, BSYS_MSYNC, BSYS_PREAD,
    BSYS_FSTAT, BSYS_FCNTL, BSYS_OTHER, BSYS_N
};

/* bench_sys[api][sys]: calls of host function `sys` made while the harness
   was inside library entry point `api`. */
extern unsigned long bench_sys[BAPI_N][BSYS_N];
extern int bench_api;
extern const char *const bench_api_names[BAPI_N];
extern const char *const bench_sys_names[BSYS_N];

#endif
