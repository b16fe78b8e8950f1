/*
 * emu.c -- the QEMU-like emulator side for the C tests.
 *
 * Plays translate-all.c (page flag table in a multi-level l1_map like
 * QEMU 2.3's, page_set_flags/page_get_flags with 2.3's assertions,
 * tb_invalidate_phys_range, page_size_init) and linux-user/main.c
 * (guest_base, reserved_va, mmap_min_addr, init_guest_space,
 * cpu_list_lock) for whichever mmap implementation is linked in.
 */
#include "emu.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef DEFAULT_RESERVED_VA
# define DEFAULT_RESERVED_VA 0
#endif

/* ---- globals that QEMU defines outside mmap.c ----------------------- */
uintptr_t qemu_real_host_page_size;
uintptr_t qemu_host_page_size;
uintptr_t qemu_host_page_mask;
#if defined(CONFIG_USE_GUEST_BASE)
unsigned long guest_base;
int have_guest_base;
unsigned long reserved_va;
#endif
unsigned long mmap_min_addr;

unsigned long emu_page_get_flags_calls, emu_page_set_flags_calls;

/* main.c:203-211 defines these; mmap.c (and so the library) must not. */
static pthread_mutex_t cpu_list_mutex = PTHREAD_MUTEX_INITIALIZER;
void cpu_list_lock(void) { pthread_mutex_lock(&cpu_list_mutex); }
void cpu_list_unlock(void) { pthread_mutex_unlock(&cpu_list_mutex); }

static void emu_die(const char *msg)
{
    fprintf(stderr, "emu: %s\n", msg);
    fflush(stderr);
    abort();
}

/* Room for one more element in the growing array `arr` of `len` elements of `elem` bytes
   (capacity `*cap`, doubled when full): the array, moved if it had to grow. */
static void *room_for_one(void *arr, size_t len, size_t *cap, size_t elem)
{
    if (len == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        arr = realloc(arr, *cap * elem);
        if (!arr) {
            emu_die("out of memory");
        }
    }
    return arr;
}

/* ---- emulator storage, allocated the way QEMU 2.3 does ---------------
 *
 * translate-all.c page_find_alloc (CONFIG_USER_ONLY) gets every level of
 * l1_map with mmap(NULL, SIZE, PROT_READ|PROT_WRITE, MAP_PRIVATE|
 * MAP_ANONYMOUS, -1, 0) ("We can't use g_malloc because it may recurse into
 * a locked mutex"), at page_set_flags time: so any page_set_flags call may
 * map new host memory wherever the kernel likes, including a hole the mmap
 * implementation left in the guest's reserved window.  This file does the
 * same, and keeps a registry of every block it mapped ("emulator storage"):
 *
 *   level  an intermediate table: V_L2_SIZE pointers (8 KiB), as QEMU;
 *   leaf   V_L2_SIZE PageDescs with QEMU 2.3's user-mode layout (32 bytes
 *          on a 64-bit host: 32 KiB), as QEMU;
 *   churn  one more 32 KiB mmap(NULL) block at every page_set_flags call
 *          (QEMU also allocates when clearing flags, and the rest of QEMU
 *          maps memory at any time), kept in a small ring;
 *   decoy  (hostile mode) a block the emulator maps into a hole of the
 *          guest window, as the kernel may place an allocation there.
 *
 * The checker (emu_check: on by default in the C tests of the Rust library,
 * off with the original mmap.c, which breaks the invariant itself, and in
 * the differential suite and benches; EMU_CHECK=0/1 overrides) runs at
 * the entry and exit of every callback the mmap implementation makes
 * (page_get_flags, page_set_flags, tb_invalidate_phys_range) and checks:
 *   (a) under reserved_va, the window [guest_base, guest_base+reserved_va)
 *       has no hole (msync(MS_ASYNC) fails with ENOMEM over unmapped
 *       memory);
 *   (b) every storage block is intact: still mapped and readable, and its
 *       canaries (in its first and its last real host page: a magic word in
 *       the PageDesc padding of a leaf, at the page start of churn/decoy
 *       blocks) or, for a level, its whole content (kept in a shadow copy)
 *       unchanged.
 * page_get_flags runs lighter checks in long scans (see check_run2).  The
 *       block contents are read with process_vm_readv on the process itself:
 *       no signal handler, one system call for all blocks.
 * A violation prints "emu: INVARIANT VIOLATED ..." naming the callback, its
 * arguments and the range, and aborts (or calls the handler set with
 * emu_check_set_handler).
 *
 * Hostile mode (EMU_HOSTILE=1): at each page_set_flags the emulator maps a
 * decoy block into every hole of the window (and, without a window but with
 * host pages larger than the real ones, into every part of a host page that
 * still holds guest pages which was mapped at the previous page_set_flags
 * and is unmapped now), then check (a) is skipped: a library that leaves a
 * hole and later maps over it or re-reserves it destroys the decoy, as it
 * destroyed QEMU's page table, and check (b) reports it.
 */
#define L1_MAP_ADDR_SPACE_BITS TARGET_VIRT_ADDR_SPACE_BITS
#define V_L2_BITS 10
#define V_L2_SIZE (1 << V_L2_BITS)
#define V_L1_BITS_REM \
    ((L1_MAP_ADDR_SPACE_BITS - TARGET_PAGE_BITS) % V_L2_BITS)
