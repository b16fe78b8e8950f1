/* g_mmloop.c: a long mmap/munmap/mprotect/mremap loop for timing the real QEMU 2.3.0
 * with and without qemu-user-mmap (benches/qemu/run.py); also a guest of c-tests/qemu
 * (see guest.h). Usage: g_mmloop [ITERS [DIR]]
 *
 * A pool of up to 256 live anonymous mappings of 1-32 pages. Each iteration picks a slot:
 * an empty one gets a fresh mapping; a full one gets one of: protection changes over a
 * random sub-range (then back to read/write), munmap of a middle range and MAP_FIXED into
 * the hole, growth with mremap(MREMAP_MAYMOVE) and then a shrink by munmap of the tail, or
 * munmap of the whole (instead of the growth once the mapping may consist of several host
 * mappings, which Linux's mremap refuses). Only one word per page is written and checked, so the time goes to
 * the mapping calls rather than to emulated loops over the data. The shrink is done with
 * munmap, not mremap: QEMU 2.3.0's own mremap crashes on a shrink in place when a guest
 * address space is reserved (i386, arm), and a benchmark needs both emulators to finish.
 * The checksum depends only on the seed and ITERS. */
#include "guest.h"

#define SLOTS 256
#define MAXN 32

struct slot {
    unsigned char *p;
    size_t n;
    uint32_t tag;
    int single; /* one host mapping (Linux's mremap does not span several) */
};

static uint32_t word_of(uint32_t tag, size_t page)
{
    return tag * 2654435761u ^ (uint32_t)page * 40503u ^ 0x5bd1e995u;
}

static void put(struct slot *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        memcpy(s->p + i * PG, &(uint32_t){word_of(s->tag, i)}, 4);
}

static uint64_t check(struct slot *s, size_t from, size_t to, uint64_t h, const char *what)
{
    for (size_t i = from; i < to; i++) {
        uint32_t w;
        memcpy(&w, s->p + i * PG, 4);
        CHECK(w == word_of(s->tag, i), "%s: page %zu of %zu holds %08x, not %08x", what, i, s->n, w,
              word_of(s->tag, i));
        h = fnv_u(h, w);
    }
    return h;
}

static uint64_t w_mmloop(uint32_t seed, int iters)
{
    static struct slot pool[SLOTS];
    uint64_t h = FNV0;
    uint32_t s = seed;
    for (int it = 0; it < iters; it++) {
        struct slot *sl = &pool[rnd(&s) % SLOTS];
        if (!sl->p) {
            sl->n = 1 + rnd(&s) % MAXN;
            sl->tag = seed * 100000u + (uint32_t)it;
            sl->p = map_anon(sl->n * PG, PROT_READ | PROT_WRITE);
            sl->single = 1;
            put(sl, 0, sl->n);
            continue;
        }
        size_t n = sl->n, a = rnd(&s) % n, b = a + 1 + rnd(&s) % (n - a);
        int op = rnd(&s) % 4;
        if (op == 2 && !sl->single)
            op = 3;
        switch (op) {
        case 0: /* protections over [a,b), then all back to read/write */
            CHECK(mprotect(sl->p + a * PG, (b - a) * PG, PROT_READ) == 0, "mprotect read");
            h = check(sl, a, b, h, "read-only");
            CHECK(mprotect(sl->p + a * PG, (b - a) * PG, PROT_NONE) == 0, "mprotect none");
            CHECK(mprotect(sl->p, n * PG, PROT_READ | PROT_WRITE) == 0, "mprotect rw");
            h = check(sl, 0, n, h, "after mprotect");
            sl->single = 0;
            break;
        case 1: /* a hole in [a,b), filled again with MAP_FIXED (zero), rewritten */
            CHECK(munmap(sl->p + a * PG, (b - a) * PG) == 0, "munmap middle");
            CHECK(mmap(sl->p + a * PG, (b - a) * PG, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == sl->p + a * PG,
                  "MAP_FIXED into the hole");
            for (size_t i = a; i < b; i++)
                CHECK(first_nonzero(sl->p + i * PG, 8) == 8, "MAP_FIXED hole: page %zu not zero", i);
            put(sl, a, b);
            h = check(sl, 0, n, h, "after the hole");
            sl->single = 0;
            break;
        case 2: { /* grow (may move), then shrink by unmapping the tail */
            size_t m = n + 1 + rnd(&s) % 16, k = 1 + rnd(&s) % m;
            unsigned char *q = mremap(sl->p, n * PG, m * PG, MREMAP_MAYMOVE);
            CHECK(q != MAP_FAILED, "mremap grow %zu->%zu pages", n, m);
            sl->p = q;
            h = check(sl, 0, n, h, "after mremap");
            CHECK(first_nonzero(q + n * PG, 8) == 8, "mremap grow: tail not zero");
            sl->n = m;
            put(sl, n, m);
            if (k < m)
                CHECK(munmap(q + k * PG, (m - k) * PG) == 0, "munmap tail");
            sl->n = k;
            h = check(sl, 0, k, h, "after the shrink");
            break;
        }
        default: /* free */
            h = check(sl, 0, n, h, "before munmap");
            CHECK(munmap(sl->p, n * PG) == 0, "munmap");
            sl->p = NULL;
        }
    }
    for (int i = 0; i < SLOTS; i++)
        if (pool[i].p) {
            h = check(&pool[i], 0, pool[i].n, h, "at the end");
            CHECK(munmap(pool[i].p, pool[i].n * PG) == 0, "munmap at the end");
            pool[i].p = NULL;
        }
    return h;
}

GUEST_MAIN("mmloop", 20000, w_mmloop(seed, iters))
