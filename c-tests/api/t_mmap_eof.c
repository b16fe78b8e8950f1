/* File mappings past EOF when the target page is larger than the real
   host page (alpha, sparc32plus...: 8 KiB target pages on a 4 KiB host):
   mmap.c:438-454 fstat()s the file and, when offset + len > st_size,
   truncates len to the file size rounded up to the real host page;
   the rest of the target page is anonymous, so the guest can read its
   whole last page without SIGBUS.
   Ours (D13): the whole length is mapped (page flags and invalidation
   cover it), the rest of the target page holding EOF reads as zero, pages
   wholly past EOF fault (SIGBUS) as on Linux; no negative length, so no
   refusal of a shared writable mapping past EOF, no EINVAL for an offset
   past EOF and no abort for MAP_FIXED there. */
#include "tcommon.h"

static int fd100, fd_big;

#if TARGET_ABI_BITS == 64
/* MAP_FIXED with an offset past EOF: len becomes (st_size - offset)
   rounded, a huge value (u64 wrap), end = start + len wraps below start,
   the end fragment is the host page *before* start (it is clobbered with
   a fresh page filled from file offset 0) and then
   page_set_flags(start, start + len) with start >= end aborts. */
static void fixed_beyond_eof(void *arg)
{
    abi_ulong g = *(abi_ulong *)arg;
    target_mmap(g + HPS, TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd100, TPS);
}
#endif

