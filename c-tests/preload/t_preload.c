/*
 * The LD_PRELOAD tool's own test: run under the tool (make check-preload-unit), at 4 KiB
 * and 64 KiB host pages. Plain libc calls; the tool routes them through the library.
 * Exits 0 when every check passes; prints "XFAIL" lines for known behaviours of the 2015
 * original that differ from the Linux kernel, without failing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "t_preload: FAIL %s:%d: %s (errno %d)\n", __FILE__, __LINE__, \
                    #cond, errno);                                                        \
            failures++;                                                                   \
        }                                                                                 \
    } while (0)

static size_t hps(void)
{
    const char *e = getenv("QEMU_USER_MMAP_PAGESIZE");
    size_t real = (size_t)sysconf(_SC_PAGESIZE);
    size_t p = e && *e ? strtoul(e, NULL, 0) : real;
    return p > real ? p : real;
}

static const char *tmpfile_path(void)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/t_preload.%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    return path;
}

static void test_errors(void)
{
    errno = 1234;
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    CHECK(errno == 1234); /* untouched on success */
    p[0] = 1;
    p[8191] = 2;
    errno = 0;
    CHECK(munmap(p + 1, 4096) == -1 && errno == EINVAL); /* literal -EINVAL converted */
    errno = 0;
    CHECK(munmap(p, 0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(mprotect(p + 1, 4096, PROT_READ) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(msync(p + 1, 4096, MS_SYNC) == -1 && errno == EINVAL);
    CHECK(mprotect(p, 0, PROT_READ) == 0);
    errno = 0;
    CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1) == MAP_FAILED &&
          errno == EINVAL);
    errno = 0;
    CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, -1, 0) == MAP_FAILED && errno == EBADF);
    CHECK(munmap(p, 8192) == 0);
    /* 2015: a length of 0 is a success that returns the hint (the kernel says EINVAL). */
    void *z = mmap((void *)0x10000, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (z == (void *)0x10000)
        printf("XFAIL (2015 behaviour): mmap(len 0) returned the hint instead of EINVAL\n");
    else
        CHECK(z == MAP_FAILED && errno == EINVAL);
}

static void test_protect(void)
{
    char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    memset(p, 7, 3 * 4096);
    CHECK(mprotect(p, 3 * 4096, PROT_READ) == 0);
    pid_t c = fork();
    if (c == 0) {
        p[0] = 1; /* must fault */
        _exit(0);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    CHECK(p[4096] == 7);
    CHECK(mprotect(p, 3 * 4096, PROT_READ | PROT_WRITE) == 0);
    p[0] = 1;
    CHECK(munmap(p, 3 * 4096) == 0);
}

static void test_file(void)
{
    const size_t n = 4 << 20;
    const char *path = tmpfile_path();
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    unsigned char *data = malloc(n);
    for (size_t i = 0; i < n; i++) data[i] = (unsigned char)(i * 2654435761u >> 13);
    CHECK(write(fd, data, n) == (ssize_t)n);

    unsigned char *m = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED && memcmp(m, data, n) == 0);
    CHECK(munmap(m, n) == 0);
    /* An offset that is a multiple of the host page. */
    size_t off = 16 * hps();
    m = mmap(NULL, 3 * 65536, PROT_READ, MAP_PRIVATE, fd, (off_t)off);
    CHECK(m != MAP_FAILED && memcmp(m, data + off, 3 * 65536) == 0);
    CHECK(munmap(m, 3 * 65536) == 0);

    /* Shared, writable: write through the mapping, msync, read back with pread. */
    unsigned char *w = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(w != MAP_FAILED);
    memset(w + 100000, 0xab, 5000);
    CHECK(msync(w, n, MS_SYNC) == 0);
    unsigned char back[5000];
    CHECK(pread(fd, back, sizeof back, 100000) == (ssize_t)sizeof back);
    CHECK(back[0] == 0xab && back[4999] == 0xab);
    memcpy(data + 100000, back, sizeof back);

    /* A fixed file page in the middle of an anonymous region (a fragment at 64 KiB). */
    unsigned char *a = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED);
    memset(a, 0x5a, 16 * 4096);
    unsigned char *f = mmap(a + 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 8 * 4096);
    CHECK(f == a + 4096 && memcmp(f, data + 8 * 4096, 4096) == 0);
    CHECK(a[0] == 0x5a && a[2 * 4096] == 0x5a && a[16 * 4096 - 1] == 0x5a);
    CHECK(munmap(a, 16 * 4096) == 0);
    CHECK(munmap(w, n) == 0);

    /* 2015: a non-fixed file mapping whose offset is not a multiple of the host page maps
     * only `len` bytes of file from the host page below the offset, so the last
     * (offset % host page) bytes of the guest's view are anonymous zeros. */
    m = mmap(NULL, 2 * 65536, PROT_READ, MAP_PRIVATE, fd, 4096);
    CHECK(m != MAP_FAILED);
    if (m != MAP_FAILED) {
        if (memcmp(m, data + 4096, 2 * 65536) != 0) {
            size_t i = 0;
            while (m[i] == data[4096 + i]) i++;
            printf("XFAIL (2015 bug): mmap(NULL, 128 KiB, PROT_READ, MAP_PRIVATE, fd, 4096) with "
                   "%zu-byte host pages: bytes from %zu on read as %s, not file data\n",
                   hps(), i, m[2 * 65536 - 1] == 0 ? "zeros" : "garbage");
        }
        CHECK(munmap(m, 2 * 65536) == 0);
    }
    close(fd);
    unlink(path);
    free(data);
}