#if V_L1_BITS_REM < 4
# define V_L1_BITS (V_L1_BITS_REM + V_L2_BITS)
#else
# define V_L1_BITS V_L1_BITS_REM
#endif
#define V_L1_SIZE ((target_ulong)1 << V_L1_BITS)
#define V_L1_SHIFT (L1_MAP_ADDR_SPACE_BITS - TARGET_PAGE_BITS - V_L1_BITS)
/* number of tables below l1_map, the last one holding the page flags */
#define V_LEVELS (V_L1_SHIFT / V_L2_BITS)

/* QEMU 2.3's PageDesc (translate-all.c) in user mode; the padding after
   code_write_count holds the emulator's canary in the first descriptor of
   every real host page of a leaf. */
typedef struct PageDesc {
    void *first_tb;
    unsigned int code_write_count;
    uint32_t emu_canary;
    uint8_t *code_bitmap;
    unsigned long flags;
} PageDesc;

static void *l1_map[V_L1_SIZE];

enum { BLK_LEVEL, BLK_LEAF, BLK_CHURN, BLK_DECOY };
static const char *const blk_kind_name[] = {
    "page-table level", "page-table leaf", "page_set_flags allocation",
    "hostile-mode allocation"
};

struct emu_block {
    unsigned char *p;
    size_t size;
    int kind;
    unsigned char *shadow;      /* BLK_LEVEL: the expected content */
};

static struct emu_block *blk;
static size_t nblk, blk_cap;
static int blk_dirty = 1;       /* the iovec plan must be rebuilt */

static int check_on = -1;       /* -1: not yet read from EMU_CHECK */
static int hostile_on = -1;     /* -1: not yet read from EMU_HOSTILE */
static unsigned long check_count;
static void (*check_handler)(const char *msg);

#define CHURN_RING 4
static void *churn_ring[CHURN_RING];
static unsigned churn_next;

static uint32_t canary32(const void *at)
{
    return 0x9e3779b9u ^ (uint32_t)((uintptr_t)at >> 12) ^ 0x51ed2701u;
}

static uint64_t canary64(const void *at)
{
    return 0xc0ffee5eed5a17edull ^ (uint64_t)(uintptr_t)at;
}

static size_t real_page(void)
{
    return qemu_real_host_page_size ? qemu_real_host_page_size
                                    : (size_t)getpagesize();
}

static void blk_register(void *p, size_t size, int kind)
{
    blk = room_for_one(blk, nblk, &blk_cap, sizeof(*blk));
    blk[nblk].p = p;
    blk[nblk].size = size;
    blk[nblk].kind = kind;
    blk[nblk].shadow = NULL;
    if (kind == BLK_LEVEL) {
        blk[nblk].shadow = calloc(1, size);
        if (!blk[nblk].shadow) {
            emu_die("out of memory");
        }
    }
    nblk++;
    blk_dirty = 1;
}

/* Write the canaries of a fresh block (zero-filled by the kernel). */
static void blk_arm(unsigned char *p, size_t size, int kind)
{
    size_t off, rp = real_page();
    for (off = 0; off < size; off += rp) {
        if (kind == BLK_LEAF) {
            PageDesc *pd = (PageDesc *)(p + off);
            pd->emu_canary = canary32(pd);
        } else if (kind == BLK_CHURN || kind == BLK_DECOY) {
            *(uint64_t *)(p + off) = canary64(p + off);
        }
    }
}

/* translate-all.c's ALLOC(P, SIZE) for user mode, plus the registry. */
static void *emu_alloc(size_t size, int kind)
{
    /* the system call itself: the reliability suite's fault injection
       (--wrap=mmap) is for the library's calls, not the emulator's */
    void *p = (void *)syscall(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        /* QEMU 2.3 does not check; it would crash on the first store. */
        emu_die("page table allocation: mmap failed");
    }
    blk_arm(p, size, kind);
    blk_register(p, size, kind);
    return p;
}

/* ranges of released blocks, for emu_storage_touches */
#define RELEASED_LOG 4096
static struct { unsigned long lo, hi; } released_log[RELEASED_LOG];
static size_t released_n;

static void blk_release(size_t i)
{
    released_log[released_n % RELEASED_LOG].lo = (unsigned long)blk[i].p;
    released_log[released_n % RELEASED_LOG].hi =
        (unsigned long)blk[i].p + blk[i].size;
    released_n++;
    syscall(SYS_munmap, blk[i].p, blk[i].size);
    free(blk[i].shadow);
    blk[i] = blk[--nblk];
    blk_dirty = 1;
}

static void blk_release_ptr(void *p)
{
    size_t i;
    for (i = 0; i < nblk; i++) {
        if (blk[i].p == p) {
            blk_release(i);
            return;
        }
    }
}

/* A store into a level table: keep its shadow copy in step. */
static void level_store(void **lp, void *v)
{
    size_t i;
    *lp = v;
    for (i = 0; i < nblk; i++) {
        unsigned char *a = (unsigned char *)lp;
        if (blk[i].kind == BLK_LEVEL && a >= blk[i].p &&
            a < blk[i].p + blk[i].size) {
            memcpy(blk[i].shadow + (a - blk[i].p), &v, sizeof(v));
            blk_dirty = 1;
            return;
        }
    }
}