int main(void)
{
    abi_ulong a, g, next;
    abi_long r;

    emu_init_from_env();
    if (!(qemu_real_host_page_size < TARGET_PAGE_SIZE)) {
        SKIP("the EOF clamp needs a real host page smaller than the target page");
        return check_summary();
    }
    fd100 = emu_make_file(100);
    fd_big = emu_make_file(TPS + 100);

    /* ---- not fixed, 100-byte file, one target page: len becomes one
       real host page; host_len stays a whole host page (anonymous) */
    emu_tb_reset();
    a = target_mmap(0, TPS, PROT_READ, MAP_PRIVATE, fd100, 0);
    CHECK(a != FAILED);
    CHECK(mem_is_file(a, 100, 0));
    CHECK(mem_is(a + 100, TPS - 100, 0));
    CHECK(emu_can_read(a + RPS));              /* no SIGBUS past EOF */
    CHECK(emu_can_read(a + TPS - 1));
    CHECK_EQ(flags_of(a), VALID_R);            /* rounded up to the page */
    /* tb_invalidate sees the truncated length (D13: ours the whole one) */
    if (LINUX_FIXES) {
        CHECK_LAST_TB(a, a + TPS);
    } else {
        CHECK_LAST_TB(a, a + RPS);
    }

    /* ---- MAP_FIXED, file of one target page + 100 bytes, two pages:
       len = TPS + RPS, end fragment filled by pread */
    g = fresh(6 * HPS);
    emu_tb_reset();
    r = target_mmap(g, 2 * TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd_big, 0);
    CHECK_EQ(r, (abi_long)g);
    CHECK(mem_is_file(g, TPS + 100, 0));
    CHECK(mem_is(g + TPS + 100, TPS - 100, 0));
    CHECK(emu_can_read(g + 2 * TPS - 1));
    CHECK_EQ(flags_of(g), VALID_R);
    CHECK_EQ(flags_of(g + TPS), VALID_R);
    CHECK_EQ(flags_of(g + 2 * TPS), 0);
    CHECK_EQ(emu_host_prot(g + TPS), PROT_READ);
    if (LINUX_FIXES) {
        CHECK_LAST_TB(g, g + 2 * TPS);         /* D13 */
    } else {
        CHECK_LAST_TB(g, g + TPS + RPS);
    }

    /* 2.3 quirk: the EOF end fragment is file-backed, so a shared
       writable mapping that runs past EOF is refused by mmap_frag:
       -1 without errno */
    errno = EXDEV;
    r = target_mmap(g + 3 * HPS, 2 * TPS, RW, MAP_SHARED | MAP_FIXED, fd_big, 0);
    if (LINUX_FIXES) {
        /* D13: mapped like any shared mapping; the part of the last target
           page past EOF reads as zero */
        CHECK_EQ(r, (abi_long)(g + 3 * HPS));
        CHECK_EQ(flags_of(g + 3 * HPS + TPS), VALID_RW);
        CHECK(mem_is_file(g + 3 * HPS, TPS + 100, 0));
        CHECK(mem_is(g + 3 * HPS + TPS + 100, TPS - 100, 0));
        CHECK(emu_can_write(g + 3 * HPS + 2 * TPS - 1));
    } else {
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EXDEV);
        CHECK_EQ(flags_of(g + 3 * HPS), 0);
    }
    /* ... but one that ends exactly at EOF is fine (offset + len >
       st_size is strict) */
    {
        int fd_exact = emu_make_file(2 * TPS);
        unsigned char c;
        r = target_mmap(g + 3 * HPS, 2 * TPS, RW, MAP_SHARED | MAP_FIXED,
                        fd_exact, 0);
        CHECK_EQ(r, (abi_long)(g + 3 * HPS));
        H(g + 3 * HPS + TPS)[1] = 0x77;
        CHECK(pread(fd_exact, &c, 1, TPS + 1) == 1);
        CHECK_EQ(c, 0x77);
        close(fd_exact);
    }

    /* ---- offset + len inside the file: no truncation */
    a = target_mmap(0, TPS, PROT_READ, MAP_PRIVATE, fd_big, 0);
    CHECK(a != FAILED);
    CHECK(mem_is_file(a, TPS, 0));
    CHECK_LAST_TB(a, a + TPS);

    /* ---- not fixed, offset past EOF: len = st_size - offset wraps to a
       huge value and host_len rounds to 0; the host mmap fails with
       EINVAL.  (Linux would accept the mapping and SIGBUS on access.) */
    errno = 0;
    r = target_mmap(0, TPS, PROT_READ, MAP_PRIVATE, fd100, TPS);
    if (LINUX_FIXES) {
        /* D13: as on Linux, mapped, and the page (wholly past EOF) faults */
        CHECK(r != -1);
        CHECK_EQ(flags_of(r), VALID_R);
        CHECK(!emu_can_read(r));
    } else {
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EINVAL);
    }

    /* ---- fstat fails (bad fd): -1 EBADF.  2.3 quirk: without
       reserved_va, mmap_find_vma has already reserved the range
       (PROT_NONE) and advanced mmap_next_start; the reservation leaks. */
    next = mmap_next_start;
    errno = 0;
    r = target_mmap(0, TPS, PROT_READ, MAP_PRIVATE, 1000, 0);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EBADF);
    if (!is_reserved() && next >= T_TASK_UNMAPPED_BASE &&
        mmap_next_start == next + HPS) {
        if (LINUX_FIXES) {
            /* UNDOC-1: ours gives the range back, nothing leaks */
            CHECK(!emu_host_mapped(next));
        } else {
            CHECK_EQ(emu_host_prot(next), 0);      /* leaked PROT_NONE */
        }
        CHECK_EQ(flags_of(next), 0);
    } else if (!is_reserved()) {
        SKIP("the search did not start at mmap_next_start");
    }
    errno = 0;
    r = target_mmap(g, TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, 1000, 0);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EBADF);

    /* anonymous mappings never fstat */
    a = target_mmap(0, TPS, PROT_READ, ANON, 1000, 0);
    CHECK(a != FAILED);

    /* ---- MAP_FIXED past EOF */
    if (LINUX_FIXES) {
        /* D13: mapped where asked; the page lies wholly past EOF, so it
           faults; the host page before it is left alone */
        g = fresh(3 * HPS);
        CHECK_EQ(target_mmap(g, HPS, RW, ANON | MAP_FIXED, -1, 0),
                 (abi_long)g);
        memset(H(g), 0x31, HPS);
        r = target_mmap(g + HPS, TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED,
                        fd100, TPS);
        CHECK_EQ(r, (abi_long)(g + HPS));
        CHECK_EQ(flags_of(g + HPS), VALID_R);
        CHECK(!emu_can_read(g + HPS));
        CHECK(mem_is(g, HPS, 0x31));
        CHECK_EQ(flags_of(g), VALID_RW);
    } else {
#if TARGET_ABI_BITS == 64
    g = fresh(3 * HPS);
    CHECK_ABORTS_MSG(fixed_beyond_eof, &g, PSF_START_END);
#else
    /* with a 32-bit ABI the wrapped length trips the MAP_FIXED overflow
       test first */
    g = fresh(3 * HPS);
    errno = 0;
    r = target_mmap(g + HPS, TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd100, TPS);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(flags_of(g + HPS), 0);
#endif
    }

    close(fd100);
    close(fd_big);
    return check_summary();
}
