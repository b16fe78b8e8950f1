/* guest.h: memory-mapping workloads for guest programs run under the real QEMU 2.3.0
 * (c-tests/qemu/run.sh) and natively, whose outputs are compared.
 *
 * Each worker does real mmap/mremap/munmap/mprotect work, checks the contents that
 * must survive it (exit 1 with a FAIL line on any mismatch), and returns a checksum of
 * the data it saw. The checksum depends only on the seed and the iteration count, never
 * on addresses, so a correct run prints the same lines natively and under QEMU, on every
 * guest architecture and at every host page size.
 *
 * Fault checks (writes to read-only pages, reads of PROT_NONE or unmapped pages) are done
 * on 64 KiB-aligned 64 KiB blocks only: with `-p 65536` QEMU keeps one host protection per
 * 64 KiB host page, so a protection on a smaller piece is not enforced by the host (for the
 * original mmap.c and for the library alike). */
#ifndef GUEST_H
#define GUEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG 4096u          /* the guest page size of i386, arm and x86_64 */
#define BLK 65536u        /* the largest host page size the suite runs with */

#define FAIL(...)                                                                   \
    do {                                                                            \
        fprintf(stdout, "FAIL %s:%d: ", __FILE__, __LINE__);                       \
        fprintf(stdout, __VA_ARGS__);                                               \
        fprintf(stdout, " (errno %d)\n", errno);                                    \
        fflush(stdout);                                                             \
        exit(1);                                                                    \
    } while (0)
#define CHECK(c, ...)                                                               \
    do {                                                                            \
        if (!(c))                                                                   \
            FAIL(__VA_ARGS__);                                                      \
    } while (0)

/* ---- deterministic data ------------------------------------------------------------ */

static inline uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* The byte at logical offset `off` of a buffer tagged `tag`. */
static inline unsigned char pat(uint32_t tag, size_t off)
{
    uint32_t x = (uint32_t)off * 2654435761u ^ tag * 40503u;
    x ^= x >> 15;
    return (unsigned char)(x ^ (x >> 8));
}

static void fill(unsigned char *p, size_t len, uint32_t tag, size_t base)
{
    for (size_t i = 0; i < len; i++)
        p[i] = pat(tag, base + i);
}

/* The first offset in [0,len) where p differs from the pattern, or len. */
static size_t verify(const unsigned char *p, size_t len, uint32_t tag, size_t base)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != pat(tag, base + i))
            return i;
    return len;
}

static size_t first_nonzero(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i])
            return i;
    return len;
}

static inline uint64_t fnv(uint64_t h, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}
static inline uint64_t fnv_u(uint64_t h, uint64_t v)
{
    return fnv(h, &v, sizeof v);
}
#define FNV0 14695981039346656037ull

/* ---- fault probes -------------------------------------------------------------------- */

/* QEMU 2.3's x86_64 linux-user cannot deliver a signal to a handler ("setup_rt_frame: not
   implemented": the guest loops on the faulting access), so the x86_64 guests skip the
   probes (natively too: the outputs stay comparable). */
#if defined(__x86_64__)
#define CAN_PROBE 0
#else
#define CAN_PROBE 1
#endif
#define PROBE(x) (!CAN_PROBE || (x))

static __thread sigjmp_buf *volatile probe_jb; /* volatile: the stores must stay around the probed access */

