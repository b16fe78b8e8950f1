/* The deliberate differences D1-D31 (docs/COMPATIBILITY.md), side by side: each
   section runs one input and asserts QEMU 2.3's result (IMPL=oracle) and
   the Rust library's Linux result (IMPL=rust).  Each section runs in its
   own forked child, from the same freshly initialised emulator, and prints
   "Dn [impl]: what" first, so a failure below it names its difference.
   Where a configuration cannot show a difference, the section prints
   "SKIP: Dn ..." with the reason.  The fuller tests of each behaviour are
   in the t_*.c files listed in docs/TESTING.md. */
#include "tcommon.h"

#ifndef MAP_FIXED_NOREPLACE
# define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
# define MREMAP_DONTUNMAP 4
#endif

#define SECTION(d, what) do {                                               \
    printf("%s [%s]: %s\n", (d), IMPL_NAME, (what));                        \
    fflush(stdout);                                                         \
} while (0)

static abi_ulong R;     /* reserved_va, 0 when none */

/* A fixed anonymous mapping of len bytes on a fresh range, filled with v. */
static abi_ulong mapped(abi_ulong len, int prot, unsigned char v)
{
    abi_ulong a = fresh(len + HPS);
    CHECK_EQ(target_mmap(a, len, prot | PROT_WRITE, ANON | MAP_FIXED, -1, 0),
             (abi_long)a);
    memset(H(a), v, len);
    if (!(prot & PROT_WRITE)) {
        CHECK_EQ(target_mprotect(a, len, prot), 0);
    }
    return a;
}

/* In a child: a private guest space (see tcommon.h), so that the
   original's writes past reserved_va land in memory nobody uses. */
static int private_space(const char *d)
{
    if (!use_private_guest_space()) {
        printf("SKIP: %s needs guest base support\n", d);
        check_skipped++;
        return 0;
    }
    R = emu_reserved_va();
    return 1;
}

/* ---- D1: length 0 ---------------------------------------------------- */
static void d1(void *arg)
{
    abi_ulong a = mapped(TPS, RW, 0x11);
    abi_long r;
    (void)arg;
    SECTION("D1", "target_mmap with length 0");
    emu_tb_reset();
    errno = 0;
    r = target_mmap(a, 0, RW, ANON | MAP_FIXED, -1, 0);
    if (LINUX_FIXES) {
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EINVAL);
        CHECK_EQ(emu_tb_count(), 0);
    } else {
        CHECK_EQ(r, (abi_long)a);           /* "success", errno untouched */
        CHECK_EQ(errno, 0);
        CHECK_LAST_TB(a, a);
    }
    CHECK(mem_is(a, TPS, 0x11));
}

/* ---- D2: a length that wraps when aligned ------------------------------ */
static void d2(void *arg)
{
    abi_ulong a = mapped(TPS, RW, 0x22);
    abi_long r;
    (void)arg;
    SECTION("D2", "target_mmap with a length that wraps to 0");
    errno = 0;
    r = target_mmap(a, (abi_ulong)0 - TPS + 1, RW, ANON | MAP_FIXED, -1, 0);
    if (LINUX_FIXES) {
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
    } else {
        CHECK_EQ(r, (abi_long)a);
    }
    CHECK(mem_is(a, TPS, 0x22));
    CHECK_EQ(flags_of(a), VALID_RW);
}

/* ---- D3: MAP_FIXED outside the guest space ----------------------------- */
#if TARGET_ABI_BITS == 32
static void d3_top_page(void *arg)
{
    (void)arg;
    use_private_guest_space();
    target_mmap(0xffffffff & qemu_host_page_mask, HPS, RW, ANON | MAP_FIXED,
                -1, 0);
}
#endif

static void d3(void *arg)
{
    (void)arg;
    SECTION("D3", "MAP_FIXED outside the guest space");
#if TARGET_ABI_BITS == 32
    {
        abi_ulong top = 0xffffffff & qemu_host_page_mask;
        if (LINUX_FIXES) {
            abi_long r;
            if (!private_space("D3")) {
                return;
            }
            errno = 0;
            r = target_mmap(top, HPS, RW, ANON | MAP_FIXED, -1, 0);
            CHECK_EQ(r, -1);
            CHECK_EQ(errno, ENOMEM);
            CHECK_EQ(flags_of(top), 0);
        } else {
            /* the last page: page_set_flags(start, 0) aborts */
            CHECK_ABORTS_MSG(d3_top_page, NULL, PSF_START_END);
            if (!private_space("D3")) {
                return;
            }
        }
        if (R) {
            /* past reserved_va: 2.3 maps host memory outside the window */
            abi_long r;
            errno = 0;
            r = target_mmap(R, HPS, RW, ANON | MAP_FIXED, -1, 0);
            if (LINUX_FIXES) {
                CHECK_EQ(r, -1);
                CHECK_EQ(errno, ENOMEM);
                CHECK_EQ(flags_of(R), 0);
                CHECK_EQ(emu_host_prot(R), 0);
            } else {
                CHECK_EQ(r, (abi_long)R);
                CHECK_EQ(flags_of(R), VALID_RW);
                CHECK_EQ(emu_host_prot(R), RW);
            }
        }
    }
#else
    printf("SKIP: D3 needs a 32-bit guest (past 2^VIRT the host refuses the "
           "range itself, with ours' ENOMEM)\n");
    check_skipped++;
#endif
}

