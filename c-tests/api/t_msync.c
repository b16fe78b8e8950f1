/* target_msync (mmap.c:766-781): literal -EINVAL for a misaligned start or
   a wrapping range, 0 for an empty one, otherwise host msync from the
   start rounded down to the host page (-1 with errno on failure).  It takes
   no lock (see t_lock) and has no caller in 2.3.  Ours (D9): a wrapping
   range is -ENOMEM, unmapped guest pages -1/ENOMEM even under reserved_va;
   bad flags stay -1/EINVAL. */
#include "tcommon.h"

int main(void)
{
    abi_ulong a, g;
    int fd, r;
    unsigned char c;

    emu_init_from_env();
    fd = emu_make_file(4 * HPS);

    a = target_mmap(0, 2 * HPS, RW, MAP_SHARED, fd, 0);
    CHECK(a != FAILED);
    H(a)[HPS + 3] = 0xee;
    emu_tb_reset();
    errno = EXDEV;
    r = target_msync(a, 2 * HPS, MS_SYNC);
    CHECK_EQ(r, 0);
    CHECK_EQ(errno, EXDEV);
    CHECK(pread(fd, &c, 1, HPS + 3) == 1);
    CHECK_EQ(c, 0xee);
    r = target_msync(a + TPS, 1, MS_ASYNC);
    CHECK_EQ(r, 0);
    r = target_msync(a, HPS, MS_INVALIDATE);
    CHECK_EQ(r, 0);
    CHECK_EQ(emu_tb_count(), 0);

    /* literal -EINVAL */
    errno = EXDEV;
    CHECK_EQ(target_msync(a + 1, TPS, MS_SYNC), -EINVAL);
    CHECK_EQ(target_msync(a + TPS / 2, TPS, MS_SYNC), -EINVAL);
    /* D9: a wrapping range is Linux's literal -ENOMEM in ours */
    CHECK_EQ_DIV("D9", target_msync((abi_ulong)0 - TPS, 2 * TPS, MS_SYNC),
                 -EINVAL, -ENOMEM);
    CHECK_EQ(errno, EXDEV);
    /* empty range: 0 */
    CHECK_EQ(target_msync(a, 0, MS_SYNC), 0);
    /* up to the very top: start + len == 0 is "end < start" (D9: -ENOMEM) */
    CHECK_EQ_DIV("D9", target_msync((abi_ulong)0 - TPS, TPS, MS_SYNC),
                 -EINVAL, -ENOMEM);
    CHECK_EQ(errno, EXDEV);

    /* host errors: -1 with the host errno */
    errno = 0;
    r = target_msync(a, HPS, MS_SYNC | MS_ASYNC);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EINVAL);
    g = fresh(2 * HPS);
    errno = 0;
    r = target_msync(g, HPS, MS_SYNC);
    if (LINUX_FIXES) {
        /* D9: unmapped guest pages are -1/ENOMEM, reserved or not */
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
    } else if (is_reserved()) {
        CHECK_EQ(r, 0);         /* the PROT_NONE reservation is mapped */
    } else {
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
    }

    /* the start is rounded down to the host page: a target page whose
       host page begins with an unmapped real page fails */
    if (HPS > TPS) {
        g = fresh(2 * HPS);
        CHECK_EQ(target_mmap(g, HPS, RW, MAP_SHARED | MAP_FIXED, fd, 0),
                 (abi_long)g);
        CHECK_EQ(target_msync(g + TPS, TPS, MS_SYNC), 0);
        /* the test itself leaves a hole: the emulator-storage checker
           (emu.h) is off from here on */
        emu_check_enable(0);
        munmap(H(g), TPS);
        errno = 0;
        r = target_msync(g + TPS, TPS, MS_SYNC);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
        CHECK_EQ(target_msync(g + HPS - TPS, TPS, MS_SYNC), -1);
    } else {
        SKIP("host-page rounding of the start: needs host page > target page");
    }

    close(fd);
    return check_summary();
}
