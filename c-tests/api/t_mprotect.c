/* target_mprotect (mmap.c:70-137): return conventions (literal -EINVAL,
   -1 with errno from the host), prot masking, page flags (replaced, with
   PAGE_VALID), host protections, host pages shared with other target pages
   (the host gets the union).  Ours: D5 (wrap -> -ENOMEM), D6 (unmapped
   pages -> -1/ENOMEM, nothing changed), D7 (unknown bits -> -EINVAL);
   D8 (dropping PROT_EXEC invalidates) is in t_tb_invalidate. */
#include "tcommon.h"

int main(void)
{
    abi_ulong a, g;
    int r;

    emu_init_from_env();
    a = target_mmap(0, 4 * HPS, RW, ANON, -1, 0);
    CHECK(a != FAILED);
    memset(H(a), 0x11, 4 * HPS);

    /* ---- basic */
    emu_tb_reset();
    r = target_mprotect(a + HPS, HPS, PROT_READ);
    CHECK_EQ(r, 0);
    CHECK_EQ(flags_of(a + HPS), VALID_R);      /* WRITE_ORG gone: replaced */
    CHECK_EQ(flags_of(a), VALID_RW);
    CHECK_EQ(flags_of(a + 2 * HPS), VALID_RW);
    CHECK_EQ(emu_host_prot(a + HPS), PROT_READ);
    CHECK(emu_can_read(a + HPS));
    CHECK(!emu_can_write(a + HPS));
    CHECK(emu_can_write(a + 2 * HPS));
    CHECK(mem_is(a + HPS, HPS, 0x11));
    CHECK_EQ(emu_tb_count(), 0);               /* never invalidates */
    r = target_mprotect(a + HPS, HPS, RW);
    CHECK_EQ(r, 0);
    CHECK_EQ(flags_of(a + HPS), VALID_RW);
    CHECK(emu_can_write(a + HPS));
    r = target_mprotect(a, TPS, PROT_NONE);
    CHECK_EQ(r, 0);
    CHECK_EQ(flags_of(a), PAGE_VALID);
    if (HPS == TPS) {
        CHECK_EQ(emu_host_prot(a), 0);
        CHECK(!emu_can_read(a));
    }
    r = target_mprotect(a, HPS, PROT_READ | PROT_EXEC);
    CHECK_EQ(r, 0);
    CHECK_EQ(flags_of(a), PAGE_VALID | PAGE_READ | PAGE_EXEC);
    CHECK_EQ(emu_host_prot(a), PROT_READ | PROT_EXEC);
    /* len rounds up to target pages */
    r = target_mprotect(a + 3 * HPS, 1, PROT_READ);
    CHECK_EQ(r, 0);
    CHECK_EQ(flags_of(a + 3 * HPS), VALID_R);
    if (HPS > TPS) {
        CHECK_EQ(flags_of(a + 3 * HPS + TPS), VALID_RW);
    }

    /* ---- prot is masked to RWX (mmap.c:89) */
    errno = EXDEV;
    r = target_mprotect(a + 2 * HPS, HPS, PROT_READ | PROT_GROWSDOWN | 0x40);
    if (LINUX_FIXES) {
        /* D7: an unknown bit (0x40) is the literal -EINVAL of Linux and
           changes nothing; PROT_GROWSDOWN alone is accepted (syscall.c
           passes it), and then only RWX reach the flags and the host */
        CHECK_EQ(r, -EINVAL);
        CHECK_EQ(errno, EXDEV);
        CHECK_EQ(flags_of(a + 2 * HPS), VALID_RW);
        CHECK_EQ(emu_host_prot(a + 2 * HPS), RW);
        r = target_mprotect(a + 2 * HPS, HPS, PROT_READ | PROT_GROWSDOWN);
    }
    CHECK_EQ(r, 0);
    CHECK_EQ(flags_of(a + 2 * HPS), VALID_R);
    CHECK_EQ(emu_host_prot(a + 2 * HPS), PROT_READ);

    /* ---- literal -EINVAL, errno untouched */
    errno = EXDEV;
    CHECK_EQ(target_mprotect(a + 1, TPS, PROT_READ), -EINVAL);
    CHECK_EQ(target_mprotect(a + TPS / 2, TPS, PROT_READ), -EINVAL);
    /* start + len wraps (mmap.c:86-88); D5: ours answers Linux's literal
       -ENOMEM */
    CHECK_EQ_DIV("D5", target_mprotect((abi_ulong)0 - TPS, 2 * TPS, PROT_READ),
                 -EINVAL, -ENOMEM);
    CHECK_EQ_DIV("D5", target_mprotect(a, (abi_ulong)0 - a, PROT_READ),
                 0 - EINVAL, 0 - ENOMEM);
    CHECK_EQ(errno, EXDEV);
    CHECK_EQ(flags_of(a + 2 * HPS), VALID_R);

    /* ---- memory that is not mapped */
    g = fresh(4 * HPS);
    errno = 0;
    r = target_mprotect(g, HPS, PROT_READ);
    if (LINUX_FIXES) {
        /* D6: unmapped guest pages are -1/ENOMEM and nothing changes, with
           or without reserved_va */
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
        CHECK_EQ(flags_of(g), 0);
        CHECK_EQ(emu_host_prot(g), is_reserved() ? 0 : -1);
        CHECK(!emu_can_read(g));
        /* a range with a hole after a mapped page: as on Linux, the mapped
           part before the hole changes (page flags and host), then ENOMEM
           (2.3 without reserved_va: only the host part, see below) */
        CHECK_EQ(target_mmap(g, HPS, RW, ANON | MAP_FIXED, -1, 0),
                 (abi_long)g);
        errno = 0;
        r = target_mprotect(g, 2 * HPS, PROT_READ);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
        CHECK_EQ(flags_of(g), VALID_R);
        CHECK_EQ(emu_host_prot(g), PROT_READ);
        CHECK_EQ(flags_of(g + HPS), 0);
        CHECK_EQ(emu_host_prot(g + HPS), is_reserved() ? 0 : -1);
        CHECK_EQ(target_munmap(g, HPS), 0);
    } else if (is_reserved()) {
        /* 2.3 quirk: the reservation is a host mapping, so the host
           mprotect succeeds and the never-mapped guest pages become valid,
           readable zeros */
        CHECK_EQ(r, 0);
        CHECK_EQ(flags_of(g), VALID_R);
        CHECK_EQ(emu_host_prot(g), PROT_READ);
        CHECK(emu_can_read(g));
        CHECK_EQ(H(g)[0], 0);
        CHECK_EQ(target_munmap(g, HPS), 0);
    } else {
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
        CHECK_EQ(flags_of(g), 0);
        /* the host mprotect applies to the mapped part before the hole and
           fails there; target_mprotect does not roll back and leaves the
           page flags alone */
        CHECK_EQ(target_mmap(g, HPS, RW, ANON | MAP_FIXED, -1, 0),
                 (abi_long)g);
        errno = 0;
        r = target_mprotect(g, 2 * HPS, PROT_READ);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
        CHECK_EQ(flags_of(g), VALID_RW);
        CHECK_EQ(emu_host_prot(g), PROT_READ);
        CHECK_EQ(target_munmap(g, HPS), 0);
    }

    /* ---- host page larger than the target page */
    if (HPS > TPS) {
        g = fresh(4 * HPS);
        CHECK_EQ(target_mmap(g, 3 * HPS, RW, ANON | MAP_FIXED, -1, 0),
                 (abi_long)g);
        /* one page inside a host page (start and end in the same host
           page, mmap.c:96-112): the host keeps the neighbours' RW */
        r = target_mprotect(g + TPS, TPS, PROT_READ);
        CHECK_EQ(r, 0);
        CHECK_EQ(flags_of(g + TPS), VALID_R);
        CHECK_EQ(flags_of(g), VALID_RW);
        CHECK_EQ(flags_of(g + 2 * TPS), VALID_RW);
        CHECK_EQ(emu_host_prot(g), RW);
        CHECK(emu_can_write(g + TPS));         /* inherent to fragments */
        /* start fragment, end fragment (mmap.c:113-123), and middle */
        r = target_mprotect(g + TPS, 2 * HPS, PROT_READ);
        CHECK_EQ(r, 0);
        CHECK_EQ(flags_of(g + TPS), VALID_R);
        CHECK_EQ(flags_of(g + 2 * HPS), VALID_R);
        CHECK_EQ(flags_of(g + 2 * HPS + TPS), VALID_RW);
        CHECK_EQ(emu_host_prot(g), RW);
        CHECK_EQ(emu_host_prot(g + HPS), PROT_READ);
        CHECK_EQ(emu_host_prot(g + 2 * HPS), RW);
        /* whole host pages */
        r = target_mprotect(g, 3 * HPS, PROT_READ);
        CHECK_EQ(r, 0);
        CHECK_EQ(emu_host_prot(g), PROT_READ);
        CHECK_EQ(emu_host_prot(g + 2 * HPS), PROT_READ);
        CHECK(!emu_can_write(g + 2 * HPS + TPS));
        /* a PROT_NONE target page in a readable host page stays readable
           on the host */
        r = target_mprotect(g + TPS, TPS, PROT_NONE);
        CHECK_EQ(r, 0);
        CHECK_EQ(flags_of(g + TPS), PAGE_VALID);
        CHECK(emu_can_read(g + TPS));
        /* the pages of the host page outside the range count even if they
           were never mapped: mprotect marks only [start, start + len) */
        CHECK_EQ(target_munmap(g + 2 * TPS, HPS - 2 * TPS), 0);
        r = target_mprotect(g, TPS, RW);
        CHECK_EQ(r, 0);
        CHECK_EQ(flags_of(g + 2 * TPS), 0);
        CHECK_EQ(emu_host_prot(g), RW);
        /* a failing host mprotect in the start fragment (unmapped host
           page): -1 ENOMEM before anything changes */
        if (!is_reserved()) {
            errno = 0;
            r = target_mprotect(g + 3 * HPS + TPS, TPS, PROT_READ);
            CHECK_EQ(r, -1);
            CHECK_EQ(errno, ENOMEM);
            CHECK_EQ(flags_of(g + 3 * HPS + TPS), 0);
            /* and in the end fragment */
            errno = 0;
            r = target_mprotect(g + 2 * HPS, HPS + TPS, PROT_READ);
            CHECK_EQ(r, -1);
            CHECK_EQ(errno, ENOMEM);
            CHECK_EQ(flags_of(g + 2 * HPS), VALID_R);
        }
    } else {
        SKIP("partial host pages: needs host page > target page");
    }

    return check_summary();
}