/* ---- D4: target_munmap outside the guest space ------------------------- */
static void d4_wrap(void *arg)
{
    (void)arg;
    target_munmap((abi_ulong)0 - HPS, 2 * HPS);
}

static void d4(void *arg)
{
    (void)arg;
    SECTION("D4", "target_munmap of a range that wraps / lies past reserved_va");
    if (LINUX_FIXES) {
        errno = 0;
        CHECK_EQ(target_munmap((abi_ulong)0 - HPS, 2 * HPS), -EINVAL);
        CHECK_EQ(errno, 0);
    } else {
        CHECK_ABORTS_MSG(d4_wrap, NULL, PSF_START_END);
    }
    if (R) {
        int r;
        if (!private_space("D4")) {
            return;
        }
        /* host memory just past the guest window */
        CHECK(mmap(H(R), HPS, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                   -1, 0) == H(R));
        memset(H(R), 0x44, HPS);
        r = target_munmap(R, HPS);
        if (LINUX_FIXES) {
            CHECK_EQ(r, -EINVAL);
            CHECK_EQ(emu_host_prot(R), RW);
            CHECK(mem_is(R, HPS, 0x44));
        } else {
            CHECK_EQ(r, 0);                     /* re-reserved: data gone */
            CHECK_EQ(emu_host_prot(R), 0);
        }
    } else {
        printf("SKIP: D4 past reserved_va needs reserved_va\n");
        check_skipped++;
    }
}

/* ---- D5: target_mprotect: wrap / outside ------------------------------- */
static void d5(void *arg)
{
    int r;
    (void)arg;
    SECTION("D5", "target_mprotect of a range that wraps / lies past reserved_va");
    r = target_mprotect((abi_ulong)0 - TPS, 2 * TPS, PROT_READ);
    CHECK_EQ_DIV("D5", r, -EINVAL, -ENOMEM);
    if (R) {
        if (!private_space("D5")) {
            return;
        }
        CHECK(mmap(H(R), HPS, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                   -1, 0) == H(R));
        errno = 0;
        r = target_mprotect(R, HPS, PROT_READ);
        if (LINUX_FIXES) {
            CHECK_EQ(r, -1);
            CHECK_EQ(errno, ENOMEM);
            CHECK_EQ(emu_host_prot(R), RW);
            CHECK_EQ(flags_of(R), 0);
        } else {
            CHECK_EQ(r, 0);                     /* host memory changed */
            CHECK_EQ(emu_host_prot(R), PROT_READ);
            CHECK_EQ(flags_of(R), VALID_R);
        }
    } else {
        printf("SKIP: D5 past reserved_va needs reserved_va\n");
        check_skipped++;
    }
}

/* ---- D6: target_mprotect over unmapped pages -------------------------- */
static void d6(void *arg)
{
    abi_ulong a = mapped(2 * HPS, RW, 0x66);
    int r;
    (void)arg;
    SECTION("D6", "target_mprotect over a range with an unmapped page");
    CHECK_EQ(target_munmap(a + HPS, HPS), 0);
    errno = 0;
    r = target_mprotect(a, 2 * HPS, PROT_READ);
    if (LINUX_FIXES) {
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
        /* Linux changes the mapped part before the hole, then fails */
        CHECK_EQ(flags_of(a), VALID_R);
        CHECK_EQ(emu_host_prot(a), PROT_READ);
        CHECK_EQ(flags_of(a + HPS), 0);
    } else if (R) {
        CHECK_EQ(r, 0);                         /* the hole became valid */
        CHECK_EQ(flags_of(a + HPS), VALID_R);
        CHECK_EQ(emu_host_prot(a + HPS), PROT_READ);
    } else {
        CHECK_EQ(r, -1);                        /* ... after changing a */
        CHECK_EQ(errno, ENOMEM);
        CHECK_EQ(emu_host_prot(a), PROT_READ);
        CHECK_EQ(flags_of(a), VALID_RW);
    }
}

/* ---- D7: unknown protection bits -------------------------------------- */
static void d7(void *arg)
{
    abi_ulong a = mapped(HPS, RW, 0x77);
    int r;
    (void)arg;
    SECTION("D7", "target_mprotect with an unknown protection bit (0x40)");
    r = target_mprotect(a, HPS, PROT_READ | 0x40);
    if (LINUX_FIXES) {
        CHECK_EQ(r, -EINVAL);
        CHECK_EQ(flags_of(a), VALID_RW);
        CHECK_EQ(emu_host_prot(a), RW);
    } else {
        CHECK_EQ(r, 0);                         /* masked */
        CHECK_EQ(flags_of(a), VALID_R);
        CHECK_EQ(emu_host_prot(a), PROT_READ);
    }
}

