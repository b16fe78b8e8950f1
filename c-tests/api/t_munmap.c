/* target_munmap (mmap.c:626-686): return conventions, flags, host state;
   with reserved_va the freed host pages are re-reserved by mmap_reserve
   (PROT_NONE, still mapped: not a hole); partial host pages are kept while
   a neighbouring target page in them is live. */
#include "tcommon.h"

/* freed host memory: a hole, or (reserved_va) a PROT_NONE reservation */
static void check_freed(abi_ulong a)
{
    if (is_reserved()) {
        CHECK(emu_host_mapped(a));
        CHECK_EQ(emu_host_prot(a), 0);
    } else {
        CHECK(!emu_host_mapped(a));
    }
    CHECK(!emu_can_read(a));
    CHECK_EQ(flags_of(a), 0);
}

int main(void)
{
    abi_ulong a, g;
    int r;

    emu_init_from_env();

    /* ---- whole host pages */
    a = target_mmap(0, 4 * HPS, RW, ANON, -1, 0);
    CHECK(a != FAILED);
    memset(H(a), 0x11, 4 * HPS);
    emu_tb_reset();
    errno = EXDEV;
    r = target_munmap(a + HPS, 2 * HPS);
    CHECK_EQ(r, 0);
    CHECK_EQ(errno, EXDEV);
    check_freed(a + HPS);
    check_freed(a + 3 * HPS - 1);
    CHECK_EQ(flags_of(a), VALID_RW);
    CHECK_EQ(flags_of(a + 3 * HPS), VALID_RW);
    CHECK(mem_is(a, HPS, 0x11));
    CHECK(mem_is(a + 3 * HPS, HPS, 0x11));
    CHECK_EQ(emu_tb_count(), 1);
    CHECK_LAST_TB(a + HPS, a + 3 * HPS);
    /* len is rounded up to target pages */
    r = target_munmap(a, 1);
    CHECK_EQ(r, 0);
    CHECK_EQ(flags_of(a), 0);
    CHECK_LAST_TB(a, a + TPS);
    /* unmapping what is not mapped succeeds */
    r = target_munmap(a + HPS, HPS);
    CHECK_EQ(r, 0);
    check_freed(a + HPS);

    /* ---- literal -EINVAL results, errno untouched, no lock taken */
    emu_tb_reset();
    errno = EXDEV;
    CHECK_EQ(target_munmap(a + 1, HPS), -EINVAL);
    CHECK_EQ(target_munmap(a + TPS / 2, TPS), -EINVAL);
    CHECK_EQ(target_munmap(a, 0), -EINVAL);
    CHECK_EQ(errno, EXDEV);
    CHECK_EQ(emu_tb_count(), 0);
    CHECK_EQ(flags_of(a + 3 * HPS), VALID_RW);

    /* ---- the host munmap fails: its -1/errno is returned, the flags and
       TBs are left alone (mmap.c:676, 680).  With reserved_va, mmap_reserve
       ignores errors and the result is always 0. */
#if TARGET_ABI_BITS == 64
    if (!is_reserved()) {
        /* above any host's TASK_SIZE */
        abi_ulong big = (abi_ulong)1 << 60;
        errno = 0;
        r = target_munmap(big, TPS);
        if (LINUX_FIXES && TARGET_VIRT_ADDR_SPACE_BITS <= 60) {
            /* D4: outside the guest space (2^VIRT), ours answers the
               literal -EINVAL of its early checks before calling the host
               (alpha's 63-bit space holds 2^60: the host answers, as in
               2.3) */
            CHECK_EQ(r, -EINVAL);
            CHECK_EQ(errno, 0);
        } else {
            CHECK_EQ(r, -1);
            CHECK_EQ(errno, EINVAL);
        }
        CHECK_EQ(emu_tb_count(), 0);
    } else {
        SKIP("host munmap failure: with reserved_va the result is always 0");
    }
#else
    SKIP("host munmap failure: no guest address is outside the host's range");
#endif

    /* ---- host page larger than target page: fragments */
    if (HPS > TPS) {
        g = fresh(4 * HPS);
        CHECK_EQ(target_mmap(g, 3 * HPS, RW, ANON | MAP_FIXED, -1, 0),
                 (abi_long)g);
        memset(H(g), 0x22, 3 * HPS);
        /* one target page inside a live host page: the host page stays,
           contents too (mmap.c:646-660) */
        emu_tb_reset();
        r = target_munmap(g + TPS, TPS);
        CHECK_EQ(r, 0);
        CHECK_EQ(flags_of(g + TPS), 0);
        CHECK_EQ(flags_of(g), VALID_RW);
        CHECK_EQ(flags_of(g + 2 * TPS), VALID_RW);
        CHECK_EQ(emu_host_prot(g), RW);
        CHECK(mem_is(g, 3 * TPS, 0x22));
        CHECK_LAST_TB(g + TPS, g + 2 * TPS);
        /* the rest of host page 0 after g+2TPS: still one live page left */
        r = target_munmap(g + 2 * TPS, HPS - 2 * TPS);
        CHECK_EQ(r, 0);
        CHECK_EQ(emu_host_prot(g), RW);
        CHECK_EQ(flags_of(g + 2 * TPS), 0);
        /* the last live page goes: now the whole host page is released
           (end fragment with no live neighbour, mmap.c:661-668) */
        r = target_munmap(g, TPS);
        CHECK_EQ(r, 0);
        check_freed(g);
        check_freed(g + HPS - 1);
        /* spanning two host pages with live pages on both sides: nothing
           is released */
        r = target_munmap(g + HPS + TPS, HPS);
        CHECK_EQ(r, 0);
        CHECK_EQ(flags_of(g + HPS), VALID_RW);
        CHECK_EQ(flags_of(g + HPS + TPS), 0);
        CHECK_EQ(flags_of(g + 2 * HPS), 0);
        CHECK_EQ(flags_of(g + 2 * HPS + TPS), VALID_RW);
        CHECK_EQ(emu_host_prot(g + HPS), RW);
        CHECK_EQ(emu_host_prot(g + 2 * HPS), RW);
        CHECK(mem_is(g + 2 * HPS, TPS, 0x22));
        /* start fragment kept, middle and end released */
        r = target_munmap(g + HPS + TPS, 2 * HPS - TPS);
        CHECK_EQ(r, 0);
        CHECK_EQ(emu_host_prot(g + HPS), RW);
        check_freed(g + 2 * HPS);
        /* the single page of a host page with nothing else: released */
        CHECK_EQ(target_mmap(g + 3 * HPS + TPS, TPS, RW, ANON | MAP_FIXED,
                             -1, 0), (abi_long)(g + 3 * HPS + TPS));
        r = target_munmap(g + 3 * HPS + TPS, TPS);
        CHECK_EQ(r, 0);
        check_freed(g + 3 * HPS);
    } else {
        SKIP("partial host pages: needs host page > target page");
    }

    return check_summary();
}
