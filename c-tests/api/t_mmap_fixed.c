/* MAP_FIXED anonymous mappings (mmap.c target_mmap, MAP_FIXED branch with
   host-page aligned ranges: "map the middle"), replacing and splitting
   existing mappings, mapping guest address 0. */
#include "tcommon.h"

int main(void)
{
    abi_ulong a, next;
    abi_long r;

    emu_init_from_env();
    a = fresh(6 * HPS);
    next = mmap_next_start;

    /* onto an empty range */
    emu_tb_reset();
    r = target_mmap(a, 4 * HPS, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)a);
    CHECK_EQ(flags_of(a), VALID_RW);
    CHECK_EQ(flags_of(a + 4 * HPS - TPS), VALID_RW);
    CHECK_EQ(flags_of(a + 4 * HPS), 0);
    CHECK(mem_is(a, 4 * HPS, 0));
    CHECK_EQ(emu_host_prot(a), RW);
    CHECK_EQ(emu_tb_count(), 1);
    CHECK_LAST_TB(a, a + 4 * HPS);
    CHECK_EQ(mmap_next_start, next);     /* MAP_FIXED never searches */
    memset(H(a), 0x11, 4 * HPS);

    /* over the middle of an existing mapping: replaced (zeroed), new prot,
       the neighbours keep their data and flags */
    r = target_mmap(a + HPS, HPS, PROT_READ, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)(a + HPS));
    CHECK_EQ(flags_of(a + HPS), VALID_R);
    CHECK_EQ(flags_of(a), VALID_RW);
    CHECK_EQ(flags_of(a + 2 * HPS), VALID_RW);
    CHECK(mem_is(a + HPS, HPS, 0));
    CHECK(mem_is(a, HPS, 0x11));
    CHECK(mem_is(a + 2 * HPS, 2 * HPS, 0x11));
    CHECK_EQ(emu_host_prot(a + HPS), PROT_READ);
    CHECK(!emu_can_write(a + HPS));
    CHECK(emu_can_write(a));
    CHECK_LAST_TB(a + HPS, a + 2 * HPS);

    /* straddling the end of the existing mapping */
    r = target_mmap(a + 3 * HPS, 2 * HPS, PROT_READ | PROT_EXEC,
                    ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)(a + 3 * HPS));
    CHECK_EQ(flags_of(a + 3 * HPS), PAGE_VALID | PAGE_READ | PAGE_EXEC);
    CHECK_EQ(flags_of(a + 5 * HPS - TPS), PAGE_VALID | PAGE_READ | PAGE_EXEC);
    CHECK(mem_is(a + 2 * HPS, HPS, 0x11));
    CHECK(mem_is(a + 3 * HPS, 2 * HPS, 0));

    /* PROT_NONE fixed */
    r = target_mmap(a, HPS, PROT_NONE, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)a);
    CHECK_EQ(flags_of(a), PAGE_VALID);
    CHECK_EQ(emu_host_prot(a), 0);
    CHECK(!emu_can_read(a));

    /* MAP_SHARED|MAP_ANONYMOUS fixed */
    r = target_mmap(a, HPS, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)a);
    CHECK_EQ(flags_of(a), VALID_RW);
    CHECK(emu_can_write(a));

    /* guest address 0 */
    errno = 0;
    r = target_mmap(0, HPS, RW, ANON | MAP_FIXED, -1, 0);
    if (emu_guest_base() != 0 || r == 0) {
        /* g2h(0) is inside the guest space (or the host lets this
           privileged process map page 0): allowed */
        CHECK_EQ(r, 0);
        CHECK_EQ(flags_of(0), VALID_RW);
        CHECK(emu_can_write(0));
        CHECK_EQ(target_munmap(0, HPS), 0);
        CHECK_EQ(flags_of(0), 0);
    } else {
        /* identity mapping: the host refuses address 0 (mmap_min_addr) */
        CHECK_EQ(r, -1);
        CHECK(errno == EPERM || errno == EACCES);
        CHECK_EQ(flags_of(0), 0);
    }
    return check_summary();
}
