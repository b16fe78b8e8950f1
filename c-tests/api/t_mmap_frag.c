/* MAP_FIXED mappings that cover only part of a host page, when the host
   page is larger than the target page (-p 65536 on a 4 KiB host):
   mmap.c mmap_frag and its callers in target_mmap (mmap.c:528-553):
   single-page fragment, start fragment, end fragment, middle;
   anonymous and file-backed; the shared-writable refusal.
   Ours: D10 (fresh anonymous fragments read as zero), D11 (the
   shared-writable refusal is -1/EINVAL and maps nothing), D30 (the end
   fragment is [last host page, end): live pages after it keep their
   data). */
#include "tcommon.h"

int main(void)
{
    abi_ulong g, f;
    abi_long r;
    int fd, pfd[2];
    unsigned char c;

    emu_init_from_env();
    if (HPS <= TPS) {
        SKIP("no fragments when the host page is the target page");
        return check_summary();
    }
    fd = emu_make_file(8 * HPS);

    /* ---- a: single-page fragment into an empty host page (mmap_frag:
       prot1 == 0 -> a fresh anonymous host page, mmap.c:158-165) */
    g = fresh(4 * HPS);
    emu_tb_reset();
    r = target_mmap(g + TPS, TPS, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)(g + TPS));
    CHECK_EQ(flags_of(g + TPS), VALID_RW);
    CHECK_EQ(flags_of(g), 0);
    CHECK_EQ(flags_of(g + 2 * TPS), 0);
    CHECK_EQ(emu_host_prot(g), RW);            /* the whole host page */
    CHECK_EQ(emu_host_prot(g + HPS - 1), RW);
    CHECK_EQ(emu_tb_count(), 1);
    CHECK_LAST_TB(g + TPS, g + 2 * TPS);
    memset(H(g + TPS), 0x11, TPS);

    /* ---- b: a second fragment in the same host page, read-only: prot1 is
       the neighbour's RW, prot_new == prot1, no mprotect; the guest page is
       read-only but the host page stays writable */
    r = target_mmap(g + 3 * TPS, TPS, PROT_READ, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)(g + 3 * TPS));
    CHECK_EQ(flags_of(g + 3 * TPS), VALID_R);
    CHECK_EQ(flags_of(g + TPS), VALID_RW);
    CHECK_EQ(emu_host_prot(g), RW);
    CHECK(emu_can_write(g + 3 * TPS));
    CHECK(mem_is(g + TPS, TPS, 0x11));         /* neighbour untouched */

    /* 2.3 quirk: an anonymous MAP_FIXED fragment into a host page that is
       already mapped is not cleared: whatever the host page held there
       becomes the new page's contents. */
    memset(H(g + 5 * TPS), 0x22, TPS);
    r = target_mmap(g + 5 * TPS, TPS, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)(g + 5 * TPS));
    if (LINUX_FIXES) {
        CHECK(mem_is(g + 5 * TPS, TPS, 0));    /* D10: fresh memory is zero */
    } else {
        CHECK(mem_is(g + 5 * TPS, TPS, 0x22));
    }
    CHECK(mem_is(g + TPS, TPS, 0x11));         /* neighbour untouched */

    /* a single-page fragment also looks at the target pages after its
       end (mmap.c:153-156): a live page there keeps the host page */
    f = g + 2 * HPS;
    r = target_mmap(f + 5 * TPS, TPS, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)(f + 5 * TPS));
    memset(H(f + 5 * TPS), 0x66, TPS);
    r = target_mmap(f + 2 * TPS, TPS, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)(f + 2 * TPS));
    CHECK(mem_is(f + 5 * TPS, TPS, 0x66));

    /* mprotect union: a fragment with more rights widens the host page
       (prot_new != prot1, mmap.c:189-191) */
    f = g + HPS;
    r = target_mmap(f, TPS, PROT_READ, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)f);
    CHECK_EQ(emu_host_prot(f), PROT_READ);
    r = target_mmap(f + 2 * TPS, TPS, PROT_READ | PROT_EXEC, ANON | MAP_FIXED,
                    -1, 0);
    CHECK_EQ(r, (abi_long)(f + 2 * TPS));
    CHECK_EQ(emu_host_prot(f), PROT_READ | PROT_EXEC);
    CHECK_EQ(flags_of(f), VALID_R);
    CHECK_EQ(flags_of(f + 2 * TPS), PAGE_VALID | PAGE_READ | PAGE_EXEC);

    /* ---- c: start fragment + middle + end fragment */
    g = fresh(5 * HPS);
    emu_tb_reset();
    r = target_mmap(g + TPS, 2 * HPS, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)(g + TPS));
    CHECK_EQ(flags_of(g), 0);
    CHECK_EQ(flags_of(g + TPS), VALID_RW);
    CHECK_EQ(flags_of(g + 2 * HPS + TPS - TPS), VALID_RW);
    CHECK_EQ(flags_of(g + 2 * HPS + TPS), 0);
    CHECK_EQ(emu_host_prot(g), RW);
    CHECK_EQ(emu_host_prot(g + HPS), RW);
    CHECK_EQ(emu_host_prot(g + 2 * HPS), RW);
    CHECK_EQ(emu_host_prot(g + 3 * HPS - 1), RW);
    CHECK(mem_is(g, 3 * HPS, 0));
    CHECK_EQ(emu_tb_count(), 1);
    CHECK_LAST_TB(g + TPS, g + 2 * HPS + TPS);

    /* ---- d: 2.3 bug: the end fragment is called as
       mmap_frag(real_end - hps, real_end - hps, real_end, ...), i.e. with
       the whole host page as the "mapping", so it never sees the target
       pages after `end` and always maps a fresh anonymous host page over
       them: a live page later in that host page loses its contents (its
       page flags stay). */
    g = fresh(3 * HPS);
    r = target_mmap(g + HPS + 2 * TPS, TPS, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)(g + HPS + 2 * TPS));
    memset(H(g + HPS + 2 * TPS), 0x33, TPS);
    r = target_mmap(g, HPS + TPS, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, (abi_long)g);
    CHECK_EQ(flags_of(g + HPS), VALID_RW);
    CHECK_EQ(flags_of(g + HPS + TPS), 0);
    CHECK_EQ(flags_of(g + HPS + 2 * TPS), VALID_RW);   /* flags stay */
    if (LINUX_FIXES) {
        CHECK(mem_is(g + HPS + 2 * TPS, TPS, 0x33));   /* D30: data kept */
        CHECK(mem_is(g, HPS + TPS, 0));
    } else {
        CHECK(mem_is(g + HPS + 2 * TPS, TPS, 0));      /* data lost */
    }
    /* the start fragment does look at the pages before start */
    memset(H(g + HPS + 2 * TPS), 0x44, TPS);
    r = target_mmap(g + HPS + 3 * TPS, HPS - 3 * TPS, RW, ANON | MAP_FIXED,
                    -1, 0);
    CHECK_EQ(r, (abi_long)(g + HPS + 3 * TPS));
    CHECK(mem_is(g + HPS + 2 * TPS, TPS, 0x44));

    /* ---- e: file-backed fragments: the host page is mapped anonymous,
       made writable, filled with pread, then given its final protection
       (mmap.c:169-186).  Start fragment reads [start, end of host page);
       the end fragment reads its whole host page from the file. */
    g = fresh(3 * HPS);
    emu_tb_reset();
    r = target_mmap(g + TPS, HPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, TPS);
    CHECK_EQ(r, (abi_long)(g + TPS));
    CHECK(mem_is_file(g + TPS, HPS, TPS));
    CHECK_EQ(flags_of(g + TPS), VALID_R);
    CHECK_EQ(flags_of(g + HPS), VALID_R);
    CHECK_EQ(flags_of(g + HPS + TPS), 0);
    CHECK_EQ(flags_of(g), 0);
    CHECK(mem_is(g, TPS, 0));
    /* the end fragment read the rest of its host page too (not guest
       visible through the page flags, but present in host memory).
       D30: ours reads only [last host page, end); the rest of that (fresh)
       host page is zero */
    if (LINUX_FIXES) {
        CHECK(mem_is(g + HPS + TPS, HPS - TPS, 0));
    } else {
        CHECK(mem_is_file(g + HPS + TPS, HPS - TPS, HPS + TPS));
    }
    CHECK_EQ(emu_host_prot(g), PROT_READ);
    CHECK_EQ(emu_host_prot(g + HPS), PROT_READ);
    CHECK(!emu_can_write(g + TPS));
    CHECK(!emu_can_write(g + HPS));
    CHECK_LAST_TB(g + TPS, g + HPS + TPS);
    /* private: writes do not reach the file */
    r = target_mmap(g + 2 * HPS + TPS, TPS, RW, MAP_PRIVATE | MAP_FIXED, fd,
                    TPS);
    CHECK_EQ(r, (abi_long)(g + 2 * HPS + TPS));
    CHECK(mem_is_file(g + 2 * HPS + TPS, TPS, TPS));
    CHECK_EQ(emu_host_prot(g + 2 * HPS), RW);
    H(g + 2 * HPS + TPS)[0] ^= 0xff;
    CHECK(pread(fd, &c, 1, TPS) == 1);
    CHECK_EQ(c, emu_file_byte(TPS));
    /* a file fragment next to a read-only neighbour: the host page is
       made writable for the pread, then gets the union prot_new */
    r = target_mmap(g + 2 * HPS + 3 * TPS, TPS, PROT_READ | PROT_EXEC,
                    MAP_PRIVATE | MAP_FIXED, fd, 3 * TPS);
    CHECK_EQ(r, (abi_long)(g + 2 * HPS + 3 * TPS));
    CHECK(mem_is_file(g + 2 * HPS + 3 * TPS, TPS, 3 * TPS));
    CHECK_EQ(emu_host_prot(g + 2 * HPS), PROT_READ | PROT_WRITE | PROT_EXEC);

    /* ---- f: shared + writable file fragment: mmap_frag refuses
       (mmap.c:172-174).  2.3 quirk: it returns -1 without setting errno,
       and the fresh anonymous host page it already mapped stays. */
    g = fresh(2 * HPS);
    emu_tb_reset();
    errno = EXDEV;
    r = target_mmap(g + TPS, TPS, RW, MAP_SHARED | MAP_FIXED, fd, TPS);
    CHECK_EQ(r, -1);
    CHECK_EQ(flags_of(g + TPS), 0);
    if (LINUX_FIXES) {
        /* D11: errno EINVAL, and no host page left behind */
        CHECK_EQ(errno, EINVAL);
        CHECK_EQ(emu_host_prot(g), is_reserved() ? 0 : -1);
    } else {
        CHECK_EQ(errno, EXDEV);
        CHECK_EQ(emu_host_prot(g), RW);
    }
    CHECK_EQ(emu_tb_count(), 0);
    /* read-only shared fragments are accepted (a private copy) */
    r = target_mmap(g + TPS, TPS, PROT_READ, MAP_SHARED | MAP_FIXED, fd, TPS);
    CHECK_EQ(r, (abi_long)(g + TPS));
    CHECK(mem_is_file(g + TPS, TPS, TPS));
    /* whole host pages of a shared writable file are mapped directly */
    r = target_mmap(g + HPS, HPS, RW, MAP_SHARED | MAP_FIXED, fd, HPS);
    CHECK_EQ(r, (abi_long)(g + HPS));
    H(g + HPS)[9] = 0x99;
    CHECK(pread(fd, &c, 1, HPS + 9) == 1);
    CHECK_EQ(c, 0x99);
    H(g + HPS)[9] = emu_file_byte(HPS + 9);

    /* ---- g: pread failure in a fragment -> -1 with pread's errno (ours,
       D36: the host is asked first whether it maps the file: ENODEV, as
       Linux, before anything changes) */
    CHECK(pipe(pfd) == 0);
    g = fresh(2 * HPS);
    errno = 0;
    r = target_mmap(g + TPS, TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, pfd[0],
                    TPS);
    CHECK_EQ(r, -1);
    CHECK_EQ_DIV("D36", errno, ESPIPE, ENODEV);
    CHECK_EQ(flags_of(g + TPS), 0);
    close(pfd[0]);
    close(pfd[1]);

    /* ---- h: the fragment's own host mmap fails (mmap.c:162-163): an
       anonymous mapping with MAP_SHARED_VALIDATE is refused by Linux */
    g = fresh(2 * HPS);
    errno = 0;
    r = target_mmap(g + TPS, TPS, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS |
                    MAP_FIXED, -1, 0);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(flags_of(g + TPS), 0);
    /* a failing start fragment stops before the middle is mapped (ours
       maps the middle first and releases it again) */
    errno = 0;
    r = target_mmap(g + TPS, HPS, RW, MAP_SHARED | MAP_FIXED, fd, TPS);
    CHECK_EQ(r, -1);
    CHECK_EQ(flags_of(g + HPS), 0);
    if (LINUX_FIXES) {
        CHECK_EQ(errno, EINVAL);                        /* D11 */
        CHECK_EQ(emu_host_prot(g + HPS), is_reserved() ? 0 : -1);
    }
    /* the end fragment is handled before the middle: when it refuses, the
       middle is never mapped, and the end fragment's fresh anonymous host
       page stays */
    g = fresh(3 * HPS);
    errno = EXDEV;
    r = target_mmap(g, HPS + TPS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
    CHECK_EQ(r, -1);
    CHECK_EQ(flags_of(g), 0);
    if (LINUX_FIXES) {
        /* D11: EINVAL, nothing left mapped (ours maps the middle first,
           then releases the whole range) */
        CHECK_EQ(errno, EINVAL);
        CHECK_EQ(emu_host_prot(g + HPS), is_reserved() ? 0 : -1);
    } else {
        CHECK_EQ(errno, EXDEV);
        CHECK_EQ(emu_host_prot(g + HPS), RW);
    }
    CHECK_EQ(emu_host_prot(g), is_reserved() ? 0 : -1);

    close(fd);
    return check_summary();
}
