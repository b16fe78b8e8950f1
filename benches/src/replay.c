/*
 * replay.c -- replay the mmap-family calls of a real program on target_*.
 *
 * The trace (benches/traces/NAME.strace, converted by strace2trace.py) holds
 * the program's host calls with the host addresses the kernel gave it.  The
 * replayer maps them onto the guest window:
 *
 *  - every successful mmap/mremap of the trace defines a recorded range
 *    [result, result + len) and the guest address the replay got for it;
 *  - an address argument (MAP_FIXED address, munmap/mprotect/msync/mremap
 *    address) is translated through the newest recorded range containing
 *    it; a call whose address lies in no recorded range (the executable's
 *    own pages, mapped by the kernel before the trace starts) is skipped;
 *  - a non-fixed mmap's hint is translated the same way, or becomes 0;
 *  - every file descriptor is one scratch file (sparse, large enough for
 *    every offset of the trace), so offsets, and with them the congruence of
 *    offset and address, are those of the trace.
 *
 * The calls run in trace order, each under its library entry point for the
 * system-call counters.  replay_cleanup() unmaps what is left and restores
 * mmap_next_start, so that every replay starts from the same state.
 */
#include "emu.h"
#include "count.h"
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct call {
    char op;
    uint64_t a[7];
};

struct range {
    uint64_t lo, hi;        /* recorded host range */
    uint64_t guest;         /* guest address of lo */
};

struct live {
    abi_ulong start, len;
};

struct replay {
    struct call *calls;
    unsigned long n;
    int fd;
    struct range *ranges;
    unsigned long nranges, capranges;
    struct live *lives;
    unsigned long nlives, caplives;
    unsigned long skipped;
    abi_ulong next_start0;
};

static void die(const char *m)
{
    fprintf(stderr, "replay: %s\n", m);
    exit(2);
}

