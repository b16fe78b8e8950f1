/* Which calls invalidate translated code, and with which range:
   target_mmap: tb_invalidate_phys_range(start, start + len, 0) on success
   (also for len 0); target_munmap: (start, start + len) when the unmap
   worked; target_mremap: (new, new + new_size) always, with new = -1 on
   failure; target_mprotect and target_msync: never.  The third argument
   is always 0 (not observable here).
   Ours: D1 (length 0 fails, no invalidation), D8 (mprotect dropping
   PROT_EXEC invalidates its range), D24 (mremap invalidates the old range
   too, a failure nothing). */
#include "tcommon.h"

int main(void)
{
    abi_ulong a, b, g;
    abi_long r;

    emu_init_from_env();
    emu_tb_reset();

    a = target_mmap(0, 3 * TPS, RW, ANON, -1, 0);
    CHECK_EQ(emu_tb_count(), 1);
    CHECK_LAST_TB(a, a + 3 * TPS);
    g = fresh(4 * HPS);
    emu_tb_reset();
    r = target_mmap(g, 2 * HPS, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)g);
    CHECK_EQ(emu_tb_count(), 1);
    CHECK_LAST_TB(g, g + 2 * HPS);
    r = target_mmap(g + HPS, 5, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_LAST_TB(g + HPS, g + HPS + TPS);
    r = target_mmap(g + 7 * TPS, 0, RW, ANON | MAP_FIXED, -1, 0);
    if (LINUX_FIXES) {
        /* D1: length 0 is -1/EINVAL, nothing invalidated */
        CHECK_EQ(r, -1);
        CHECK_EQ(emu_tb_count(), 2);
    } else {
        CHECK_EQ(r, (abi_long)(g + 7 * TPS));
        CHECK_EQ(emu_tb_count(), 3);
        CHECK_LAST_TB(g + 7 * TPS, g + 7 * TPS);
    }

    /* failures before the_end: nothing */
    emu_tb_reset();
    CHECK_EQ(target_mmap(g + 1, TPS, RW, ANON | MAP_FIXED, -1, 0), -1);
    CHECK_EQ(target_mmap(g, TPS, RW, ANON | MAP_FIXED, -1, 1), -1);
    CHECK_EQ(emu_tb_count(), 0);

    /* mprotect, msync: nothing */
    CHECK_EQ(target_mprotect(a, TPS, PROT_READ), 0);
    CHECK_EQ(target_msync(a, TPS, MS_SYNC), 0);
    CHECK_EQ(emu_tb_count(), 0);
    /* mprotect taking PROT_EXEC away: 2.3 keeps the translated code; D8:
       ours invalidates the range (keeping exec, or adding it, does not) */
    CHECK_EQ(target_mprotect(a + TPS, TPS, PROT_READ | PROT_EXEC), 0);
    CHECK_EQ(target_mprotect(a + TPS, TPS, PROT_READ | PROT_EXEC), 0);
    CHECK_EQ(emu_tb_count(), 0);
    CHECK_EQ(target_mprotect(a + TPS, TPS, PROT_READ), 0);
    if (LINUX_FIXES) {
        /* D8 */
        CHECK_EQ(emu_tb_count(), 1);
        CHECK_LAST_TB(a + TPS, a + 2 * TPS);
        emu_tb_reset();
    } else {
        CHECK_EQ(emu_tb_count(), 0);
    }

    /* munmap */
    CHECK_EQ(target_munmap(a, 3 * TPS), 0);
    CHECK_EQ(emu_tb_count(), 1);
    CHECK_LAST_TB(a, a + 3 * TPS);
    CHECK_EQ(target_munmap(a + 1, TPS), -EINVAL);
    CHECK_EQ(target_munmap(a, 0), -EINVAL);
    CHECK_EQ(emu_tb_count(), 1);

    /* mremap: success and failure */
    emu_tb_reset();
    b = target_mremap(g, HPS, HPS, MREMAP_MAYMOVE, 0);
    CHECK(b != FAILED);
    if (LINUX_FIXES) {
        /* D24: the old range too, then the new one */
        CHECK_EQ(emu_tb_count(), 2);
        CHECK_EQ(emu_tb_get(0).start, g);
        CHECK_EQ(emu_tb_get(0).end, g + HPS);
    } else {
        CHECK_EQ(emu_tb_count(), 1);
    }
    CHECK_LAST_TB(b, b + HPS);
    emu_tb_reset();
    errno = 0;
    r = target_mremap(b, HPS, 2 * HPS, MREMAP_FIXED, g);
    CHECK_EQ(r, -1);
    if (LINUX_FIXES) {
        /* D21: MREMAP_FIXED without MREMAP_MAYMOVE is EINVAL before
           anything happens; D24: a failure invalidates nothing */
        CHECK_EQ(errno, EINVAL);
        CHECK_EQ(emu_tb_count(), 0);
    } else {
        /* 2.3 quirk: tb_invalidate_phys_range(-1, -1 + new_size) */
        CHECK_EQ(emu_tb_count(), 1);
        CHECK_LAST_TB(FAILED, FAILED + 2 * HPS);
    }

    return check_summary();
}