static void test_remap(void)
{
    size_t n = 5 * 4096;
    unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)i;
    unsigned char *q = mremap(p, n, 64 * 4096, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED);
    for (size_t i = 0; i < n; i++) CHECK(q[i] == (unsigned char)i);
    q[64 * 4096 - 1] = 9;
    unsigned char *r = mremap(q, 64 * 4096, 2 * 4096, 0); /* shrink in place */
    CHECK(r == q && r[4096] == (unsigned char)4096);
    /* MREMAP_FIXED: the variadic fifth argument. */
    unsigned char *dst = mmap(NULL, 8 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(dst != MAP_FAILED);
    unsigned char *s = mremap(r, 2 * 4096, 2 * 4096, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    CHECK(s == dst && s[4096] == (unsigned char)4096);
    CHECK(munmap(dst, 8 * 4096) == 0);
}

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
static void test_noreplace(void)
{
    size_t h = hps();
    unsigned char *r = mmap(NULL, 8 * h, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(r != MAP_FAILED);
    unsigned char *at = (unsigned char *)(((uintptr_t)r + h - 1) & ~(uintptr_t)(h - 1));
    errno = 0;
    CHECK(mmap(at, h, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED &&
          errno == EEXIST);
    CHECK(munmap(r, 8 * h) == 0);
    unsigned char *p = mmap(at, h, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(p == at);
    if (p == at) {
        p[h - 1] = 1;
        CHECK(munmap(p, h) == 0);
    }
}

/* Memory the library never saw (as glibc's own mmap calls are), next to a library mapping
 * inside one 64 KiB host page: the library must leave it alone. */
static void test_foreign_neighbour(void)
{
    size_t h = hps();
    unsigned char *region = (void *)syscall(SYS_mmap, NULL, 4 * h, PROT_READ | PROT_WRITE,
                                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(region != MAP_FAILED);
    unsigned char *hp = (unsigned char *)(((uintptr_t)region + h - 1) & ~(uintptr_t)(h - 1));
    memset(region, 0x33, 4 * h);
    /* Give the library the second target page of a host page; the first stays foreign. */
    unsigned char *mine = mmap(hp + 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(mine == hp + 4096);
    CHECK(hp[0] == 0x33 && hp[4095] == 0x33); /* still there, still readable */
    hp[0] = 0x44;                             /* and still writable */
    CHECK(mprotect(mine, 4096, PROT_NONE) == 0);
    CHECK(hp[0] == 0x44);
    hp[1] = 0x45;
    CHECK(munmap(mine, 4096) == 0);
    CHECK(hp[0] == 0x44 && hp[1] == 0x45 && hp[2 * 4096] == 0x33);
    hp[8192] = 1;
    syscall(SYS_munmap, region, 4 * h);
}

/* Faults (SIGSEGV) when touching p, in a child. */
static int faults(volatile unsigned char *p)
{
    pid_t c = fork();
    if (c == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        p[0] = 1;
        _exit(0);
    }
    int st;
    return c > 0 && waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
}

/* What the JVM does for each of its threads: glibc maps the thread stack (behind the tool's
 * back, at a 4 KiB boundary, with a hole below it), then the JVM maps its guard pages at the
 * bottom of the stack with mmap(MAP_FIXED) and mprotects them to PROT_NONE. With 64 KiB host
 * pages the host page holding the stack's bottom is then only partly mapped. */
static void test_stack_guard(void)
{
    size_t h = hps() > 65536 ? hps() : 65536;
    unsigned char *region = (void *)syscall(SYS_mmap, NULL, 5 * h, PROT_READ | PROT_WRITE,
                                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(region != MAP_FAILED);
    unsigned char *hp = (unsigned char *)(((uintptr_t)region + h - 1) & ~(uintptr_t)(h - 1));
    unsigned char *stack = hp + 2 * 4096;
    syscall(SYS_munmap, region, (size_t)(stack - region)); /* the hole below the stack */
    memset(stack, 0x5c, 3 * h - 2 * 4096);
    unsigned char *guard = mmap(stack, 4 * 4096, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(guard == stack);
    CHECK(mprotect(stack, 4 * 4096, PROT_NONE) == 0);
    /* With bigger host pages the host page holds the stack too: the union of protections. */
    if (hps() == 4096) CHECK(faults(stack) && faults(stack + 4 * 4096 - 1));
    CHECK(stack[4 * 4096] == 0x5c && stack[3 * h - 2 * 4096 - 1] == 0x5c);
    stack[4 * 4096] = 1; /* the rest of the stack is still writable */
    CHECK(mprotect(stack, 4 * 4096, PROT_READ | PROT_WRITE) == 0);
    stack[0] = 2;
    CHECK(munmap(stack, 4 * 4096) == 0);
    syscall(SYS_munmap, stack, (size_t)(region + 5 * h - stack));
}

/* The same with foreign neighbours below the stack in its first host page, as in the JVM:
 * a read-only shared file mapping (glibc's gconv-modules.cache) and a PROT_NONE page (a
 * glibc stack guard). The library's union protection of the host page must leave them as
 * they are: it failed with EACCES (the file cannot be made writable) and would have made the
 * guard page accessible. */
static void test_stack_guard_neighbours(void)
{
    size_t h = hps() > 65536 ? hps() : 65536;
    const char *path = tmpfile_path();
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && write(fd, "file page", 9) == 9 && ftruncate(fd, 4096) == 0);
    int ro = open(path, O_RDONLY);
    CHECK(ro >= 0);
    unsigned char *region = (void *)syscall(SYS_mmap, NULL, 5 * h, PROT_READ | PROT_WRITE,
                                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(region != MAP_FAILED);
    unsigned char *hp = (unsigned char *)(((uintptr_t)region + h - 1) & ~(uintptr_t)(h - 1));
    unsigned char *file = (void *)syscall(SYS_mmap, hp, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, ro, 0);
    CHECK(file == hp);
    CHECK(syscall(SYS_mprotect, hp + 4096, 4096, PROT_NONE) == 0);
    unsigned char *stack = hp + 2 * 4096;
    memset(stack, 0x5d, 2 * h);
    unsigned char *guard = mmap(stack, 4 * 4096, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(guard == stack);
    errno = 0;
    CHECK(mprotect(stack, 4 * 4096, PROT_NONE) == 0);
    CHECK(memcmp(hp, "file page", 9) == 0);
    CHECK(faults(hp));            /* still read-only */
    CHECK(faults(hp + 4096));     /* still PROT_NONE */
    if (hps() == 4096) CHECK(faults(stack));
    CHECK(stack[4 * 4096] == 0x5d);
    stack[4 * 4096] = 1;
    CHECK(mprotect(stack, 4 * 4096, PROT_READ | PROT_WRITE) == 0);
    CHECK(faults(hp) && faults(hp + 4096));
    stack[0] = 2;
    CHECK(munmap(stack, 4 * 4096) == 0);
    CHECK(memcmp(hp, "file page", 9) == 0 && faults(hp + 4096));
    syscall(SYS_munmap, region, 5 * h);
    close(ro);
    close(fd);
    unlink(path);
}

/* The JVM's pattern under load: threads come and go (glibc maps and unmaps their stacks
 * behind the tool's back, concurrently, at any 4 KiB boundary) while each new thread maps
 * and protects guard pages at the bottom of its own stack. A new thread's stack can land in
 * a hole of the host page another thread is working on; its TLS (set up by glibc before the
 * thread runs) must survive. */
static __thread int tls_canary = 0x5eed;
static void *guard_thread(void *arg)
{
    (void)arg;
    int bad = tls_canary != 0x5eed;
    pthread_attr_t at;
    void *lo;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &at) != 0) return (void *)1;
    pthread_attr_getstack(&at, &lo, &size);
    pthread_attr_destroy(&at);
    unsigned char *g = mmap(lo, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (g != lo) bad |= 2;
    else if (mprotect(g, 4 * 4096, PROT_NONE) != 0) bad |= 4;
    char buf[64];
    snprintf(buf, sizeof buf, "%d %s", tls_canary, "x");
    bad |= (strcmp(buf, "24301 x") != 0) << 3;
    bad |= (tls_canary != 0x5eed) << 4;
    if (g == lo && mprotect(g, 4 * 4096, PROT_READ | PROT_WRITE) != 0) bad |= 32;
    return (void *)(uintptr_t)bad;
}

static void test_thread_guards(void)
{
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setguardsize(&at, 0); /* as the JVM asks for its Java threads */
    int bad = 0;
    for (int round = 0; round < 320; round++) {
        /* Growing sizes (mostly not multiples of 64 KiB): no stack comes from glibc's cache,
         * which unmaps the oldest ones as it fills up. */
        pthread_attr_setstacksize(&at, 256 * 1024 + (size_t)(3 + round) * 4096);
        pthread_t t[12];
        int made = 0;
        for (int i = 0; i < 12; i++) made += pthread_create(&t[made], &at, guard_thread, NULL) == 0;
        for (int i = 0; i < made; i++) {
            void *r;
            pthread_join(t[i], &r);
            if (r) bad = (int)(uintptr_t)r;
        }
    }
    pthread_attr_destroy(&at);
    CHECK(bad == 0);
}

/* mprotect, msync and mremap of memory mapped behind the tool's back (glibc's large malloc
 * chunks, dlopen, anything mapped before the tool was initialised): Linux accepts them. */
static void test_foreign_calls(void)
{
    /* Foreign memory on both sides of p, in p's first and last host pages. */
    size_t h = hps() > 65536 ? hps() : 65536;
    size_t n = 6 * 4096;
    unsigned char *region = (void *)syscall(SYS_mmap, NULL, 4 * h, PROT_READ | PROT_WRITE,
                                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(region != MAP_FAILED);
    memset(region, 0x21, 4 * h);
    unsigned char *hp = (unsigned char *)(((uintptr_t)region + h - 1) & ~(uintptr_t)(h - 1));
    unsigned char *p = hp + 4096;
    errno = 0;
    CHECK(mprotect(p + 4096, 2 * 4096, PROT_READ) == 0);
    if (hps() == 4096) CHECK(faults(p + 4096) && !faults(p));
    CHECK(p[2 * 4096] == 0x21);
    CHECK(mprotect(p + 4096, 2 * 4096, PROT_READ | PROT_WRITE) == 0);
    unsigned char *region1 = region;

    /* mremap, with nothing told to the library before: it cannot grow in place (foreign
     * memory follows), so it moves, and the foreign memory around the old place, in the
     * same host pages, stays as it was (the library released the whole host page). */
    region = (void *)syscall(SYS_mmap, NULL, 4 * h, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(region != MAP_FAILED);
    memset(region, 0x21, 4 * h);
    hp = (unsigned char *)(((uintptr_t)region + h - 1) & ~(uintptr_t)(h - 1));
    p = hp + 4096;
    p[4096] = 3;
    unsigned char *q = mremap(p, n, 4 * n, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED && q != p);
    if (q != MAP_FAILED) {
        CHECK(q[0] == 0x21 && q[4096] == 3 && q[n - 1] == 0x21);
        q[4 * n - 1] = 4;
        CHECK(munmap(q, 4 * n) == 0);
    }
    CHECK(hp[0] == 0x21 && hp[4095] == 0x21 && p[n] == 0x21 && p[n + 4 * 4096] == 0x21);
    hp[0] = 5;
    p[n] = 6;
    syscall(SYS_munmap, region, (size_t)(p - region));
    syscall(SYS_munmap, p + n, (size_t)(region + 4 * h - (p + n)));
    syscall(SYS_munmap, region1, 4 * h);
    /* A shared file mapping made behind the tool's back, flushed through it. */
    const char *path = tmpfile_path();
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)n) == 0);
    unsigned char *m = (void *)syscall(SYS_mmap, NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    memset(m + 4096, 0x77, 4096);
    CHECK(msync(m + 4096, 4096, MS_SYNC) == 0);
    unsigned char back[16];
    CHECK(pread(fd, back, sizeof back, 4096) == (ssize_t)sizeof back && back[15] == 0x77);
    syscall(SYS_munmap, m, n);
    close(fd);
    unlink(path);
    /* Still refused where nothing is mapped. */
    unsigned char *gone = (void *)syscall(SYS_mmap, NULL, n, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    syscall(SYS_munmap, gone, n);
    errno = 0;
    CHECK(mprotect(gone, 4096, PROT_READ) == -1 && errno == ENOMEM);
}

/* Threads mapping and unmapping at once, a fork in the middle of it, and a signal handler
 * that maps while the interrupted thread may be inside the tool. */
static volatile int stop;
static void *worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    int bad = 0;
    for (int i = 0; i < 3000 && !stop; i++) {
        seed = seed * 1103515245 + 12345;
        size_t len = ((seed >> 8) % 40 + 1) * 4096;
        unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { bad++; continue; }
        p[0] = (unsigned char)seed;
        p[len - 1] = (unsigned char)seed;
        if (p[0] != (unsigned char)seed || p[len - 1] != (unsigned char)seed) bad++;
        if ((seed >> 4) & 1) mprotect(p, len, PROT_READ);
        if (munmap(p, len) != 0) bad++;
    }
    return (void *)(uintptr_t)bad;
}

static volatile int handler_ok = 1;
static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) handler_ok = 0;
    else {
        *(volatile char *)p = 1;
        if (munmap(p, 4096) != 0) handler_ok = 0;
    }
    errno = saved;
}

static void test_threads_fork_signals(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
    for (int k = 0; k < 20; k++) {
        pid_t c = fork();
        if (c == 0) {
            /* The child's mmap lock was re-created unlocked: mapping works. */
            void *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) _exit(2);
            memset(p, 1, 3 * 4096);
            _exit(munmap(p, 3 * 4096) == 0 ? 0 : 3);
        }
        int st;
        CHECK(c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(t[i], &bad);
        CHECK(bad == NULL);
    }

    /* Signals: the main thread maps in a loop (no malloc), the handler maps too. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 200}, {0, 200}};
    setitimer(ITIMER_REAL, &it, NULL);
    for (int i = 0; i < 20000; i++) {
        void *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED);
        if (p != MAP_FAILED) CHECK(munmap(p, 2 * 4096) == 0);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    CHECK(handler_ok);
}

/* With arguments, only the tests named (e.g. "t_preload stack_guard foreign_calls"). */
int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"errors", test_errors},
        {"protect", test_protect},
        {"file", test_file},
        {"remap", test_remap},
        {"noreplace", test_noreplace},
        {"foreign_neighbour", test_foreign_neighbour},
        {"stack_guard", test_stack_guard},
        {"stack_guard_neighbours", test_stack_guard_neighbours},
        {"foreign_calls", test_foreign_calls},
        {"thread_guards", test_thread_guards},
        {"threads_fork_signals", test_threads_fork_signals},
    };
    int ran = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int want = argc < 2;
        for (int k = 1; k < argc; k++) want |= strcmp(argv[k], tests[i].name) == 0;
        if (want) {
            tests[i].fn();
            ran++;
        }
    }
    if (ran == 0) {
        fprintf(stderr, "t_preload: no such test\n");
        return 2;
    }
    if (failures) {
        fprintf(stderr, "t_preload: %d check(s) failed (host page %zu)\n", failures, hps());
        return 1;
    }
    printf("t_preload: all %d tests passed (host page %zu)\n", ran, hps());
    return 0;
}
