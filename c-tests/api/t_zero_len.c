/* Each function's answer to a zero length, and to a length that wraps to 0
   when TARGET_PAGE_ALIGN rounds it (CONTRACT 4a.9, 10.9):
     target_mmap     returns start unchanged (success), after the offset check
                     (ours, D1/D2: -1 with EINVAL for 0, ENOMEM for a wrap)
     target_mprotect 0, after the alignment check (ours, D5: 0 for 0 but a
                     wrapping length is -ENOMEM)
     target_munmap   -EINVAL (literal, errno untouched)
     target_msync    0 (ours, D9: a wrapping length is -ENOMEM)
   mmap.c target_mmap:408-410 (goto the_end: tb_invalidate(start, start)),
   target_mprotect:83-91, target_munmap:636-640, target_msync:770-777. */
#include "tcommon.h"

int main(void)
{
    abi_ulong a, wrap_len = (abi_ulong)0 - TPS + 1; /* aligns to 0 */
    abi_long r;
    unsigned long before;

    emu_init_from_env();
    a = target_mmap(0, 2 * TPS, RW, ANON, -1, 0);
    CHECK(a != FAILED);
    H(a)[0] = 0x42;
    before = emu_page_set_flags_calls;

    /* ---- target_mmap ---- */
    emu_tb_reset();
    errno = EXDEV;
    r = target_mmap(a, 0, RW, ANON | MAP_FIXED, -1, 0);
    if (LINUX_FIXES) {
        /* D1: a zero length is -1/EINVAL, as on Linux */
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EINVAL);
        CHECK_EQ(emu_tb_count(), 0);
    } else {
        /* 2.3 quirk: "succeeds" with start, errno untouched */
        CHECK_EQ(r, (abi_long)a);
        CHECK_EQ(errno, EXDEV);
        CHECK_EQ(emu_tb_count(), 1);     /* the_end still invalidates */
        CHECK_LAST_TB(a, a);
    }
    CHECK_EQ(H(a)[0], 0x42);             /* nothing was remapped */
    CHECK_EQ(emu_page_set_flags_calls, before);

    /* any start, even misaligned or unmapped, even without MAP_FIXED */
    emu_tb_reset();
    errno = 0;
    r = target_mmap(0x1234, 0, RW, ANON, -1, 0);
    if (LINUX_FIXES) {
        /* D1 */
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EINVAL);
        CHECK_EQ(emu_tb_count(), 0);
    } else {
        CHECK_EQ(r, 0x1234);
        CHECK_LAST_TB(0x1234, 0x1234);
    }
    errno = 0;
    r = target_mmap(0x1235, 0, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ_DIV("D1", r, 0x1235, -1);
    CHECK_EQ_DIV("D1", errno, 0, EINVAL);
    errno = 0;
    r = target_mmap(0, 0, RW, ANON, -1, 0);
    CHECK_EQ_DIV("D1", r, 0, -1);
    CHECK_EQ_DIV("D1", errno, 0, EINVAL);
    /* no fd check either (ours, D39: the descriptor is looked up before
       the length, as Linux does: EBADF) */
    errno = 0;
    r = target_mmap(a + TPS, 0, PROT_READ, MAP_PRIVATE, -1, 0);
    CHECK_EQ_DIV("D1", r, (abi_long)(a + TPS), -1);
    CHECK_EQ_DIV("D39", errno, 0, EBADF);
    CHECK_EQ(emu_page_set_flags_calls, before);
    /* the offset check comes first */
    errno = 0;
    r = target_mmap(a, 0, RW, ANON, -1, 1);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EINVAL);
    /* a length that wraps to 0 when aligned */
    emu_tb_reset();
    errno = 0;
    r = target_mmap(a, wrap_len, RW, ANON | MAP_FIXED, -1, 0);
    if (LINUX_FIXES) {
        /* D2: -1/ENOMEM, nothing invalidated */
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
        CHECK_EQ(emu_tb_count(), 0);
    } else {
        /* 2.3 quirk: wraps to 0 and "succeeds" with start */
        CHECK_EQ(r, (abi_long)a);
        CHECK_LAST_TB(a, a);
    }
    errno = 0;
    r = target_mmap(a, (abi_ulong)-1, RW, ANON, -1, 0);
    CHECK_EQ_DIV("D2", r, (abi_long)a, -1);
    CHECK_EQ_DIV("D2", errno, 0, ENOMEM);
    CHECK_EQ(H(a)[0], 0x42);
    CHECK_EQ(flags_of(a), VALID_RW);
#if TARGET_ABI_BITS == 32
    errno = 0;
    r = target_mmap(a, 0xfffff001, RW, ANON, -1, 0);
    CHECK_EQ_DIV("D2", r, (abi_long)a, -1);
    CHECK_EQ_DIV("D2", errno, 0, ENOMEM);
#endif
    CHECK_EQ(emu_page_set_flags_calls, before);

    /* ---- target_mprotect ---- */
    emu_tb_reset();
    errno = EXDEV;
    CHECK_EQ(target_mprotect(a, 0, PROT_READ), 0);
    CHECK_EQ(flags_of(a), VALID_RW);
    CHECK_EQ(emu_host_prot(a), RW);
    /* D5: a length that wraps when aligned is the literal -ENOMEM of Linux
       (2.3: rounds to 0, returns 0) */
    CHECK_EQ_DIV("D5", target_mprotect(a, wrap_len, PROT_READ), 0, -ENOMEM);
    CHECK_EQ_DIV("D5", target_mprotect(a, (abi_ulong)-1, PROT_NONE), 0,
                 -ENOMEM);
    CHECK_EQ(flags_of(a), VALID_RW);
    CHECK_EQ(target_mprotect(0, 0, PROT_READ), 0);
    /* alignment is checked before the length */
    CHECK_EQ(target_mprotect(a + 1, 0, PROT_READ), -EINVAL);
    CHECK_EQ(errno, EXDEV);
    CHECK_EQ(emu_tb_count(), 0);         /* mprotect never invalidates */

    /* ---- target_munmap ---- */
    errno = EXDEV;
    CHECK_EQ(target_munmap(a, 0), -EINVAL);
    CHECK_EQ(target_munmap(a, wrap_len), -EINVAL);
    CHECK_EQ(target_munmap(a, (abi_ulong)-1), -EINVAL);
    CHECK_EQ(target_munmap(a + 1, 0), -EINVAL);
    CHECK_EQ(errno, EXDEV);
    CHECK_EQ(flags_of(a), VALID_RW);
    CHECK_EQ(H(a)[0], 0x42);
    CHECK_EQ(emu_tb_count(), 0);

    /* ---- target_msync ---- */
    CHECK_EQ(target_msync(a, 0, MS_SYNC), 0);
    /* a length that rounds to 0: 0, as Linux (and 2.3) */
    CHECK_EQ(target_msync(a, wrap_len, MS_SYNC), 0);
    CHECK_EQ(target_msync(a + 1, 0, MS_SYNC), -EINVAL);
    /* even for an address that is not mapped at all */
    CHECK_EQ(target_msync(0, 0, MS_SYNC), 0);
    CHECK_EQ(errno, EXDEV);

    return check_summary();
}