struct replay *replay_load(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    struct replay *r = calloc(1, sizeof(*r));
    unsigned long cap = 0;
    uint64_t file_end = 1 << 20;

    if (!f || !r) {
        die("cannot open trace");
    }
    while (fgets(line, sizeof(line), f)) {
        struct call c;
        long long v[7];
        int k;
        memset(&c, 0, sizeof(c));
        if (line[0] == '#' || line[0] == '\n') {
            continue;
        }
        c.op = line[0];
        k = sscanf(line + 1, "%lld %lld %lld %lld %lld %lld %lld",
                   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
        for (int i = 0; i < k; i++) {
            c.a[i] = (uint64_t)v[i];
        }
        if (c.op == 'M' && (int64_t)c.a[4] >= 0 &&
            c.a[5] + c.a[1] > file_end) {
            file_end = c.a[5] + c.a[1];
        }
        if (r->n == cap) {
            cap = cap ? cap * 2 : 256;
            r->calls = realloc(r->calls, cap * sizeof(*r->calls));
            if (!r->calls) {
                die("out of memory");
            }
        }
        r->calls[r->n++] = c;
    }
    fclose(f);

    /* the scratch file behind every file descriptor of the trace */
    {
        char tmpl[256];
        const char *dir = getenv("TMPDIR");
        snprintf(tmpl, sizeof(tmpl), "%s/bench-replay-XXXXXX",
                 dir && *dir ? dir : "/tmp");
        r->fd = mkstemp(tmpl);
        if (r->fd < 0) {
            die("mkstemp");
        }
        unlink(tmpl);
        file_end = (file_end + (1 << 16) - 1) & ~(uint64_t)((1 << 16) - 1);
        if (ftruncate(r->fd, (off_t)file_end) != 0) {
            die("ftruncate");
        }
        /* put some data in the first page so it is not all holes */
        if (pwrite(r->fd, "replay", 6, 0) != 6) {
            die("pwrite");
        }
    }
    r->next_start0 = mmap_next_start;
    return r;
}

unsigned long replay_calls(const struct replay *r) { return r->n; }
unsigned long replay_skipped(const struct replay *r) { return r->skipped; }

static int xlate(const struct replay *r, uint64_t host, abi_ulong *guest)
{
    unsigned long i = r->nranges;
    while (i-- > 0) {
        if (host >= r->ranges[i].lo && host < r->ranges[i].hi) {
            *guest = (abi_ulong)(r->ranges[i].guest + (host - r->ranges[i].lo));
            return 1;
        }
    }
    return 0;
}

static void add_range(struct replay *r, uint64_t lo, uint64_t len, abi_ulong guest)
{
    if (r->nranges == r->capranges) {
        r->capranges = r->capranges ? r->capranges * 2 : 256;
        r->ranges = realloc(r->ranges, r->capranges * sizeof(*r->ranges));
        if (!r->ranges) {
            die("out of memory");
        }
    }
    r->ranges[r->nranges].lo = lo;
    r->ranges[r->nranges].hi = lo + len;
    r->ranges[r->nranges].guest = guest;
    r->nranges++;
}

static void add_live(struct replay *r, abi_ulong start, abi_ulong len)
{
    if (r->nlives == r->caplives) {
        r->caplives = r->caplives ? r->caplives * 2 : 256;
        r->lives = realloc(r->lives, r->caplives * sizeof(*r->lives));
        if (!r->lives) {
            die("out of memory");
        }
    }
    r->lives[r->nlives].start = start;
    r->lives[r->nlives].len = len;
    r->nlives++;
}

static uint64_t fold(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ull;
}

unsigned long replay_run(struct replay *r, uint64_t *checksum)
{
    unsigned long done = 0, i;
    uint64_t h = *checksum;

    r->nranges = 0;
    r->nlives = 0;
    r->skipped = 0;
    for (i = 0; i < r->n; i++) {
        const struct call *c = &r->calls[i];
        abi_ulong g = 0, g2 = 0;
        abi_long res;
        switch (c->op) {
        case 'M': {
            int flags = (int)c->a[3];
            int fd = (int64_t)c->a[4] >= 0 ? r->fd : -1;
            if (flags & MAP_FIXED) {
                if (!xlate(r, c->a[0], &g)) {
                    r->skipped++;
                    continue;
                }
            } else if (c->a[0] == 0 || !xlate(r, c->a[0], &g)) {
                g = 0;
            }
            bench_api = BAPI_MMAP;
            res = target_mmap(g, (abi_ulong)c->a[1], (int)c->a[2], flags, fd,
                              (abi_ulong)c->a[5]);
            bench_api = BAPI_OTHER;
            if (res != -1 && (int64_t)c->a[6] != -1) {
                add_range(r, c->a[6], c->a[1], (abi_ulong)res);
                add_live(r, (abi_ulong)res, (abi_ulong)c->a[1]);
            }
            break;
        }
        case 'U':
            if (!xlate(r, c->a[0], &g)) {
                r->skipped++;
                continue;
            }
            bench_api = BAPI_MUNMAP;
            res = target_munmap(g, (abi_ulong)c->a[1]);
            bench_api = BAPI_OTHER;
            break;
        case 'P':
            if (!xlate(r, c->a[0], &g)) {
                r->skipped++;
                continue;
            }
            bench_api = BAPI_MPROTECT;
            res = target_mprotect(g, (abi_ulong)c->a[1], (int)c->a[2]);
            bench_api = BAPI_OTHER;
            break;
        case 'R':
            if (!xlate(r, c->a[0], &g)) {
                r->skipped++;
                continue;
            }
            if ((c->a[3] & MREMAP_FIXED) && !xlate(r, c->a[4], &g2)) {
                r->skipped++;
                continue;
            }
            bench_api = BAPI_MREMAP;
            res = target_mremap(g, (abi_ulong)c->a[1], (abi_ulong)c->a[2],
                                (unsigned long)c->a[3], g2);
            bench_api = BAPI_OTHER;
            if (res != -1 && (int64_t)c->a[5] != -1) {
                add_range(r, c->a[5], c->a[2], (abi_ulong)res);
                add_live(r, (abi_ulong)res, (abi_ulong)c->a[2]);
            }
            break;
        case 'S':
            if (!xlate(r, c->a[0], &g)) {
                r->skipped++;
                continue;
            }
            bench_api = BAPI_MSYNC;
            res = target_msync(g, (abi_ulong)c->a[1], (int)c->a[2]);
            bench_api = BAPI_OTHER;
            break;
        default:
            continue;
        }
        h = fold(h, (uint64_t)(int64_t)res);
        h = fold(h, res == -1 ? (uint64_t)errno : 0);
        done++;
    }
    *checksum = h;
    return done;
}

void replay_cleanup(struct replay *r)
{
    unsigned long i;
    for (i = 0; i < r->nlives; i++) {
        target_munmap(r->lives[i].start, r->lives[i].len);
    }
    r->nlives = 0;
    r->nranges = 0;
    mmap_next_start = r->next_start0;
    emu_tb_reset();
}