static void probe_handler(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    if (probe_jb)
        siglongjmp(*probe_jb, sig);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void probe_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = probe_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

/* 1 when writing the byte at p faults, 0 when it does not (the byte is kept). */
static int write_faults(volatile unsigned char *p)
{
    sigjmp_buf jb;
    if (sigsetjmp(jb, 1) == 0) {
        probe_jb = &jb;
        unsigned char v = *(volatile unsigned char *)p; /* may fault too (PROT_NONE) */
        *p = v;
        probe_jb = NULL;
        return 0;
    }
    probe_jb = NULL;
    return 1;
}

static int read_faults(volatile unsigned char *p)
{
    sigjmp_buf jb;
    if (sigsetjmp(jb, 1) == 0) {
        probe_jb = &jb;
        (void)*p;
        probe_jb = NULL;
        return 0;
    }
    probe_jb = NULL;
    return 1;
}

static unsigned char *map_anon(size_t len, int prot)
{
    void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap anon %zu", len);
    CHECK(((uintptr_t)p & (PG - 1)) == 0, "mmap anon %zu: unaligned %p", len, p);
    return p;
}

/* A 64 KiB-aligned block inside a fresh mapping of 3 blocks, with mapped bytes on both
   sides of it: returns the mapping. */
static unsigned char *map_with_block(unsigned char **blk)
{
    unsigned char *m = map_anon(3 * BLK, PROT_READ | PROT_WRITE);
    *blk = (unsigned char *)(((uintptr_t)m + BLK) & ~(uintptr_t)(BLK - 1));
    return m;
}

/* ---- mremap: grow, shrink, move, grow in place; realloc ------------------------------ */

static __attribute__((unused)) uint64_t w_mremap(uint32_t seed, int iters, int strict)
{
    uint64_t h = FNV0;
    uint32_t s = seed;
    for (int it = 0; it < iters; it++) {
        uint32_t tag = seed * 1000u + (uint32_t)it;
        size_t n = 1 + rnd(&s) % 24, m = n + 1 + rnd(&s) % 40, k = 1 + rnd(&s) % n;
        unsigned char *p = map_anon(n * PG, PROT_READ | PROT_WRITE);
        fill(p, n * PG, tag, 0);
        /* grow (may move) */
        unsigned char *q = mremap(p, n * PG, m * PG, MREMAP_MAYMOVE);
        CHECK(q != MAP_FAILED, "mremap grow %zu->%zu pages", n, m);
        size_t bad = verify(q, n * PG, tag, 0);
        CHECK(bad == n * PG, "mremap grow %zu->%zu: byte %zu lost", n, m, bad);
        bad = first_nonzero(q + n * PG, (m - n) * PG);
        CHECK(bad == (m - n) * PG, "mremap grow %zu->%zu: tail byte %zu not zero", n, m, bad);
        fill(q + n * PG, (m - n) * PG, tag, n * PG);
        /* shrink in place */
        unsigned char *r = mremap(q, m * PG, k * PG, 0);
        CHECK(r == q, "mremap shrink %zu->%zu pages moved or failed", m, k);
        bad = verify(r, k * PG, tag, 0);
        CHECK(bad == k * PG, "mremap shrink: byte %zu lost", bad);
        /* move onto a placeholder with MREMAP_FIXED */
        unsigned char *dst = map_anon((k + 3) * PG, PROT_NONE);
        unsigned char *t = mremap(r, k * PG, k * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst + PG);
        CHECK(t == dst + PG, "mremap fixed move of %zu pages went to %p, not %p", k, t, dst + PG);
        bad = verify(t, k * PG, tag, 0);
        CHECK(bad == k * PG, "mremap fixed move: byte %zu lost", bad);
        h = fnv(h, t, k * PG);
        /* grow in place into the placeholder's freed tail */
        CHECK(munmap(t + k * PG, 2 * PG) == 0, "munmap placeholder tail");
        unsigned char *u = mremap(t, k * PG, (k + 2) * PG, 0);
        if (u == MAP_FAILED) {
            CHECK(!strict, "mremap grow in place %zu->%zu pages", k, k + 2);
            u = t;
        } else {
            CHECK(u == t, "mremap grow in place moved");
            bad = first_nonzero(u + k * PG, 2 * PG);
            CHECK(bad == 2 * PG, "grow in place: tail byte %zu not zero", bad);
            u[k * PG] = 1;
            CHECK(munmap(u + k * PG, 2 * PG) == 0, "munmap grown tail");
        }
        bad = verify(u, k * PG, tag, 0);
        CHECK(bad == k * PG, "after grow in place: byte %zu lost", bad);
        CHECK(munmap(dst, PG) == 0 && munmap(u, k * PG) == 0, "munmap moved");
    }
    /* realloc of large blocks: glibc grows mmapped chunks with mremap */
    size_t len = 200 * 1024;
    unsigned char *b = malloc(len);
    CHECK(b, "malloc");
    fill(b, len, seed, 0);
    for (int i = 0; i < 12 && iters > 0; i++) {
        size_t nl = len + len / 2 + 4096 * (rnd(&s) % 7);
        b = realloc(b, nl);
        CHECK(b, "realloc %zu", nl);
        size_t bad = verify(b, len, seed, 0);
        CHECK(bad == len, "realloc %zu->%zu: byte %zu lost", len, nl, bad);
        fill(b + len, nl - len, seed, len);
        len = nl;
    }
    len /= 3;
    b = realloc(b, len);
    CHECK(b && verify(b, len, seed, 0) == len, "realloc shrink");
    h = fnv(h, b, len);
    free(b);
    return h;
}

/* ---- munmap of middles --------------------------------------------------------------- */

static __attribute__((unused)) uint64_t w_munmap(uint32_t seed, int iters, int faults)
{
    uint64_t h = FNV0;
    uint32_t s = seed;
    for (int it = 0; it < iters; it++) {
        uint32_t tag = seed * 1000u + (uint32_t)it;
        size_t n = 8 + rnd(&s) % 56;
        unsigned char *p = map_anon(n * PG, PROT_READ | PROT_WRITE);
        fill(p, n * PG, tag, 0);
        size_t a = 1 + rnd(&s) % (n - 3), b = a + 1 + rnd(&s) % (n - a - 2);
        /* Unmapping the middle and mapping it again with MAP_FIXED is only safe when no
           other thread can map into the hole in between; with threads (faults == 0) the
           middle is replaced in one MAP_FIXED call instead. */
        if (faults) {
            CHECK(munmap(p + a * PG, (b - a) * PG) == 0, "munmap middle [%zu,%zu) of %zu", a, b, n);
        }
        size_t bad = verify(p, a * PG, tag, 0);
        CHECK(bad == a * PG, "munmap middle: head byte %zu lost", bad);
        bad = verify(p + b * PG, (n - b) * PG, tag, b * PG);
        CHECK(bad == (n - b) * PG, "munmap middle: tail byte %zu lost", bad);
        /* fill the middle with MAP_FIXED: zero */
        unsigned char *f = mmap(p + a * PG, (b - a) * PG, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        CHECK(f == p + a * PG, "MAP_FIXED into the hole");
        bad = first_nonzero(f, (b - a) * PG);
        CHECK(bad == (b - a) * PG, "MAP_FIXED hole: byte %zu not zero", bad);
        fill(f, (b - a) * PG, tag, a * PG);
        /* swiss cheese: every other page */
        for (size_t i = 1; i < n; i += 2)
            CHECK(munmap(p + i * PG, PG) == 0, "munmap page %zu", i);
        for (size_t i = 0; i < n; i += 2) {
            bad = verify(p + i * PG, PG, tag, i * PG);
            CHECK(bad == PG, "swiss cheese: page %zu byte %zu lost", i, bad);
            h = fnv(h, p + i * PG, 64);
        }
        for (size_t i = 0; i < n; i += 2)
            CHECK(munmap(p + i * PG, PG) == 0, "munmap page %zu", i);
    }
    if (faults) {
        unsigned char *blk, *m = map_with_block(&blk);
        fill(m, 3 * BLK, seed, 0);
        CHECK(munmap(blk, BLK) == 0, "munmap aligned block");
        CHECK(PROBE(read_faults(blk) && read_faults(blk + BLK - 1)), "read of an unmapped block did not fault");
        CHECK(verify(m, blk - m, seed, 0) == (size_t)(blk - m), "below the block");
        CHECK(verify(blk + BLK, m + 3 * BLK - blk - BLK, seed, blk + BLK - m) ==
                  (size_t)(m + 3 * BLK - blk - BLK),
              "above the block");
        CHECK(munmap(m, 3 * BLK) == 0, "munmap all");
        h = fnv_u(h, 1);
    }
    return h;
}

/* ---- mprotect toggles ---------------------------------------------------------------- */

static __attribute__((unused)) uint64_t w_mprotect(uint32_t seed, int iters, int faults)
{
    static const int prots[] = {PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE,
                                PROT_READ | PROT_WRITE | PROT_EXEC, PROT_READ | PROT_EXEC};
    uint64_t h = FNV0;
    uint32_t s = seed;
    const size_t n = 48;
    unsigned char *p = map_anon(n * PG, PROT_READ | PROT_WRITE);
    fill(p, n * PG, seed, 0);
    for (int it = 0; it < iters; it++) {
        size_t a = rnd(&s) % n, b = a + 1 + rnd(&s) % (n - a);
        int pr = prots[rnd(&s) % 5];
        CHECK(mprotect(p + a * PG, (b - a) * PG, pr) == 0, "mprotect [%zu,%zu) %d", a, b, pr);
        if (it % 8 == 7) {
            CHECK(mprotect(p, n * PG, PROT_READ) == 0, "mprotect all read");
            size_t bad = verify(p, n * PG, seed, 0);
            CHECK(bad == n * PG, "mprotect toggles: byte %zu lost", bad);
            h = fnv_u(h, it);
        }
    }
    CHECK(mprotect(p, n * PG, PROT_READ | PROT_WRITE) == 0, "mprotect all rw");
    size_t bad = verify(p, n * PG, seed, 0);
    CHECK(bad == n * PG, "after toggles: byte %zu lost", bad);
    h = fnv(h, p, n * PG);
    CHECK(munmap(p, n * PG) == 0, "munmap");
    if (faults) {
        unsigned char *blk, *m = map_with_block(&blk);
        fill(blk, BLK, seed, 7);
        for (int r = 0; r < 3; r++) {
            CHECK(mprotect(blk, BLK, PROT_READ) == 0, "mprotect block read");
            CHECK(PROBE(write_faults(blk + 5) && write_faults(blk + BLK - 1)), "write to PROT_READ did not fault");
            CHECK(PROBE(!read_faults(blk + 100)), "read of PROT_READ faulted");
            CHECK(PROBE(!write_faults(blk - 1) && !write_faults(blk + BLK)), "neighbour of PROT_READ block faulted");
            CHECK(mprotect(blk, BLK, PROT_NONE) == 0, "mprotect block none");
            CHECK(PROBE(read_faults(blk) && read_faults(blk + BLK / 2)), "read of PROT_NONE did not fault");
            CHECK(mprotect(blk, BLK, PROT_READ | PROT_WRITE) == 0, "mprotect block rw");
            CHECK(PROBE(!write_faults(blk + 5) && !write_faults(blk + BLK - 1)), "write to RW block faulted");
            CHECK(verify(blk, BLK, seed, 7) == BLK, "block contents lost by toggles");
        }
        CHECK(munmap(m, 3 * BLK) == 0, "munmap");
        h = fnv_u(h, 2);
    }
    return h;
}

/* ---- file maps at odd offsets -------------------------------------------------------- */

#define FSIZE (1024 * 1024 + 123)

static int make_file(const char *path, uint32_t tag)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0, "open %s", path);
    unlink(path);
    unsigned char *buf = malloc(FSIZE);
    CHECK(buf, "malloc");
    fill(buf, FSIZE, tag, 0);
    CHECK(write(fd, buf, FSIZE) == FSIZE, "write %s", path);
    free(buf);
    return fd;
}