static PageDesc *page_find_alloc(tb_page_addr_t index, int alloc)
{
    void **lp = l1_map + ((index >> V_L1_SHIFT) & (V_L1_SIZE - 1));
    int i;

    for (i = V_LEVELS - 1; i > 0; i--) {
        void **p = *lp;
        if (p == NULL) {
            if (!alloc) {
                return NULL;
            }
            p = emu_alloc(sizeof(void *) * V_L2_SIZE, BLK_LEVEL);
            level_store(lp, p);
        }
        lp = p + ((index >> (i * V_L2_BITS)) & (V_L2_SIZE - 1));
    }
    PageDesc *pd = *lp;
    if (pd == NULL) {
        if (!alloc) {
            return NULL;
        }
        pd = emu_alloc(sizeof(PageDesc) * V_L2_SIZE, BLK_LEAF);
        level_store(lp, pd);
    }
    return pd + (index & (V_L2_SIZE - 1));
}

/* ---- the checker ------------------------------------------------------ */
static struct iovec *plan_remote;
static unsigned char *plan_expect, *plan_got;
static size_t *plan_blk;        /* remote iovec -> block index */
static size_t plan_n, plan_bytes;

static void plan_build(void)
{
    size_t i, n = 0, bytes = 0, rp = real_page();

    for (i = 0; i < nblk; i++) {
        if (blk[i].kind == BLK_LEVEL) {
            n++;
            bytes += blk[i].size;
        } else {
            size_t pages = (blk[i].size + rp - 1) / rp;
            pages = pages > 1 ? 2 : 1;
            n += pages;
            bytes += pages * sizeof(uint64_t);
        }
    }
    free(plan_remote);
    free(plan_expect);
    free(plan_got);
    free(plan_blk);
    plan_remote = malloc((n ? n : 1) * sizeof(*plan_remote));
    plan_blk = malloc((n ? n : 1) * sizeof(*plan_blk));
    plan_expect = malloc(bytes ? bytes : 1);
    plan_got = malloc(bytes ? bytes : 1);
    if (!plan_remote || !plan_blk || !plan_expect || !plan_got) {
        emu_die("out of memory");
    }
    n = 0;
    bytes = 0;
    for (i = 0; i < nblk; i++) {
        if (blk[i].kind == BLK_LEVEL) {
            plan_remote[n].iov_base = blk[i].p;
            plan_remote[n].iov_len = blk[i].size;
            memcpy(plan_expect + bytes, blk[i].shadow, blk[i].size);
            plan_blk[n++] = i;
            bytes += blk[i].size;
            continue;
        }
        /* the canaries of the first and the last real page */
        size_t offs[2], q, no = 0;
        offs[no++] = 0;
        if (blk[i].size > rp) {
            offs[no++] = (blk[i].size - 1) / rp * rp;
        }
        for (q = 0; q < no; q++) {
            unsigned char *at = blk[i].p + offs[q];
            uint64_t want;
            if (blk[i].kind == BLK_LEAF) {
                PageDesc *pd = (PageDesc *)at;
                uint32_t c = canary32(pd);
                /* the 8 bytes of the descriptor holding code_write_count
                   (0: no TBs here) and the canary */
                at = (unsigned char *)&pd->code_write_count;
                want = 0;
                memcpy((unsigned char *)&want + 4, &c, 4);
            } else {
                want = canary64(at);
            }
            plan_remote[n].iov_base = at;
            plan_remote[n].iov_len = sizeof(uint64_t);
            memcpy(plan_expect + bytes, &want, sizeof(want));
            plan_blk[n++] = i;
            bytes += sizeof(uint64_t);
        }
    }
    plan_n = n;
    plan_bytes = bytes;
    blk_dirty = 0;
}

static void violation(const char *what, const char *phase, const char *cb,
                      const char *detail)
{
    char msg[1024];
    snprintf(msg, sizeof(msg),
             "emu: INVARIANT VIOLATED %s %s: %s (%s)",
             phase, cb, what, detail);
    if (check_handler) {
        check_handler(msg);
        return;
    }
    fprintf(stderr, "%s\n", msg);
    fflush(stderr);
    abort();
}

/* The first unmapped range of host memory inside [lo, hi), from
   /proc/self/maps; 0 if none found. */
static int first_hole(unsigned long lo, unsigned long hi,
                      unsigned long *hlo, unsigned long *hhi)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned long cur = lo;
    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx", &a, &b) != 2 || b <= cur) {
            continue;
        }
        if (a >= hi) {
            break;
        }
        if (a > cur) {
            break;
        }
        cur = b;
        if (cur >= hi) {
            break;
        }
    }
    fclose(f);
    if (cur >= hi) {
        return 0;
    }
    *hlo = cur;
    /* the hole ends at the next mapping (or hi) */
    f = fopen("/proc/self/maps", "r");
    *hhi = hi;
    if (f) {
        while (fgets(line, sizeof(line), f)) {
            unsigned long a, b;
            if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a > cur) {
                *hhi = a < hi ? a : hi;
                break;
            }
        }
        fclose(f);
    }
    return 1;
}