/* ---- D8: dropping PROT_EXEC ------------------------------------------ */
static void d8(void *arg)
{
    abi_ulong a = mapped(HPS, PROT_READ | PROT_EXEC, 0x88);
    (void)arg;
    SECTION("D8", "target_mprotect taking PROT_EXEC away");
    emu_tb_reset();
    CHECK_EQ(target_mprotect(a, HPS, PROT_READ), 0);
    if (LINUX_FIXES) {
        CHECK_EQ(emu_tb_count(), 1);
        CHECK_LAST_TB(a, a + HPS);
    } else {
        CHECK_EQ(emu_tb_count(), 0);            /* translations kept */
    }
}

/* ---- D9: target_msync ------------------------------------------------ */
static void d9(void *arg)
{
    int r;
    (void)arg;
    SECTION("D9", "target_msync: wrap / unmapped / past reserved_va");
    r = target_msync((abi_ulong)0 - TPS, 2 * TPS, MS_SYNC);
    CHECK_EQ_DIV("D9", r, -EINVAL, -ENOMEM);
    if (R) {
        abi_ulong g = fresh(HPS);
        errno = 0;
        r = target_msync(g, HPS, MS_SYNC);
        if (LINUX_FIXES) {
            CHECK_EQ(r, -1);
            CHECK_EQ(errno, ENOMEM);
        } else {
            CHECK_EQ(r, 0);     /* the reservation is host memory */
        }
        if (!private_space("D9")) {
            return;
        }
        errno = 0;
        r = target_msync(R, HPS, MS_SYNC);
        if (LINUX_FIXES) {
            CHECK_EQ(r, -1);
            CHECK_EQ(errno, ENOMEM);
        } else {
            CHECK_EQ(r, 0);
        }
    } else {
        printf("SKIP: D9 unmapped reserved pages need reserved_va\n");
        check_skipped++;
    }
}

/* ---- D10: fresh anonymous fragment ------------------------------------ */
static void d10(void *arg)
{
    abi_ulong a;
    (void)arg;
    SECTION("D10", "fresh anonymous pages in a host page shared with others");
    if (HPS <= TPS) {
        printf("SKIP: D10 needs a host page larger than the target page\n");
        check_skipped++;
        return;
    }
    a = mapped(HPS, RW, 0xaa);
    CHECK_EQ(target_munmap(a + TPS, TPS), 0);
    CHECK_EQ(target_mmap(a + TPS, TPS, RW, ANON | MAP_FIXED, -1, 0),
             (abi_long)(a + TPS));
    if (LINUX_FIXES) {
        CHECK(mem_is(a + TPS, TPS, 0));
    } else {
        CHECK(mem_is(a + TPS, TPS, 0xaa));      /* the old bytes */
    }
    CHECK(mem_is(a, TPS, 0xaa));
}

/* ---- D11: shared writable file fragment ------------------------------- */
static void d11(void *arg)
{
    abi_ulong g;
    abi_long r;
    int fd;
    (void)arg;
    SECTION("D11", "shared writable file fragment");
    if (HPS <= TPS) {
        printf("SKIP: D11 needs a host page larger than the target page\n");
        check_skipped++;
        return;
    }
    fd = emu_make_file(2 * HPS);
    g = fresh(2 * HPS);
    errno = EXDEV;
    r = target_mmap(g + TPS, TPS, RW, MAP_SHARED | MAP_FIXED, fd, TPS);
    CHECK_EQ(r, -1);
    CHECK_EQ(flags_of(g + TPS), 0);
    if (LINUX_FIXES) {
        CHECK_EQ(errno, EINVAL);
        CHECK_EQ(emu_host_prot(g), R ? 0 : -1);
    } else {
        CHECK_EQ(errno, EXDEV);                 /* stale */
        CHECK_EQ(emu_host_prot(g), RW);         /* a fresh page stays */
    }
    close(fd);
}