static __attribute__((unused)) uint64_t w_filemap(uint32_t seed, int iters, const char *dir)
{
    static const size_t offs[] = {0, PG, 3 * PG, 5 * PG, 17 * PG, BLK + PG, 7 * BLK - PG,
                                  255 * PG};
    static const size_t lens[] = {1, PG - 1, PG + 1, 20000, BLK + 5, 3 * BLK + 3 * PG};
    char path[512];
    snprintf(path, sizeof path, "%s/guest-file-%u-%d", dir, seed, (int)getpid());
    uint32_t tag = seed * 7u + 1;
    int fd = make_file(path, tag);
    uint64_t h = FNV0;
    uint32_t s = seed;
    unsigned char *chk = malloc(4 * BLK);
    CHECK(chk, "malloc");
    for (int it = 0; it < iters; it++) {
        size_t off = offs[rnd(&s) % 8], len = lens[rnd(&s) % 6];
        if (off + len > FSIZE)
            len = FSIZE - off;
        /* private read-only */
        unsigned char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, off);
        CHECK(p != MAP_FAILED, "mmap file off=%zu len=%zu", off, len);
        size_t bad = verify(p, len, tag, off);
        CHECK(bad == len, "file map off=%zu len=%zu: byte %zu wrong", off, len, bad);
        h = fnv(h, p, len < 256 ? len : 256);
        /* the rest of the last page reads as zero when the file ends there */
        if (off + len == FSIZE) {
            size_t end = (len + PG - 1) & ~(size_t)(PG - 1);
            bad = first_nonzero(p + len, end - len);
            CHECK(bad == end - len, "file map past EOF: byte %zu not zero", bad);
        }
        CHECK(munmap(p, len) == 0, "munmap file map");
        /* private writable: the file does not change */
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, off);
        CHECK(p != MAP_FAILED, "mmap private rw off=%zu", off);
        p[0] ^= 0xff;
        if (len > 1)
            p[len - 1] ^= 0x5a;
        CHECK(pread(fd, chk, 1, off) == 1 && chk[0] == pat(tag, off), "private write reached the file");
        CHECK(p[0] == (pat(tag, off) ^ 0xff), "private write lost");
        CHECK(munmap(p, len) == 0, "munmap private rw");
        /* shared writable: the file changes, msync, then restore */
        size_t sl = len < 4 * BLK ? len : 4 * BLK;
        p = mmap(NULL, sl, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
        CHECK(p != MAP_FAILED, "mmap shared rw off=%zu len=%zu", off, sl);
        bad = verify(p, sl, tag, off);
        CHECK(bad == sl, "shared map off=%zu: byte %zu wrong", off, bad);
        for (size_t i = 0; i < sl; i += 997)
            p[i] ^= 0x33;
        CHECK(msync(p, sl, MS_SYNC) == 0, "msync");
        CHECK(pread(fd, chk, sl, off) == (ssize_t)sl, "pread");
        for (size_t i = 0; i < sl; i++)
            CHECK(chk[i] == (unsigned char)(pat(tag, off + i) ^ (i % 997 ? 0 : 0x33)),
                  "shared write off=%zu: file byte %zu", off, i);
        for (size_t i = 0; i < sl; i += 997)
            p[i] ^= 0x33;
        CHECK(munmap(p, sl) == 0, "munmap shared");
        CHECK(pread(fd, chk, sl, off) == (ssize_t)sl && verify(chk, sl, tag, off) == sl,
              "shared restore off=%zu", off);
        /* MAP_FIXED private over an anonymous placeholder, at an address whose offset in
           a 64 KiB block differs from the file offset's */
        size_t pl = ((len + PG - 1) & ~(size_t)(PG - 1)) + 2 * BLK;
        unsigned char *ph = map_anon(pl, PROT_READ | PROT_WRITE);
        unsigned char *at = (unsigned char *)(((uintptr_t)ph + BLK - 1) & ~(uintptr_t)(BLK - 1));
        at += ((off / PG + 1) % 16) * PG;
        if (at + len > ph + pl)
            at = ph + PG;
        p = mmap(at, len, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, off);
        CHECK(p == at, "MAP_FIXED file map off=%zu", off);
        bad = verify(p, len, tag, off);
        CHECK(bad == len, "MAP_FIXED file map off=%zu len=%zu: byte %zu wrong", off, len, bad);
        if (at > ph) {
            bad = first_nonzero(ph, at - ph);
            CHECK(bad == (size_t)(at - ph), "MAP_FIXED file map: placeholder byte %zu changed", bad);
        }
        h = fnv(h, p + len / 2, 1);
        CHECK(munmap(ph, pl) == 0, "munmap placeholder");
    }
    free(chk);
    close(fd);
    return h;
}

/* The main of a one-workload guest: ITERS iterations (argv[1]) of WORK for seeds 1..3
   in directory DIR (argv[2]), one checksum line per seed, then OK. */
#define GUEST_MAIN(NAME, DEFAULT_ITERS, WORK)                                            \
    int main(int argc, char **argv)                                                     \
    {                                                                                   \
        int iters = argc > 1 ? atoi(argv[1]) : (DEFAULT_ITERS);                         \
        const char *dir = argc > 2 ? argv[2] : ".";                                     \
        (void)dir;                                                                      \
        probe_init();                                                                   \
        setvbuf(stdout, NULL, _IOLBF, 0);                                               \
        for (uint32_t seed = 1; seed <= 3; seed++) {                                    \
            uint64_t h = (WORK);                                                        \
            printf(NAME " seed=%u iters=%d sum=%016llx\n", seed, iters,                 \
                   (unsigned long long)h);                                              \
        }                                                                               \
        printf("OK\n");                                                                 \
        return 0;                                                                       \
    }

#endif
