/* File-backed mappings whose offset is congruent to the address modulo the
   host page (mmap.c target_mmap: !MAP_FIXED branch mmap.c:456-481 with
   host_offset, MAP_FIXED "map the middle" mmap.c:556-567), private and
   shared. */
#include "tcommon.h"

int main(void)
{
    abi_ulong a, f, flen;
    abi_long r;
    int fd;
    unsigned char c;

    emu_init_from_env();
    flen = 8 * HPS;
    fd = emu_make_file(flen);

    /* private read-only, offset 0 */
    emu_tb_reset();
    a = target_mmap(0, 3 * HPS, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(a != FAILED);
    CHECK(mem_is_file(a, 3 * HPS, 0));
    CHECK_EQ(flags_of(a), VALID_R);
    CHECK_EQ(flags_of(a + 3 * HPS - TPS), VALID_R);
    CHECK_EQ(emu_host_prot(a), PROT_READ);
    CHECK(!emu_can_write(a));
    CHECK_LAST_TB(a, a + 3 * HPS);

    /* private read/write at an offset: writes stay private */
    a = target_mmap(0, 2 * HPS, RW, MAP_PRIVATE, fd, 2 * HPS);
    CHECK(a != FAILED);
    CHECK(mem_is_file(a, 2 * HPS, 2 * HPS));
    CHECK_EQ(flags_of(a), VALID_RW);
    H(a)[3] ^= 0xff;
    CHECK(pread(fd, &c, 1, 2 * HPS + 3) == 1);
    CHECK_EQ(c, emu_file_byte(2 * HPS + 3));

    /* shared read/write: writes reach the file */
    a = target_mmap(0, HPS, RW, MAP_SHARED, fd, 4 * HPS);
    CHECK(a != FAILED);
    CHECK(mem_is_file(a, HPS, 4 * HPS));
    H(a)[7] = 0xab;
    CHECK(pread(fd, &c, 1, 4 * HPS + 7) == 1);
    CHECK_EQ(c, 0xab);
    H(a)[7] = emu_file_byte(4 * HPS + 7);

    /* MAP_FIXED, host-page aligned: the middle is mapped straight from the
       file */
    f = fresh(4 * HPS);
    emu_tb_reset();
    r = target_mmap(f + HPS, 2 * HPS, PROT_READ | PROT_EXEC,
                    MAP_PRIVATE | MAP_FIXED, fd, 5 * HPS);
    CHECK_EQ(r, (abi_long)(f + HPS));
    CHECK(mem_is_file(f + HPS, 2 * HPS, 5 * HPS));
    CHECK_EQ(flags_of(f + HPS), PAGE_VALID | PAGE_READ | PAGE_EXEC);
    CHECK_EQ(flags_of(f), 0);
    CHECK_EQ(flags_of(f + 3 * HPS), 0);
    CHECK_EQ(emu_host_prot(f + HPS), PROT_READ | PROT_EXEC);
    CHECK_LAST_TB(f + HPS, f + 3 * HPS);
    /* and over an existing fixed file mapping, with a new offset */
    r = target_mmap(f + HPS, HPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    CHECK_EQ(r, (abi_long)(f + HPS));
    CHECK(mem_is_file(f + HPS, HPS, 0));
    CHECK(mem_is_file(f + 2 * HPS, HPS, 6 * HPS));
    CHECK_EQ(flags_of(f + HPS), VALID_R);

    /* mapping past the end of the file without the EOF handling (only done
       when the real host page is smaller than the target page, see
       t_mmap_eof): the page past EOF is not accessible (SIGBUS). */
    if (qemu_real_host_page_size >= TARGET_PAGE_SIZE) {
        int sfd = emu_make_file(100);
        a = target_mmap(0, 2 * TPS, PROT_READ, MAP_PRIVATE, sfd, 0);
        CHECK(a != FAILED);
        CHECK(mem_is_file(a, 100, 0));
        CHECK(mem_is(a + 100, TPS - 100, 0));
        CHECK_EQ(flags_of(a + TPS), VALID_R);
        CHECK(emu_can_read(a + TPS - 1));
        CHECK(!emu_can_read(a + TPS));
        close(sfd);
    } else {
        SKIP("real host page < target page: the EOF clamp applies (t_mmap_eof)");
    }

    /* Not fixed, offset not host-page aligned (only possible when the host
       page is larger than the target page): mmap.c:473-479 maps `len`
       bytes of the file from host_offset and returns start + (offset -
       host_offset).
       2.3 quirk: the file mapping is only `len` bytes long from host_offset,
       so the last (offset - host_offset) bytes of the guest mapping are the
       anonymous host pages, i.e. zeros, not file data.
       D14: ours maps the file through the end of the guest's range. */
    if (HPS > TPS) {
        a = target_mmap(0, 2 * TPS, PROT_READ, MAP_PRIVATE, fd, TPS);
        CHECK(a != FAILED);
        CHECK_EQ(a & (HPS - 1), TPS);
        CHECK(mem_is_file(a, TPS, TPS));
        if (LINUX_FIXES) {
            CHECK(mem_is_file(a + TPS, TPS, 2 * TPS));      /* D14 */
        } else {
            CHECK(mem_is(a + TPS, TPS, 0));        /* the quirk */
        }
        CHECK_EQ(flags_of(a), VALID_R);
        CHECK_EQ(flags_of(a + TPS), VALID_R);
        CHECK_EQ(flags_of(a - TPS), 0);
        CHECK_EQ(flags_of(a + 2 * TPS), 0);
        CHECK_LAST_TB(a, a + 2 * TPS);
        /* an offset in the last target page of a host page */
        a = target_mmap(0, TPS, RW, MAP_PRIVATE, fd, HPS - TPS);
        CHECK(a != FAILED);
        CHECK_EQ(a & (HPS - 1), HPS - TPS);
        if (LINUX_FIXES) {
            CHECK(mem_is_file(a, TPS, HPS - TPS));          /* D14 */
        } else {
            CHECK(mem_is(a, TPS, 0));              /* the quirk again */
        }
        CHECK_EQ(flags_of(a), VALID_RW);
    } else {
        SKIP("file offset not host-page aligned: needs host page > target page");
    }

    close(fd);
    return check_summary();
}