static int env_flag(const char *name, int dflt)
{
    const char *s = getenv(name);
    if (!s || !*s) {
        return dflt;
    }
    return strcmp(s, "0") != 0;
}

int emu_check_enabled(void)
{
    if (check_on < 0) {
        /* On by default in the C tests of the Rust library (IMPL_RUST).
           Off with the original mmap.c, which breaks the invariant itself
           (its mremap and failure paths leave holes under reserved_va), and
           in the differential suite and the benches, whose two sides must
           see the same host address space: EMU_CHECK=1 turns it on. */
#if defined(IMPL_RUST)
        check_on = env_flag("EMU_CHECK", 1);
#else
        check_on = env_flag("EMU_CHECK", 0);
#endif
    }
    return check_on;
}

void emu_check_enable(int on) { check_on = !!on; }

int emu_hostile_enabled(void)
{
    if (hostile_on < 0) {
        hostile_on = env_flag("EMU_HOSTILE", 0);
    }
    return hostile_on;
}

void emu_hostile_enable(int on) { hostile_on = !!on; }

void emu_check_set_handler(void (*fn)(const char *msg)) { check_handler = fn; }

unsigned long emu_check_count(void) { return check_count; }

size_t emu_storage_blocks(void) { return nblk; }

int emu_storage_touches(unsigned long lo, unsigned long hi)
{
    size_t i, n = released_n < RELEASED_LOG ? released_n : RELEASED_LOG;
    for (i = 0; i < nblk; i++) {
        unsigned long a = (unsigned long)blk[i].p, b = a + blk[i].size;
        if (a <= hi && b >= lo) {
            return 1;
        }
    }
    for (i = 0; i < n; i++) {
        if (released_log[i].lo <= hi && released_log[i].hi >= lo) {
            return 1;
        }
    }
    return 0;
}

static unsigned long cur_reserved_va;

/* light: a page_get_flags check.  In a run of page_get_flags calls with no
   other callback between them (a scan of the page flags: up to a million
   calls for a full window), the checks run at the first 256 calls (entry
   and exit), then at every 128th; the storage part (b) of a light check
   runs only when the table is small, or every 1024th time.  Every other
   callback, and exit, run the whole check. */
static void check_run2(const char *phase, const char *cb, int light)
{
    char detail[512];
    size_t done = 0, k;
    static unsigned light_count;
    static unsigned long light_run;

    if (!emu_check_enabled()) {
        return;
    }
    if (!light) {
        light_run = 0;
    } else if (++light_run > 512 && (light_run & 255) != 0) {
        return;
    }
    check_count++;
    if (cur_reserved_va && !emu_hostile_enabled()) {
        unsigned long lo = (unsigned long)g2h(0), hi = lo + cur_reserved_va;
        if (msync((void *)lo, cur_reserved_va, MS_ASYNC) != 0 &&
            errno == ENOMEM) {
            unsigned long a = 0, b = 0;
            if (first_hole(lo, hi, &a, &b)) {
                snprintf(detail, sizeof(detail),
                         "host %#lx-%#lx, guest " TARGET_ABI_FMT_lx "-"
                         TARGET_ABI_FMT_lx, a, b,
                         (abi_ulong)(a - lo), (abi_ulong)(b - lo));
            } else {
                snprintf(detail, sizeof(detail), "window host %#lx-%#lx",
                         lo, hi);
            }
            violation("hole in the reserved guest window", phase, cb, detail);
        }
    }
    if (blk_dirty) {
        plan_build();
    }
    if (!plan_n) {
        return;
    }
    if (light && plan_n > 64 && (light_count++ % 1024) != 0) {
        return;
    }
    /* process_vm_readv takes at most IOV_MAX remote iovecs per call */
    for (k = 0; k < plan_n; ) {
        size_t m = plan_n - k > 1024 ? 1024 : plan_n - k, want = 0, j;
        struct iovec local;
        ssize_t r;
        for (j = k; j < k + m; j++) {
            want += plan_remote[j].iov_len;
        }
        local.iov_base = plan_got + done;
        local.iov_len = want;
        r = process_vm_readv(getpid(), &local, 1, plan_remote + k, m, 0);
        if (r < 0 && (errno == ENOSYS || errno == EPERM)) {
            /* not allowed here: read directly (a fault is a crash) */
            size_t o = 0;
            for (j = k; j < k + m; j++) {
                memcpy(plan_got + done + o, plan_remote[j].iov_base,
                       plan_remote[j].iov_len);
                o += plan_remote[j].iov_len;
            }
            r = (ssize_t)want;
        }
        if (r < 0) {
            r = 0;
        }
        if ((size_t)r < want) {
            /* find the iovec that could not be read */
            size_t o = 0;
            for (j = k; j < k + m; j++) {
                if (o + plan_remote[j].iov_len > (size_t)r) {
                    break;
                }
                o += plan_remote[j].iov_len;
            }
            const struct emu_block *b = &blk[plan_blk[j]];
            snprintf(detail, sizeof(detail),
                     "%s at host %p-%p: %p is unmapped or unreadable",
                     blk_kind_name[b->kind], (void *)b->p,
                     (void *)(b->p + b->size), plan_remote[j].iov_base);
            violation("the emulator's storage was unmapped or protected",
                      phase, cb, detail);
            return;
        }
        done += want;
        k += m;
    }
    if (memcmp(plan_got, plan_expect, plan_bytes) != 0) {
        size_t o = 0, j;
        for (j = 0; j < plan_n; j++) {
            size_t len = plan_remote[j].iov_len;
            if (memcmp(plan_got + o, plan_expect + o, len) != 0) {
                break;
            }
            o += len;
        }
        const struct emu_block *b = &blk[plan_blk[j < plan_n ? j : 0]];
        snprintf(detail, sizeof(detail),
                 "%s at host %p-%p: content at %p replaced "
                 "(mapped over)",
                 blk_kind_name[b->kind], (void *)b->p,
                 (void *)(b->p + b->size),
                 j < plan_n ? plan_remote[j].iov_base : NULL);
        violation("the emulator's storage was overwritten", phase, cb,
                  detail);
    }
}