/* ---- D12: the read fallback ------------------------------------------- */
static void d12(void *arg)
{
    abi_ulong f;
    abi_long r;
    int fd, sfd;
    unsigned char c;
    (void)arg;
    SECTION("D12", "file offset not congruent to the address (read fallback)");
    if (HPS <= TPS) {
        printf("SKIP: D12 needs a host page larger than the target page\n");
        check_skipped++;
        return;
    }
    fd = emu_make_file(2 * HPS);
    /* shared read-only: a private snapshot, in both (ours keeps QEMU's
       behaviour; only a shared writable one is refused, in both) */
    f = fresh(2 * HPS);
    errno = 0;
    r = target_mmap(f + 3 * TPS, TPS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(flags_of(f + 3 * TPS), 0);
    r = target_mmap(f + TPS, TPS, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    {
        CHECK_EQ(r, (abi_long)(f + TPS));       /* a private snapshot */
        c = 0x5c;
        CHECK(pwrite(fd, &c, 1, 0) == 1);
        CHECK_EQ(H(f + TPS)[0], emu_file_byte(0));
    }
    /* a short file, into a host page with old bytes */
    sfd = emu_make_file(TPS + 100);
    f = mapped(HPS, RW, 0xee);
    r = target_mmap(f + TPS, 2 * TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, sfd, 0);
    CHECK_EQ(r, (abi_long)(f + TPS));
    CHECK(mem_is_file(f + TPS, TPS + 100, 0));
    if (LINUX_FIXES) {
        CHECK(mem_is(f + 2 * TPS + 100, TPS - 100, 0));
    } else {
        CHECK(mem_is(f + 2 * TPS + 100, TPS - 100, 0xee));   /* stale */
    }
    close(sfd);
    close(fd);
}

/* ---- D13: target page larger than the real host page ------------------ */
static void d13(void *arg)
{
    abi_ulong a;
    int fd;
    (void)arg;
    SECTION("D13", "file mapping past EOF with target pages > real host pages");
    if (!(RPS < TPS)) {
        printf("SKIP: D13 needs a target page larger than the real host page\n");
        check_skipped++;
        return;
    }
    fd = emu_make_file(100);
    emu_tb_reset();
    a = target_mmap(0, 3 * TPS, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(a != FAILED);
    CHECK(mem_is_file(a, 100, 0));
    CHECK(mem_is(a + 100, TPS - 100, 0));
    CHECK_EQ(flags_of(a), VALID_R);
    if (LINUX_FIXES) {
        CHECK_EQ(flags_of(a + 2 * TPS), VALID_R);   /* the whole length */
        CHECK(!emu_can_read(a + TPS));              /* past EOF: SIGBUS */
        CHECK_LAST_TB(a, a + 3 * TPS);
    } else {
        CHECK_EQ(flags_of(a + TPS), 0);             /* truncated */
        CHECK_LAST_TB(a, a + RPS);
    }
    close(fd);
}

/* ---- D14: non-fixed file mapping at an offset not host-page aligned ---- */
static void d14(void *arg)
{
    abi_ulong a;
    int fd;
    (void)arg;
    SECTION("D14", "non-fixed file mapping at an offset inside a host page");
    if (HPS <= TPS) {
        printf("SKIP: D14 needs a host page larger than the target page\n");
        check_skipped++;
        return;
    }
    fd = emu_make_file(4 * HPS);
    a = target_mmap(0, 2 * TPS, PROT_READ, MAP_PRIVATE, fd, TPS);
    CHECK(a != FAILED);
    CHECK(mem_is_file(a, TPS, TPS));
    if (LINUX_FIXES) {
        CHECK(mem_is_file(a + TPS, TPS, 2 * TPS));
    } else {
        CHECK(mem_is(a + TPS, TPS, 0));         /* missed the file */
    }
    close(fd);
}

/* ---- D15: the search never goes below mmap_min_addr -------------------- */
static void d15(void *arg)
{
    abi_ulong r;
    (void)arg;
    SECTION("D15", "reserved search with only the lowest host page free");
    if (!R) {
        printf("SKIP: D15 needs reserved_va (without it the host kernel "
               "keeps the probe above its own minimum)\n");
        check_skipped++;
        return;
    }
    mmap_lock();
    page_set_flags(HPS, R, PAGE_VALID);
    r = mmap_find_vma(0, HPS);
    mmap_unlock();
    CHECK_EQ_DIV("D15", r, 0, FAILED);
}

/* ---- D16: reserved search, host page > target page -------------------- */
static void d16(void *arg)
{
    abi_ulong top, a;
    (void)arg;
    SECTION("D16", "reserved search over a host page with a live second page");
    if (!R || HPS <= TPS) {
        printf("SKIP: D16 needs reserved_va and a host page larger than the "
               "target page\n");
        check_skipped++;
        return;
    }
    top = (R - HPS) & qemu_host_page_mask;
    while (flags_of(top) != 0 || flags_of(top + 2 * TPS) != 0) {
        top -= HPS;
    }
    CHECK_EQ(target_mmap(top + 2 * TPS, TPS, RW, ANON | MAP_FIXED, -1, 0),
             (abi_long)(top + 2 * TPS));
    memset(H(top + 2 * TPS), 0x16, TPS);
    a = target_mmap(top, HPS, PROT_READ, ANON, -1, 0);
    if (LINUX_FIXES) {
        CHECK(a != top && a + HPS <= top);
        CHECK(mem_is(top + 2 * TPS, TPS, 0x16));
        CHECK_EQ(flags_of(top + 2 * TPS), VALID_RW);
    } else {
        CHECK_EQ(a, top);                       /* over the live page */
        CHECK(mem_is(top + 2 * TPS, TPS, 0));
    }
}

/* ---- D17: reserved_va of 4 GiB on a 32-bit guest ---------------------- */
static void d17(void *arg)
{
    (void)arg;
    SECTION("D17", "32-bit guest with reserved_va = 4 GiB, search from the top");
#if TARGET_ABI_BITS == 32 && defined(CONFIG_USE_GUEST_BASE)
    {
        struct emu_options o;
        void *p = mmap(NULL, (size_t)1 << 34, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        abi_ulong r;
        CHECK(p != MAP_FAILED);
        emu_options_from_env(&o);
        o.guest_base = (unsigned long)p + (1ul << 26);
        o.have_guest_base = 1;
        o.reserved_va = 1l << 32;
        emu_init(&o);
        mmap_lock();
        page_set_flags(0, 0x100000, PAGE_VALID);    /* low memory used */
        r = mmap_find_vma(0x80000, HPS);            /* must loop to the top */
        mmap_unlock();
        if (LINUX_FIXES) {
            CHECK(r != FAILED && r >= 0x80000000u);
            CHECK_EQ(flags_of(r), 0);
        } else {
            CHECK_EQ(r, FAILED);                    /* the top narrowed to 0 */
        }
    }
#else
    printf("SKIP: D17 needs a 32-bit guest with guest base support\n");
    check_skipped++;
#endif
}

/* ---- D18: failed non-fixed file map under reserved_va ------------------ */
static void d18(void *arg)
{
    abi_ulong next;
    (void)arg;
    SECTION("D18", "non-fixed file map whose file mapping fails (access)");
    if (!R || RPS < TPS) {
        printf("SKIP: D18 needs reserved_va (and no EOF clamp)\n");
        check_skipped++;
        return;
    }
    /* a shared writable map of a read-only descriptor: the host refuses it
       after the search (a bad descriptor is refused before it: D39) */
    {
        char path[64];
        int fd = emu_make_file(TPS), rfd;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        rfd = open(path, O_RDONLY);
        CHECK(rfd >= 0);
        errno = 0;
        CHECK_EQ(target_mmap(0, TPS, RW, MAP_SHARED, rfd, 0), -1);
        CHECK_EQ(errno, EACCES);
        close(rfd);
        close(fd);
    }
    next = mmap_next_start;             /* the search left it there */
    CHECK(next < R);
    if (LINUX_FIXES) {
        CHECK_EQ(emu_host_prot(next), 0);       /* re-reserved */
    } else {
        CHECK(!emu_host_mapped(next));          /* a hole */
    }
}

/* ---- D19: mremap shrink under reserved_va ------------------------------ */
static void d19(void *arg)
{
    abi_ulong g = 0x100000, v;
    abi_long r;
    (void)arg;
    SECTION("D19", "in-place mremap shrink under reserved_va");
    if (!R) {
        printf("SKIP: D19 needs reserved_va\n");
        check_skipped++;
        return;
    }
    if (!private_space("D19")) {
        return;
    }
    v = g + 8 * HPS;
    CHECK_EQ(target_mmap(g, 4 * HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)g);
    CHECK_EQ(target_mmap(v, HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)v);
    memset(H(v), 0x19, HPS);
    r = target_mremap(g, 4 * HPS, 2 * HPS, 0, 0);
    if (LINUX_FIXES) {
        CHECK_EQ(r, (abi_long)g);
        CHECK_EQ(emu_host_prot(g + 2 * HPS), 0);    /* exactly the tail */
        CHECK_EQ(emu_host_prot(v), RW);             /* the neighbour */
        CHECK(mem_is(v, HPS, 0x19));
    } else {
        CHECK_EQ(r, -1);                            /* (D25) */
        CHECK_EQ(emu_host_prot(v), 0);              /* clobbered */
    }
    CHECK_EQ(flags_of(v), VALID_RW);
}

/* ---- D20: failed MREMAP_MAYMOVE under reserved_va ----------------------- */
static void d20(void *arg)
{
    abi_ulong d;
    abi_long r;
    (void)arg;
    SECTION("D20", "failed MREMAP_MAYMOVE under reserved_va");
    if (!R) {
        printf("SKIP: D20 needs reserved_va\n");
        check_skipped++;
        return;
    }
    d = mapped(2 * HPS, RW, 0x20);
    CHECK_EQ(target_mprotect(d + HPS, HPS, PROT_READ), 0);
    errno = 0;
    r = target_mremap(d, 2 * HPS, 3 * HPS, MREMAP_MAYMOVE, 0);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EFAULT);
    CHECK_EQ(flags_of(d), VALID_RW);
    if (LINUX_FIXES) {
        CHECK_EQ(emu_host_prot(d), RW);
        CHECK(mem_is(d, 2 * HPS, 0x20));
    } else {
        CHECK_EQ(emu_host_prot(d), 0);          /* data lost, flags valid */
    }
}

/* ---- D21: mremap argument and range errors ---------------------------- */
static void d21_old0(void *arg)
{
    abi_ulong a = *(abi_ulong *)arg;
    target_mremap(a, 0, TPS, MREMAP_MAYMOVE, 0);
}

static void d21_past_rva(void *arg)
{
    abi_ulong d;
    (void)arg;
    use_private_guest_space();
    d = mapped(HPS, RW, 0x21);
    target_mremap(d, HPS, HPS, MREMAP_MAYMOVE | MREMAP_FIXED,
                  emu_reserved_va());
}

static void d21(void *arg)
{
    abi_ulong a, d;
    abi_long r;
    (void)arg;
    SECTION("D21", "mremap: old_size 0, an unmapped old range, a new range past reserved_va");
    /* old_size 0 duplicates a shared mapping (Linux); 2.3 then calls
       page_set_flags(old, old + 0) and aborts */
    a = target_mmap(0, HPS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(a != FAILED);
    H(a)[0] = 0x21;
    if (LINUX_FIXES) {
        r = target_mremap(a, 0, HPS, MREMAP_MAYMOVE, 0);
        CHECK(r != -1 && (abi_ulong)r != a);
        if (r != -1) {
            CHECK_EQ(H(r)[0], 0x21);
            CHECK_EQ(flags_of(r), VALID_RW);
        }
        CHECK_EQ(flags_of(a), VALID_RW);
    } else {
        CHECK_ABORTS_MSG(d21_old0, &a, PSF_START_END);
    }
    if (!R) {
        printf("SKIP: D21 unmapped old range / new range past reserved_va "
               "need reserved_va\n");
        check_skipped++;
        return;
    }
    /* an old range that is not mapped */
    d = fresh(4 * HPS) + 2 * HPS;
    errno = 0;
    r = target_mremap(d, HPS, HPS, MREMAP_MAYMOVE, 0);
    if (LINUX_FIXES) {
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EFAULT);
    } else {
        CHECK(r != -1);                         /* moved the reservation */
        CHECK_EQ(flags_of(r), PAGE_VALID);
    }
    /* a new range past reserved_va: 2.3 moves the mapping out of the
       guest window, then h2g() asserts */
    if (LINUX_FIXES) {
        if (!private_space("D21")) {
            return;
        }
        d = mapped(HPS, RW, 0x21);
        errno = 0;
        r = target_mremap(d, HPS, HPS, MREMAP_MAYMOVE | MREMAP_FIXED, R);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EINVAL);
        CHECK(mem_is(d, HPS, 0x21));
        CHECK_EQ(flags_of(d), VALID_RW);
    } else {
        CHECK_ABORTS(d21_past_rva, NULL);
    }
}

/* ---- D22: mremap growth in place under reserved_va --------------------- */
static void d22(void *arg)
{
    abi_ulong g;
    abi_long r;
    (void)arg;
    SECTION("D22", "in-place mremap growth into free pages under reserved_va");
    if (!R) {
        printf("SKIP: D22 needs reserved_va\n");
        check_skipped++;
        return;
    }
    g = mapped(2 * HPS, RW, 0x22);
    errno = 0;
    r = target_mremap(g, 2 * HPS, 3 * HPS, 0, 0);
    if (LINUX_FIXES) {
        CHECK_EQ(r, (abi_long)g);
        CHECK_EQ(flags_of(g + 2 * HPS), VALID_RW);
        CHECK(mem_is(g + 2 * HPS, HPS, 0));
    } else {
        CHECK_EQ(r, -1);                        /* the reservation blocks */
        CHECK_EQ(errno, ENOMEM);
        CHECK_EQ(flags_of(g + 2 * HPS), 0);
    }
    CHECK(mem_is(g, 2 * HPS, 0x22));
}

/* ---- D23: per-page protections after a move --------------------------- */
static void d23(void *arg)
{
    abi_ulong a;
    abi_long r;
    (void)arg;
    SECTION("D23", "mremap of a range whose pages have different protections");
    a = mapped(2 * HPS, RW, 0x23);
    CHECK_EQ(target_mprotect(a + TPS, TPS, PROT_READ), 0);
    errno = 0;
    r = target_mremap(a, 2 * HPS, 2 * HPS, MREMAP_MAYMOVE, 0);
    if (r == -1 && errno == EFAULT && HPS == TPS) {
        printf("SKIP: D23 with host pages of the target's size needs a "
               "kernel that moves several mappings at once (Linux 6.17)\n");
        check_skipped++;
        return;
    }
    CHECK(r != -1);
    CHECK_EQ(flags_of(r), VALID_RW);
    if (LINUX_FIXES) {
        /* D23: each page keeps its own protection (with host pages of the
           target's size too: Linux 6.17 moves several host mappings at once) */
        CHECK_EQ(flags_of(r + TPS), VALID_R);
    } else {
        CHECK_EQ(flags_of(r + TPS), VALID_RW);  /* the first page's */
    }
    CHECK(mem_is(r, 2 * HPS, 0x23));
}

/* ---- D24: mremap and translated code ---------------------------------- */
static void d24(void *arg)
{
    abi_ulong a, n;
    abi_long r;
    (void)arg;
    SECTION("D24", "mremap: which ranges are invalidated");
    a = mapped(HPS, RW, 0x24);
    n = fresh(2 * HPS);
    emu_tb_reset();
    r = target_mremap(a, HPS, HPS, MREMAP_MAYMOVE | MREMAP_FIXED, n);
    CHECK_EQ(r, (abi_long)n);
    if (LINUX_FIXES) {
        CHECK_EQ(emu_tb_count(), 2);
        CHECK_EQ(emu_tb_get(0).start, a);
        CHECK_EQ(emu_tb_get(0).end, a + HPS);
    } else {
        CHECK_EQ(emu_tb_count(), 1);
    }
    CHECK_LAST_TB(n, n + HPS);
    /* a failure */
    emu_tb_reset();
    r = target_mremap(n, HPS, HPS, MREMAP_FIXED, a);    /* no MAYMOVE */
    CHECK_EQ(r, -1);
    if (LINUX_FIXES) {
        CHECK_EQ(emu_tb_count(), 0);
    } else {
        CHECK_LAST_TB(FAILED, FAILED + HPS);
    }
}

/* ---- D25: mremap fit check on the host address ------------------------- */
static void d25(void *arg)
{
    abi_ulong g;
    abi_long r;
    (void)arg;
    SECTION("D25", "same-size in-place mremap, 32-bit guest, guest base > 0");
    if (!(TARGET_ABI_BITS == 32 && emu_guest_base() != 0)) {
        printf("SKIP: D25 needs a 32-bit guest with a guest base above 0\n");
        check_skipped++;
        return;
    }
    g = mapped(HPS, RW, 0x25);
    errno = 0;
    r = target_mremap(g, HPS, HPS, 0, 0);
    if (LINUX_FIXES) {
        CHECK_EQ(r, (abi_long)g);
    } else {
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
    }
    CHECK_EQ(flags_of(g), VALID_RW);
}

/* ---- D26: MREMAP_DONTUNMAP -------------------------------------------- */
static void d26(void *arg)
{
    abi_ulong a;
    abi_long r;
    (void)arg;
    SECTION("D26", "MREMAP_DONTUNMAP keeps the old range");
    a = mapped(HPS, RW, 0x26);
    errno = 0;
    r = target_mremap(a, HPS, HPS, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
    if (r == -1 && errno == EINVAL && !LINUX_FIXES) {
        printf("SKIP: D26 needs a kernel with MREMAP_DONTUNMAP (5.7)\n");
        check_skipped++;
        return;
    }
    CHECK(r != -1);
    if (r != -1) {
        CHECK(mem_is(r, HPS, 0x26));
        CHECK_EQ(flags_of(r), VALID_RW);
    }
    if (LINUX_FIXES) {
        CHECK_EQ(flags_of(a), VALID_RW);        /* still mapped */
        CHECK_EQ(emu_host_prot(a), RW);
    } else {
        CHECK_EQ(flags_of(a), 0);               /* marked unmapped */
        CHECK_EQ(emu_host_prot(a), R ? 0 : RW);
    }
}

/* ---- D27: mremap flag bits above 31 ----------------------------------- */
static void d27(void *arg)
{
    (void)arg;
    SECTION("D27", "target_mremap with flag bit 32");
#if HOST_LONG_BITS == 64
    {
        abi_ulong a;
        abi_long r;
        /* (2.3's in-place shrink under reserved_va re-reserves about 4 GiB
           past the mapping, D19: keep it in a private guest space) */
        if (R && !private_space("D27")) {
            return;
        }
        a = mapped(2 * HPS, RW, 0x27);
        errno = 0;
        r = target_mremap(a, 2 * HPS, HPS, 1ul << 32, 0);
        if (LINUX_FIXES) {
            CHECK_EQ(r, -1);
            CHECK_EQ(errno, EINVAL);
            CHECK_EQ(flags_of(a + HPS), VALID_RW);
        } else if (TARGET_ABI_BITS == 32 && emu_guest_base() != 0) {
            CHECK_EQ(r, -1);                    /* D25 first */
            CHECK_EQ(errno, ENOMEM);
        } else {
            CHECK_EQ(r, (abi_long)a);           /* truncated: shrunk */
            CHECK_EQ(flags_of(a + HPS), 0);
        }
    }
#else
    printf("SKIP: D27 needs a 64-bit host\n");
    check_skipped++;
#endif
}

/* ---- D28: MAP_FIXED_NOREPLACE ----------------------------------------- */
static void d28(void *arg)
{
    abi_ulong a, f;
    abi_long r;
    (void)arg;
    SECTION("D28", "MAP_FIXED_NOREPLACE over a used and over a free range");
    a = mapped(HPS, RW, 0x28);
    errno = 0;
    r = target_mmap(a, HPS, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK_EQ(r, -1);                            /* (2.3: EEXIST from its */
    CHECK_EQ(errno, EEXIST);                    /*  own search's range) */
    CHECK(mem_is(a, HPS, 0x28));
    f = fresh(2 * HPS);
    errno = 0;
    r = target_mmap(f, HPS, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    if (LINUX_FIXES) {
        CHECK_EQ(r, (abi_long)f);
        CHECK_EQ(flags_of(f), VALID_RW);
    } else {
        CHECK_EQ(r, -1);                        /* its own reservation */
        CHECK_EQ(errno, EEXIST);
        CHECK_EQ(flags_of(f), 0);
    }
}

/* ---- D29: MAP_SHARED_VALIDATE ----------------------------------------- */
static void d29(void *arg)
{
    abi_ulong f;
    abi_long r;
    int fd;
    (void)arg;
    SECTION("D29", "MAP_SHARED_VALIDATE in a file fragment and the read fallback");
    if (HPS <= TPS) {
        printf("SKIP: D29 needs a host page larger than the target page\n");
        check_skipped++;
        return;
    }
    fd = emu_make_file(2 * HPS);
    /* a writable fragment next to a live page */
    f = mapped(TPS, RW, 0x29);
    errno = 0;
    r = target_mmap(f + TPS, TPS, RW, MAP_SHARED_VALIDATE | MAP_FIXED, fd, TPS);
    if (LINUX_FIXES) {
        CHECK_EQ(r, -1);                        /* shared: D11 */
        CHECK_EQ(errno, EINVAL);
        CHECK_EQ(flags_of(f + TPS), 0);
    } else {
        CHECK_EQ(r, (abi_long)(f + TPS));       /* a private copy */
        CHECK(mem_is_file(f + TPS, TPS, TPS));
    }
    /* the read fallback: read-only, a snapshot in both (D12) */
    f = fresh(2 * HPS);
    errno = 0;
    r = target_mmap(f + TPS, TPS, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED,
                    fd, 0);
    CHECK_EQ(r, (abi_long)(f + TPS));
    CHECK(mem_is_file(f + TPS, TPS, 0));
    /* writable: 2.3 does not see MAP_SHARED_VALIDATE as shared and makes a
       private copy; ours refuses it like MAP_SHARED (D29, D12) */
    f = fresh(2 * HPS);
    errno = 0;
    r = target_mmap(f + TPS, TPS, RW, MAP_SHARED_VALIDATE | MAP_FIXED, fd, 0);
    if (LINUX_FIXES) {
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EINVAL);
        CHECK_EQ(flags_of(f + TPS), 0);
    } else {
        CHECK_EQ(r, (abi_long)(f + TPS));
        CHECK(mem_is_file(f + TPS, TPS, 0));
    }
    close(fd);
}

/* ---- D30: end fragment with live pages after it ----------------------- */
static void d30(void *arg)
{
    abi_ulong g;
    (void)arg;
    SECTION("D30", "MAP_FIXED ending inside a host page with live pages after it");
    if (HPS <= TPS) {
        printf("SKIP: D30 needs a host page larger than the target page\n");
        check_skipped++;
        return;
    }
    g = mapped(2 * HPS, RW, 0x30);
    CHECK_EQ(target_mmap(g + TPS, HPS, RW, ANON | MAP_FIXED, -1, 0),
             (abi_long)(g + TPS));
    CHECK(mem_is(g + HPS, TPS, 0));             /* the end fragment */
    CHECK_EQ(flags_of(g + HPS + TPS), VALID_RW);
    if (LINUX_FIXES) {
        CHECK(mem_is(g + HPS + TPS, HPS - TPS, 0x30));
    } else {
        CHECK(mem_is(g + HPS + TPS, HPS - TPS, 0));     /* replaced */
    }
    CHECK(mem_is(g, TPS, 0x30));
}

/* ---- D31: page flags of a new mapping --------------------------------- */
static void d31(void *arg)
{
    abi_ulong b;
    (void)arg;
    SECTION("D31", "target_mmap with a stray protection bit (0x40)");
    b = target_mmap(0, TPS, PROT_READ | 0x40, ANON, -1, 0);
    CHECK(b != FAILED);
    CHECK_EQ_DIV("D31", flags_of(b), PAGE_VALID | PAGE_READ | 0x40,
                 PAGE_VALID | PAGE_READ);
    CHECK_EQ(emu_host_prot(b), PROT_READ);
}

int main(void)
{
    static void (*const sections[])(void *) = {
        d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11, d12, d13, d14, d15,
        d16, d17, d18, d19, d20, d21, d22, d23, d24, d25, d26, d27, d28,
        d29, d30, d31,
    };
    unsigned i;
    char name[8];

    emu_init_from_env();
    R = emu_reserved_va();
    for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        snprintf(name, sizeof(name), "D%u", i + 1);
        run_checked_child(sections[i], NULL, name);
    }
    return check_summary();
}
