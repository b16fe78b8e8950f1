/* Anonymous, non-fixed target_mmap: mmap.c target_mmap, !MAP_FIXED branch
   (mmap_find_vma, then host mmap MAP_FIXED|MAP_ANONYMOUS of host_len),
   the_end1 (page_set_flags prot|PAGE_VALID), the_end (tb_invalidate). */
#include "tcommon.h"

int main(void)
{
    abi_ulong a, b, len;
    int i;

    emu_init_from_env();

    /* read/write private anonymous */
    len = 3 * TPS;
    emu_tb_reset();
    a = target_mmap(0, len, RW, ANON, -1, 0);
    CHECK(a != FAILED);
    CHECK_EQ(a & ~(abi_ulong)TARGET_PAGE_MASK, 0);
    CHECK_EQ(a & (HPS - 1), 0);      /* the search works in host pages */
    for (i = 0; i < 3; i++) {
        CHECK_EQ(flags_of(a + i * TPS), VALID_RW);
        CHECK(emu_can_write(a + i * TPS));
    }
    CHECK_EQ(flags_of(a + len), 0);
    CHECK(mem_is(a, len, 0));
    memset(H(a), 0x5a, len);
    CHECK(mem_is(a, len, 0x5a));
    CHECK_EQ(emu_host_prot(a), RW);
    CHECK_EQ(emu_tb_count(), 1);
    CHECK_LAST_TB(a, a + len);

    /* read-only: host really read-only */
    b = target_mmap(0, TPS, PROT_READ, ANON, -1, 0);
    CHECK(b != FAILED);
    CHECK(b != a);
    CHECK_EQ(flags_of(b), VALID_R);
    CHECK_EQ(emu_host_prot(b), PROT_READ);
    CHECK(emu_can_read(b));
    CHECK(!emu_can_write(b));
    /* the whole host page (host_len) is mapped, flags only for len */
    CHECK_EQ(emu_host_prot(b + HPS - 1), PROT_READ);
    if (HPS > TPS) {
        CHECK_EQ(flags_of(b + TPS), 0);
    }

    /* PROT_NONE: valid but inaccessible */
    b = target_mmap(0, TPS, PROT_NONE, ANON, -1, 0);
    CHECK(b != FAILED);
    CHECK_EQ(flags_of(b), PAGE_VALID);
    CHECK_EQ(emu_host_prot(b), 0);
    CHECK(!emu_can_read(b));

    /* exec */
    b = target_mmap(0, TPS, PROT_READ | PROT_EXEC, ANON, -1, 0);
    CHECK(b != FAILED);
    CHECK_EQ(flags_of(b), PAGE_VALID | PAGE_READ | PAGE_EXEC);
    CHECK_EQ(emu_host_prot(b), PROT_READ | PROT_EXEC);

    /* shared anonymous */
    b = target_mmap(0, 2 * TPS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(b != FAILED);
    CHECK_EQ(flags_of(b + TPS), VALID_RW);
    H(b)[5] = 7;
    CHECK_EQ(H(b)[5], 7);

    /* write-only: flags keep exactly what was asked (+WRITE_ORG) */
    b = target_mmap(0, TPS, PROT_WRITE, ANON, -1, 0);
    CHECK(b != FAILED);
    CHECK_EQ(flags_of(b), PAGE_VALID | PAGE_WRITE | PAGE_WRITE_ORG);

    /* prot is passed to the host and stored in the page flags unmasked
       (CONTRACT 10.8): an unknown bit 0x40 ends up in the flags.
       D31: ours stores only (prot & PAGE_BITS) | PAGE_VALID (the host still
       gets prot as given). */
    b = target_mmap(0, TPS, PROT_READ | 0x40, ANON, -1, 0);
    CHECK(b != FAILED);
    CHECK_EQ_DIV("D31", flags_of(b), PAGE_VALID | PAGE_READ | 0x40,
                 PAGE_VALID | PAGE_READ);
    CHECK_EQ(emu_host_prot(b), PROT_READ);

    /* len is rounded up to target pages */
    b = target_mmap(0, 1, RW, ANON, -1, 0);
    CHECK(b != FAILED);
    CHECK_EQ(flags_of(b), VALID_RW);
    CHECK_LAST_TB(b, b + TPS);
    b = target_mmap(0, TPS + 1, RW, ANON, -1, 0);
    CHECK(b != FAILED);
    CHECK_EQ(flags_of(b + TPS), VALID_RW);
    CHECK_LAST_TB(b, b + 2 * TPS);

    /* MAP_NORESERVE etc. pass through */
    b = target_mmap(0, 16 * TPS, RW, ANON | MAP_NORESERVE, -1, 0);
    CHECK(b != FAILED);
    CHECK_EQ(flags_of(b + 15 * TPS), VALID_RW);

    return check_summary();
}