static void check_run(const char *phase, const char *cb)
{
    check_run2(phase, cb, 0);
}

void emu_check(const char *where)
{
    check_run("at", where);
}

static void check_at_exit(void)
{
    check_run("at", "exit");
}

/* Hostile mode: map decoy blocks into the holes the kernel could use. */
static void place_decoy(unsigned long a, unsigned long b)
{
    size_t rp = real_page();
    unsigned long len;
    void *p;
    a = (a + rp - 1) & ~(unsigned long)(rp - 1);
    b &= ~(unsigned long)(rp - 1);
    if (a >= b) {
        return;
    }
    len = b - a;
    if (len > 32768) {
        len = 32768;
    }
    p = mmap((void *)a, len, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) {
        return;
    }
    if (p != (void *)a) {       /* an old kernel ignored NOREPLACE */
        munmap(p, len);
        return;
    }
    blk_arm(p, len, BLK_DECOY);
    blk_register(p, len, BLK_DECOY);
}

static int host_page_live(unsigned long host_addr)
{
    unsigned long hp = host_addr & qemu_host_page_mask;
    abi_ulong g, gend;
    unsigned long gb = (unsigned long)g2h(0);
    if (hp < gb) {
        return 0;
    }
    g = (abi_ulong)(hp - gb);
    gend = g + (abi_ulong)qemu_host_page_size;
    for (; g != gend; g += TARGET_PAGE_SIZE) {
        PageDesc *p = page_find_alloc(g >> TARGET_PAGE_BITS, 0);
        if (p && p->flags) {
            return 1;
        }
    }
    return 0;
}

/* Without a window, the host mappings inside the guest range seen by the
   previous hostile_fill: a decoy goes only where host memory was mapped
   then (vacated since), not into parts of a host page the guest never had
   (a guest MAP_FIXED there may legitimately replace anything, in QEMU
   without reserved_va as here). */
#define PREV_MAX 4096
static struct { unsigned long a, b; } prev_maps[PREV_MAX];
static int nprev;

static void place_decoy_vacated(unsigned long x, unsigned long y)
{
    int k;
    for (k = 0; k < nprev; k++) {
        unsigned long a = prev_maps[k].a > x ? prev_maps[k].a : x;
        unsigned long b = prev_maps[k].b < y ? prev_maps[k].b : y;
        if (a < b) {
            place_decoy(a, b);
        }
    }
}

static void hostile_fill(void)
{
    unsigned long gb = (unsigned long)g2h(0);
    unsigned long lo, hi, cur;
    int big = qemu_host_page_size > real_page();
    FILE *f;
    char line[512];
    struct { unsigned long a, b; } gaps[256];
    int ng = 0, i;

    if (cur_reserved_va) {
        lo = gb;
        hi = gb + cur_reserved_va;
    } else if (big) {
        lo = gb;
        hi = (unsigned long)-1;
#if TARGET_VIRT_ADDR_SPACE_BITS < HOST_LONG_BITS
        hi = gb + (1ul << TARGET_VIRT_ADDR_SPACE_BITS);
#endif
    } else {
        return;
    }
    f = fopen("/proc/self/maps", "r");
    if (!f) {
        return;
    }
    cur = lo;
    {
        static struct { unsigned long a, b; } now[PREV_MAX];
        int nnow = 0;
        while (fgets(line, sizeof(line), f) && ng < 256) {
            unsigned long a, b;
            if (sscanf(line, "%lx-%lx", &a, &b) != 2 || b <= cur) {
                continue;
            }
            if (a >= hi) {
                break;
            }
            if (nnow < PREV_MAX) {
                now[nnow].a = a;
                now[nnow].b = b;
                nnow++;
            }
            if (a > cur) {
                gaps[ng].a = cur;
                gaps[ng].b = a;
                ng++;
            }
            cur = b;
        }
        fclose(f);
        if (!cur_reserved_va) {
            /* decoys first, against the previous snapshot */
            for (i = 0; i < ng; i++) {
                unsigned long a = gaps[i].a, b = gaps[i].b;
                if ((a & ~qemu_host_page_mask) && host_page_live(a)) {
                    unsigned long e = (a & qemu_host_page_mask) +
                                      qemu_host_page_size;
                    place_decoy_vacated(a, e < b ? e : b);
                }
                if ((b & ~qemu_host_page_mask) && host_page_live(b - 1) &&
                    (b & qemu_host_page_mask) > a) {
                    place_decoy_vacated(b & qemu_host_page_mask, b);
                }
            }
            memcpy(prev_maps, now, sizeof(now[0]) * (size_t)nnow);
            nprev = nnow;
            return;
        }
    }
    if (cur_reserved_va && cur < hi && ng < 256) {
        gaps[ng].a = cur;
        gaps[ng].b = hi;
        ng++;
    }
    for (i = 0; i < ng; i++) {
        place_decoy(gaps[i].a, gaps[i].b);
    }
}

