/* The address search: mmap.c mmap_find_vma (host probing, without
   reserved_va) and mmap_find_vma_reserved (downward search through the page
   flags, with reserved_va), mmap_next_start updates in both modes, the
   (abi_ulong)-1 failure, target_mmap's use of it (hints).  Ours: D16 (the
   reserved search checks every target page of a host page); D15 (never
   below mmap_min_addr) and D17 (4 GiB reserved_va) are in t_fixes. */
#include "tcommon.h"

static abi_ulong find(abi_ulong start, abi_ulong size)
{
    abi_ulong r;
    mmap_lock();
    r = mmap_find_vma(start, size);
    mmap_unlock();
    return r;
}

/* ------------------------------------------------------------------ */
/* Without reserved_va                                                 */
/* ------------------------------------------------------------------ */

/* Where would the kernel put an S-byte mapping with no usable hint?  Block
   the top of that spot one real page at a time until the answer is not
   `align`-aligned.  Returns 0 if that cannot be arranged. */
static unsigned long topdown_unaligned(unsigned long S, unsigned long align)
{
    int i;
    for (i = 0; i < 8; i++) {
        void *p = mmap(NULL, S, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        unsigned long u = (unsigned long)p;
        if (p == MAP_FAILED) {
            return 0;
        }
        munmap(p, S);
        if (u & (align - 1)) {
            return u;
        }
        /* occupy the top real page of that spot: the next top-down answer
           is one real page lower */
        if (mmap((void *)(u + S - RPS), RPS, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
                 -1, 0) == MAP_FAILED) {
            return 0;
        }
    }
    return 0;
}

#if TARGET_ABI_BITS == 64
struct mis_arg { int which; };

/* mmap.c:311-340: the kernel's answer is not target-page aligned (8 KiB
   target pages on a 4 KiB host).  The hint is an occupied address, so the
   kernel answers top-down with U (arranged to be misaligned):
     repeat 0: retry at TARGET_PAGE_ALIGN(U) = U + 4K -> occupied above ->
               the kernel answers U again
     repeat 1: retry at U & TARGET_PAGE_MASK = U - 4K
   which == 0: U - 4K is free -> returned.
   which == 1: U - 4K blocked -> U again (repeat 2) -> "start over at low
               memory" at max(TARGET_PAGE_SIZE, mmap_min_addr aligned)
   which == 2: that blocked too -> U again (repeat 3) -> (abi_ulong)-1. */
static void misaligned_child(void *p)
{
    struct mis_arg *m = p;
    const unsigned long S = 16 * RPS;
    abi_ulong low = 0x10000;    /* TARGET_PAGE_ALIGN(mmap_min_addr) */
    void *k;
    unsigned long u;
    abi_ulong r, next;

    /* an occupied hint */
    k = mmap(NULL, 4 * S, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
             -1, 0);
    CHECK(k != MAP_FAILED);
    u = topdown_unaligned(S, TPS);
    if (!u) {
        SKIP("could not arrange a misaligned top-down kernel answer");
        return;
    }
    if (m->which >= 1) {
        CHECK(mmap((void *)(u - RPS), RPS, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED);
        if (!emu_host_range_free(low, S)) {
            SKIP("low guest memory is not free");
            return;
        }
    }
    if (m->which >= 2) {
        CHECK(mmap(H(low), RPS, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED);
    }
    next = mmap_next_start;
    r = find((abi_ulong)(unsigned long)k + RPS, S);
    switch (m->which) {
    case 0:
        CHECK_EQ(r, (abi_ulong)(u - RPS));
        CHECK_EQ(emu_host_prot(r), 0);
        break;
    case 1:
        CHECK_EQ(r, low);
        CHECK_EQ(emu_host_prot(low), 0);
        break;
    default:
        CHECK_EQ(r, FAILED);
        break;
    }
    CHECK_EQ(mmap_next_start, next);
}
#endif

static void test_host_search(void)
{
    abi_ulong a, b, c, next;

    /* The low-memory retry starts at TARGET_PAGE_ALIGN(mmap_min_addr) when
       that is above one target page.  The kernel itself moves hints below
       its own minimum (often 64 KiB, whatever /proc says) up to it, so use
       64 KiB here to make the retry address predictable. */
    mmap_min_addr = 0x10000;

    /* the first search starts at TASK_UNMAPPED_BASE and leaves a PROT_NONE
       reservation; mmap_next_start moves past it (host-page aligned size) */
    CHECK_EQ(mmap_next_start, T_TASK_UNMAPPED_BASE);
    a = find(0, TPS);
    CHECK_EQ(a, T_TASK_UNMAPPED_BASE);
    CHECK_EQ(emu_host_prot(a), 0);
    CHECK_EQ(flags_of(a), 0);
    CHECK_EQ(mmap_next_start, a + HPS);
    b = find(0, 3 * TPS);
    CHECK_EQ(b, a + HPS);
    CHECK_EQ(mmap_next_start, b + HOST_PAGE_ALIGN(3 * TPS));
    /* a start equal to mmap_next_start counts as "the default start" */
    c = find(mmap_next_start, TPS);
    CHECK_EQ(c, b + HOST_PAGE_ALIGN(3 * TPS));
    CHECK_EQ(mmap_next_start, c + HPS);

    /* any other start is a hint, masked to the host page; no update */
    next = mmap_next_start;
    a = find(next + 16 * HPS + 1, TPS);
    CHECK_EQ(a, next + 16 * HPS);
    CHECK_EQ(mmap_next_start, next);

    /* target_mmap uses the same search */
    a = target_mmap(0, TPS, RW, ANON, -1, 0);
    CHECK_EQ(a, next);
    CHECK_EQ(mmap_next_start, next + HPS);
    b = target_mmap(next + 32 * HPS + 1, TPS, RW, ANON, -1, 0);
    CHECK_EQ(b, next + 32 * HPS);
    CHECK_EQ(mmap_next_start, next + HPS);

    /* an address found below TASK_UNMAPPED_BASE does not move
       mmap_next_start (mmap.c:313) */
    next = mmap_next_start;
    mmap_next_start = T_TASK_UNMAPPED_BASE / 2;
    if (emu_host_range_free(mmap_next_start, HPS)) {
        a = find(0, TPS);
        CHECK_EQ(a, T_TASK_UNMAPPED_BASE / 2);
        CHECK_EQ(mmap_next_start, T_TASK_UNMAPPED_BASE / 2);
        munmap(H(a), HPS);
    } else {
        SKIP("guest range at TASK_UNMAPPED_BASE/2 is not free on the host");
    }
    mmap_next_start = next;

    /* failure: (abi_ulong)-1 (callers set errno themselves) */
#if TARGET_ABI_BITS == 64
    a = find(0, (abi_ulong)1 << 60);
    CHECK_EQ(a, FAILED);
    CHECK_EQ(mmap_next_start, next);
#else
    {
        unsigned long saved = mmap_min_addr;
        mmap_min_addr = 0x10000;
        a = find(0, 0xffffe000);
        CHECK_EQ(a, FAILED);
        mmap_min_addr = saved;
        CHECK_EQ(mmap_next_start, next);
    }
#endif

    /* an occupied hint: the kernel answers elsewhere and that answer is
       taken as long as it is target-page aligned and inside the guest
       space (mmap.c:308-317) */
    next = mmap_next_start;
    a = target_mmap(next, HPS, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(a, next);
    b = find(0, TPS);
    CHECK(b != FAILED);
    CHECK(b != next);
    CHECK_EQ(b & (TPS - 1), 0);
    CHECK_EQ(emu_host_prot(b), 0);
#if TARGET_ABI_BITS == 32
    /* 32-bit guest, identity guest base: the kernel's top-down answer is
       above 4 GiB, h2g_valid fails, the search "starts again at low
       memory" (mmap.c:341-345, 353-362); below TASK_UNMAPPED_BASE, so
       mmap_next_start stays */
    CHECK_EQ(b, 0x10000);
    CHECK_EQ(mmap_next_start, next);
    /* the same with low memory occupied too: the kernel answers the same
       invalid address twice -> "If any repetition, fail" (mmap.c:344) */
    c = find(0, TPS);
    CHECK_EQ(c, FAILED);
    CHECK_EQ(mmap_next_start, next);
    munmap(H(b), HPS);
    /* a hint whose range crosses 4 GiB: the kernel honours it, h2g_valid
       rejects it, and the search wraps to low memory as well */
    if (emu_host_range_free(0xffff0000, 0x20000)) {
        c = find(0xffff0000, 0x20000);
        CHECK_EQ(c, 0x10000);
        CHECK_EQ(mmap_next_start, next);
        munmap(H(c), 0x20000);
    } else {
        SKIP("host range around 4 GiB not free");
    }
#else
    /* a 64-bit guest takes the kernel's answer; it is above
       TASK_UNMAPPED_BASE, so mmap_next_start follows it */
    if (b >= T_TASK_UNMAPPED_BASE) {
        CHECK_EQ(mmap_next_start, b + HPS);
    }
    mmap_next_start = next + HPS;
#endif

    /* with a host page larger than the real one, the search only checks
       target-page alignment (mmap.c:311): 2.3 quirk, a kernel answer that
       is not host-page aligned is accepted.  D35: ours requires host-page
       alignment */
    if (HPS > TPS) {
        void *k = mmap(NULL, 64 * RPS, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        unsigned long u = topdown_unaligned(16 * RPS, HPS);
        if (u && TARGET_ABI_BITS == 64) {
            c = find((abi_ulong)(unsigned long)k, 16 * RPS);
            if (LINUX_FIXES) {
                /* D35: ours retries until the answer starts a host page */
                CHECK(c != FAILED);
                CHECK_EQ(c & (HPS - 1), 0);
            } else {
                CHECK_EQ(c, (abi_ulong)u);
                CHECK(c & (HPS - 1));
            }
        } else {
            SKIP("could not arrange a non-host-page-aligned kernel answer");
        }
    }

#if TARGET_ABI_BITS == 64
    if (TPS > RPS) {
        struct mis_arg m;
        for (m.which = 0; m.which < 3; m.which++) {
            run_checked_child(misaligned_child, &m, "misaligned kernel answer");
        }
    } else {
        SKIP("kernel answers are always target-page aligned here");
    }
#else
    SKIP("misaligned kernel answers: the top-down answer is outside a 32-bit guest");
#endif
}

/* ------------------------------------------------------------------ */
/* With reserved_va                                                    */
/* ------------------------------------------------------------------ */

/* highest host page below `below` whose first target page is free */
static abi_ulong highest_free(abi_ulong below)
{
    abi_ulong a = below - HPS;
    while (flags_of(a) != 0) {
        a -= HPS;
    }
    return a;
}

static void fill_all(void *arg)
{
    abi_ulong R = emu_reserved_va(), hole = *(abi_ulong *)arg;
    mmap_lock();
    page_set_flags(0, R, PAGE_VALID);
    if (hole) {
        page_set_flags(hole, hole + HPS, 0);
    }
    mmap_unlock();
    if (hole) {
        CHECK_EQ(find(0, HPS), hole);
        CHECK_EQ(mmap_next_start, hole);
        CHECK_EQ(find(0, 2 * HPS), FAILED);     /* looped twice */
        CHECK_EQ(find(R / 2, HPS), hole);       /* wraps to find it */
    } else {
        abi_ulong next = mmap_next_start;
        CHECK_EQ(find(0, HPS), FAILED);
        CHECK_EQ(mmap_next_start, next);
        errno = 0;
        CHECK_EQ(target_mmap(0, TPS, RW, ANON, -1, 0), -1);
        CHECK_EQ(errno, ENOMEM);
    }
}

static void test_reserved_search(void)
{
    abi_ulong R = emu_reserved_va(), a, b, c, next, top;

    CHECK_EQ(mmap_next_start, (abi_ulong)R);

    /* downward from the top, host-page granular; the search itself sets
       no flags, so a second search finds the same range */
    a = find(0, TPS);
    CHECK_EQ(a, R - HPS);
    CHECK_EQ(mmap_next_start, R - HPS);
    CHECK_EQ(flags_of(a), 0);
    CHECK_EQ(emu_host_prot(a), 0);              /* still the reservation */
    CHECK_EQ(find(0, TPS), R - HPS);

    /* target_mmap fills it; the next search goes below */
    a = target_mmap(0, TPS, RW, ANON, -1, 0);
    CHECK_EQ(a, R - HPS);
    CHECK_EQ(mmap_next_start, R - HPS);
    b = target_mmap(0, 2 * HPS, RW, ANON, -1, 0);
    CHECK_EQ(b, R - 3 * HPS);
    CHECK_EQ(mmap_next_start, R - 3 * HPS);
    /* a range that fits right at mmap_next_start (searching down from
       start + size): freeing b makes it the answer again */
    CHECK_EQ(target_munmap(b, 2 * HPS), 0);
    c = find(0, 2 * HPS);
    CHECK_EQ(c, b);

    /* a hint: searched down from hint + size; mmap_next_start stays */
    next = mmap_next_start;
    a = target_mmap(0x10000000 + 1, TPS, RW, ANON, -1, 0);
    CHECK_EQ(a, 0x10000000);
    CHECK_EQ(mmap_next_start, next);
    a = target_mmap(0x10000000, 2 * TPS, RW, ANON, -1, 0);
    CHECK_EQ(a, 0x10000000 - HOST_PAGE_ALIGN(2 * TPS));
    CHECK_EQ(mmap_next_start, next);
    /* mmap_find_vma masks a non-zero start to the host page itself */
    a = find(0x20000000 + 1, TPS);
    CHECK_EQ(a, 0x20000000);
    a = find(0x20000000 + HPS - 1, TPS);
    CHECK_EQ(a, 0x20000000);
    CHECK_EQ(mmap_next_start, next);
    /* a hint above reserved_va is clamped to it */
    top = highest_free(R);
    a = find(R + 0x100000, HPS);
    CHECK_EQ(a, top);
    CHECK_EQ(mmap_next_start, next);

    /* wrap: searching down from a low hint runs past 0, "looped" restarts
       at reserved_va (mmap.c:230-237) */
    CHECK_EQ(target_mmap(0, 2 * HPS, RW, ANON | MAP_FIXED, -1, 0), 0);
    top = highest_free(R);
    a = find(HPS, HPS);
    CHECK_EQ(a, top);
    CHECK_EQ(mmap_next_start, next);
    a = target_mmap(HPS, HPS, PROT_READ, ANON, -1, 0);
    CHECK_EQ(a, top);
    CHECK_EQ(flags_of(top), VALID_R);

    /* failure: bigger than reserved_va (mmap.c:218-220) */
    errno = EXDEV;
    CHECK_EQ(find(0, R + 1), FAILED);
    CHECK_EQ(errno, EXDEV);                     /* errno untouched */
    CHECK_EQ(mmap_next_start, next);
    /* every page taken: looped twice -> -1 */
    {
        abi_ulong hole = 0;
        run_checked_child(fill_all, &hole, "reserved space full");
        hole = R / 2 + 5 * HPS;
        run_checked_child(fill_all, &hole, "reserved space with one hole");
    }

    /* 2.3 bug with a host page larger than the target page: the search
       looks only at the first target page of each host page (it steps by
       qemu_host_page_size and calls page_get_flags(addr) once), so a host
       page whose other target pages are live counts as free, and a
       non-fixed target_mmap lands on top of them */
    if (HPS > TPS) {
        top = highest_free(R);
        CHECK_EQ(target_mmap(top + 2 * TPS, TPS, RW, ANON | MAP_FIXED, -1, 0),
                 (abi_long)(top + 2 * TPS));
        memset(H(top + 2 * TPS), 0x55, TPS);
        if (LINUX_FIXES) {
            /* D16: ours checks every target page of a candidate, so the
               answer lies below that host page and holds no used page */
            abi_ulong p;
            a = find(top, HPS);
            CHECK(a != FAILED && a < top && a + HPS <= top);
            for (p = a; a != FAILED && p < a + HPS; p += TPS) {
                CHECK_EQ(flags_of(p), 0);
            }
            b = find(top + HPS, HPS);
            CHECK_EQ(b, a);
            c = target_mmap(top, HPS, PROT_READ, ANON, -1, 0);
            CHECK_EQ(c, a);
            CHECK_EQ(flags_of(top + 2 * TPS), VALID_RW);
            CHECK(mem_is(top + 2 * TPS, TPS, 0x55));    /* data kept */
        } else {
            a = find(top, HPS);
            CHECK_EQ(a, top);                       /* overlaps a live page */
            /* the same when the search has to walk down into that host
               page: it steps a whole host page at a time */
            a = find(top + HPS, HPS);
            CHECK_EQ(a, top);
            a = target_mmap(top, HPS, PROT_READ, ANON, -1, 0);
            CHECK_EQ(a, top);
            CHECK_EQ(flags_of(top + 2 * TPS), VALID_R);
            CHECK(mem_is(top + 2 * TPS, TPS, 0));   /* the data is gone */
        }
    } else {
        SKIP("first-target-page-only search: needs host page > target page");
    }
}

int main(void)
{
    emu_init_from_env();
    if (is_reserved()) {
        test_reserved_search();
    } else {
        test_host_search();
    }
    return check_summary();
}