/* QEMU allocates at page_set_flags even when clearing, and the rest of the
   emulator maps memory at any time: one more mmap(NULL) per call, the
   oldest of a small ring released after the new one is mapped. */
static void churn(void)
{
    void *old = churn_ring[churn_next];
    churn_ring[churn_next] = emu_alloc(sizeof(PageDesc) * V_L2_SIZE,
                                       BLK_CHURN);
    churn_next = (churn_next + 1) % CHURN_RING;
    if (old) {
        blk_release_ptr(old);
    }
}

int page_get_flags(target_ulong address)
{
    PageDesc *p;
    int r;

    emu_page_get_flags_calls++;
    check_run2("entering", "page_get_flags", 1);
    p = page_find_alloc(address >> TARGET_PAGE_BITS, 0);
    r = p ? (int)p->flags : 0;
    check_run2("leaving", "page_get_flags", 1);
    return r;
}

void page_set_flags(target_ulong start, target_ulong end, int flags)
{
    target_ulong addr, len;
    char cb[128] = "";

    emu_page_set_flags_calls++;
    /* The callback's name for the invariant checker's messages, formatted only when the
       checker runs (the benchmarks count this function's instructions). */
    if (emu_check_enabled()) {
        snprintf(cb, sizeof(cb), "page_set_flags(" TARGET_FMT_lx ", "
                 TARGET_FMT_lx ", %#x)", start, end, flags);
    }
    check_run("entering", cb);
    /* translate-all.c:1792: "This function should never be called with
       addresses outside the guest address space." */
#if TARGET_ABI_BITS > L1_MAP_ADDR_SPACE_BITS
    if (!(end < ((target_ulong)1 << L1_MAP_ADDR_SPACE_BITS))) {
        emu_die("page_set_flags: assertion `end < (1 << L1_MAP_ADDR_SPACE_BITS)' failed");
    }
#endif
    if (!(start < end)) {
        emu_die("page_set_flags: assertion `start < end' failed");
    }

    if (emu_check_enabled()) {
        /* (hostile mode only with the checker: a test that turns the
           checker off around a hole it made itself gets no decoy in it) */
        if (emu_hostile_enabled()) {
            hostile_fill();
        }
        churn();
    }

    start = start & TARGET_PAGE_MASK;
    end = TARGET_PAGE_ALIGN(end);

    if (flags & PAGE_WRITE) {
        flags |= PAGE_WRITE_ORG;
    }

    for (addr = start, len = end - start; len != 0; ) {
        tb_page_addr_t index = addr >> TARGET_PAGE_BITS;
        target_ulong in_leaf = V_L2_SIZE - (index & (V_L2_SIZE - 1));
        target_ulong pages = len >> TARGET_PAGE_BITS;
        target_ulong n = in_leaf < pages ? in_leaf : pages, i;
        /* Clearing a page that has no descriptor changes nothing
           observable, so do not allocate for it (keeps big munmaps cheap;
           churn() above stands for QEMU's allocation there). */
        PageDesc *p = page_find_alloc(index, flags != 0);
        if (p) {
            for (i = 0; i < n; i++) {
                p[i].flags = flags;
            }
        }
        addr += n << TARGET_PAGE_BITS;
        len -= n << TARGET_PAGE_BITS;
    }
    check_run("leaving", cb);
}

static void free_level(void *p, int level)
{
    int i;
    if (!p) {
        return;
    }
    if (level > 1) {
        for (i = 0; i < V_L2_SIZE; i++) {
            free_level(((void **)p)[i], level - 1);
        }
    }
    blk_release_ptr(p);
}

void emu_flags_reset(void)
{
    target_ulong i;
    for (i = 0; i < V_L1_SIZE; i++) {
        free_level(l1_map[i], V_LEVELS);
        l1_map[i] = NULL;
    }
}

/* All emulator storage, decoys and churn included (emu_init). */
static void emu_storage_reset(void)
{
    unsigned i;
    emu_flags_reset();
    for (i = 0; i < CHURN_RING; i++) {
        churn_ring[i] = NULL;
    }
    while (nblk) {
        blk_release(nblk - 1);
    }
}

/* ---- guest-visible map dump ----------------------------------------- */
struct dump_state {
    FILE *f;
    int have;
    uint64_t start, end;
    int flags;
};

static void dump_flush(struct dump_state *s)
{
    if (s->have && s->flags) {
        fprintf(s->f, "%08" PRIx64 "-%08" PRIx64 " %c%c%cp\n",
                s->start, s->end,
                s->flags & PAGE_READ ? 'r' : '-',
                s->flags & PAGE_WRITE ? 'w' : '-',
                s->flags & PAGE_EXEC ? 'x' : '-');
    }
    s->have = 0;
}

static void dump_page(struct dump_state *s, uint64_t index, int flags)
{
    uint64_t a = index << TARGET_PAGE_BITS;
    if (s->have && s->end == a && s->flags == flags) {
        s->end = a + TARGET_PAGE_SIZE;
        return;
    }
    dump_flush(s);
    s->have = 1;
    s->start = a;
    s->end = a + TARGET_PAGE_SIZE;
    s->flags = flags;
}

static void dump_level(struct dump_state *s, void *p, int level,
                       uint64_t prefix)
{
    int i;
    if (!p) {
        return;
    }
    for (i = 0; i < V_L2_SIZE; i++) {
        uint64_t idx = (prefix << V_L2_BITS) | (uint64_t)i;
        if (level == 1) {
            int fl = ((PageDesc *)p)[i].flags;
            if (fl) {
                dump_page(s, idx, fl);
            }
        } else {
            dump_level(s, ((void **)p)[i], level - 1, idx);
        }
    }
}

void emu_dump_maps(FILE *f)
{
    struct dump_state s = { f, 0, 0, 0, 0 };
    target_ulong i;
    for (i = 0; i < V_L1_SIZE; i++) {
        dump_level(&s, l1_map[i], V_LEVELS, (uint64_t)i);
    }
    dump_flush(&s);
}

/* ---- TB invalidation log -------------------------------------------- */
static struct emu_tb_call *tb_log;
static size_t tb_log_len, tb_log_cap;

void tb_invalidate_phys_range(tb_page_addr_t start, tb_page_addr_t end,
                              int is_cpu_write_access)
{
    char cb[96] = "";
    (void)is_cpu_write_access;
    if (emu_check_enabled()) {      /* as in page_set_flags */
        snprintf(cb, sizeof(cb), "tb_invalidate_phys_range(" TARGET_ABI_FMT_lx
                 ", " TARGET_ABI_FMT_lx ")", start, end);
    }
    check_run("entering", cb);
    tb_log = room_for_one(tb_log, tb_log_len, &tb_log_cap, sizeof(*tb_log));
    tb_log[tb_log_len].start = start;
    tb_log[tb_log_len].end = end;
    tb_log_len++;
    check_run("leaving", cb);
}

size_t emu_tb_count(void) { return tb_log_len; }

struct emu_tb_call emu_tb_get(size_t i)
{
    struct emu_tb_call none = { 0, 0 };
    return i < tb_log_len ? tb_log[i] : none;
}

void emu_tb_reset(void) { tb_log_len = 0; }

/* ---- set-up (translate-all.c page_size_init, main.c) ---------------- */
static void page_size_init(void)
{
    qemu_real_host_page_size = getpagesize();
    if (qemu_host_page_size == 0) {
        qemu_host_page_size = qemu_real_host_page_size;
    }
    if (qemu_host_page_size < TARGET_PAGE_SIZE) {
        qemu_host_page_size = TARGET_PAGE_SIZE;
    }
    qemu_host_page_mask = ~(qemu_host_page_size - 1);
}

#if defined(CONFIG_USE_GUEST_BASE)
/* elfload.c init_guest_space, simplified: reserve [base, base+size) as
   PROT_NONE, host-page aligned. */
static unsigned long init_guest_space(unsigned long host_start,
                                      unsigned long host_size, int fixed)
{
    void *p;
    if (!host_size) {
        return host_start;
    }
    if (fixed) {
        p = mmap((void *)host_start, host_size, PROT_NONE,
                 MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE | MAP_FIXED,
                 -1, 0);
        if (p == MAP_FAILED) {
            perror("emu: init_guest_space");
            exit(2);
        }
        return host_start;
    } else {
        unsigned long full = host_size + qemu_host_page_size;
        unsigned long real, aligned;
        p = mmap(NULL, full, PROT_NONE,
                 MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            perror("emu: init_guest_space");
            exit(2);
        }
        real = (unsigned long)p;
        aligned = HOST_PAGE_ALIGN(real);
        if (aligned > real) {
            munmap(p, aligned - real);
        }
        if (real + full > aligned + host_size) {
            munmap((void *)(aligned + host_size),
                   real + full - (aligned + host_size));
        }
        return aligned;
    }
}
#endif

void emu_init(const struct emu_options *o)
{
    FILE *fp;

    emu_storage_reset();
    {
        static int exit_check_armed;
        if (!exit_check_armed) {
            exit_check_armed = 1;
            atexit(check_at_exit);
        }
    }
    emu_tb_reset();
    emu_page_get_flags_calls = emu_page_set_flags_calls = 0;

    /* parse_args (-p), then tcg_exec_init -> page_size_init */
    qemu_host_page_size = o->host_page_size;
    page_size_init();

#if defined(CONFIG_USE_GUEST_BASE)
    reserved_va = o->reserved_va < 0 ? (unsigned long)DEFAULT_RESERVED_VA
                                     : (unsigned long)o->reserved_va;
    guest_base = o->guest_base;
    have_guest_base = o->have_guest_base;
    /* main.c:3961-3982 */
    guest_base = HOST_PAGE_ALIGN(guest_base);
    if (reserved_va || have_guest_base) {
        guest_base = init_guest_space(guest_base, reserved_va,
                                      have_guest_base);
    }
    if (reserved_va) {
        mmap_next_start = reserved_va;
    }
    cur_reserved_va = reserved_va;
#else
    if (o->reserved_va > 0 || o->have_guest_base) {
        fprintf(stderr, "emu: NO_GUEST_BASE build ignores reserved_va/guest_base\n");
    }
    cur_reserved_va = 0;
#endif

    /* main.c:3990-4000 */
    mmap_min_addr = 0;
    fp = fopen("/proc/sys/vm/mmap_min_addr", "r");
    if (fp) {
        unsigned long tmp;
        if (fscanf(fp, "%lu", &tmp) == 1) {
            mmap_min_addr = tmp;
        }
        fclose(fp);
    }
}

void emu_options_from_env(struct emu_options *op)
{
    struct emu_options o = { 0, -1, 0, 0 };
    const char *s;

    s = getenv("EMU_HOST_PAGE_SIZE");
    if (s && *s) {
        o.host_page_size = strtoul(s, NULL, 0);
        if (o.host_page_size == 0 ||
            (o.host_page_size & (o.host_page_size - 1))) {
            fprintf(stderr, "page size must be a power of two\n");
            exit(2);
        }
    }
    s = getenv("EMU_RESERVED_VA");
    if (s && *s) {
        o.reserved_va = strtol(s, NULL, 0);
    }
    s = getenv("EMU_GUEST_BASE");
    if (s && *s) {
        o.guest_base = strtol(s, NULL, 0);
        o.have_guest_base = 1;
    }
    *op = o;
}

void emu_init_from_env(void)
{
    struct emu_options o;
    emu_options_from_env(&o);
    emu_init(&o);
}

unsigned long emu_reserved_va(void) { return cur_reserved_va; }

unsigned long emu_guest_base(void)
{
#if defined(CONFIG_USE_GUEST_BASE)
    return guest_base;
#else
    return 0;
#endif
}

void *emu_g2h(abi_ulong guest)
{
    return g2h(guest);
}

/* ---- host views ------------------------------------------------------ */
static int maps_lookup(unsigned long a, int *prot)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3) {
            continue;
        }
        if (a >= lo && a < hi) {
            *prot = (perms[0] == 'r' ? PROT_READ : 0) |
                    (perms[1] == 'w' ? PROT_WRITE : 0) |
                    (perms[2] == 'x' ? PROT_EXEC : 0);
            found = 1;
            break;
        }
    }
    fclose(f);
    return found;
}

int emu_host_prot(abi_ulong guest)
{
    int prot;
    if (!maps_lookup((unsigned long)g2h(guest), &prot)) {
        return -1;
    }
    return prot;
}

int emu_host_mapped(abi_ulong guest)
{
    int prot;
    return maps_lookup((unsigned long)g2h(guest), &prot);
}

int emu_host_range_free(abi_ulong guest, unsigned long len)
{
    unsigned long lo = (unsigned long)g2h(guest), hi = lo + len;
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int free_ = 1;
    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx", &a, &b) != 2) {
            continue;
        }
        if (a < hi && b > lo) {
            free_ = 0;
            break;
        }
    }
    fclose(f);
    return free_;
}

static sigjmp_buf probe_jmp;

static void probe_handler(int sig)
{
    (void)sig;
    siglongjmp(probe_jmp, 1);
}

static int probe(abi_ulong guest, int write)
{
    struct sigaction sa, old_segv, old_bus;
    volatile unsigned char *p = emu_g2h(guest);
    volatile int ok = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = probe_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    if (sigsetjmp(probe_jmp, 1) == 0) {
        unsigned char v = *p;
        if (write) {
            *p = v;
        }
        ok = 1;
    }
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    return ok;
}

int emu_can_read(abi_ulong guest) { return probe(guest, 0); }
int emu_can_write(abi_ulong guest) { return probe(guest, 1); }

/* ---- helpers ------------------------------------------------------- */
unsigned char emu_file_byte(size_t i)
{
    return (unsigned char)((((uint32_t)i + 1u) * 2654435761u) >> 24) | 1;
}

int emu_make_file(size_t size)
{
    char path[256];
    const char *dir = getenv("TMPDIR");
    unsigned char buf[4096];
    size_t done = 0;
    int fd;

    snprintf(path, sizeof(path), "%s/emu-test-XXXXXX",
             dir && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    if (fd < 0) {
        perror("emu: mkstemp");
        exit(2);
    }
    unlink(path);
    while (done < size) {
        size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf), i;
        for (i = 0; i < n; i++) {
            buf[i] = emu_file_byte(done + i);
        }
        if (write(fd, buf, n) != (ssize_t)n) {
            perror("emu: write");
            exit(2);
        }
        done += n;
    }
    return fd;
}

int emu_run_child(int (*fn)(void *), void *arg)
{
    pid_t pid;
    int status = 0;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        perror("emu: fork");
        exit(2);
    }
    if (pid == 0) {
        struct rlimit rl = { 0, 0 };
        setrlimit(RLIMIT_CORE, &rl);
        int rc = fn(arg);
        fflush(stdout);
        fflush(stderr);
        _exit(rc);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("emu: waitpid");
            exit(2);
        }
    }
    return status;
}
