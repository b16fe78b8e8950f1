/* target_mmap failures and their errno (always -1 with errno set, except
   the mmap_frag refusal tested in t_mmap_frag):
   - offset not target-page aligned -> EINVAL (mmap.c:403)
   - MAP_FIXED start not aligned -> EINVAL (mmap.c:483)
   - MAP_FIXED range past 4 GiB on a 32-bit ABI -> EINVAL (mmap.c:495)
     (ours, D3: ENOMEM for any range outside the guest space)
   - no room (mmap_find_vma returns -1) -> ENOMEM (mmap.c:419-423)
   - host mmap failures keep the host errno (mmap.c:468, 475, 565)
   Failures take no tb_invalidate and set no page flags. */
#include "tcommon.h"

#if TARGET_ABI_BITS == 32
static void nonfixed_to_4g(void *arg)
{
    (void)arg;
    mmap_next_start = 0x40000000;
    target_mmap(0, 0xc0000000, PROT_NONE, ANON | MAP_NORESERVE, -1, 0);
}

/* What Linux does with the same call: a mapping inside the address space
   (for the guest: ending at or below its last usable target page), or
   ENOMEM; never an abort.  Exit status 0 when so. */
static int nonfixed_to_4g_linux(void *arg)
{
    abi_long r;
    (void)arg;
    mmap_next_start = 0x40000000;
    errno = 0;
    r = target_mmap(0, 0xc0000000, PROT_NONE, ANON | MAP_NORESERVE, -1, 0);
    if (r == -1) {
        return errno == ENOMEM ? 0 : 2;
    }
    return (uint64_t)(abi_ulong)r + 0xc0000000u <= 0x100000000ull - TPS ? 0 : 3;
}
#endif

int main(void)
{
    abi_ulong a, next;
    abi_long r;
    int fd;

    emu_init_from_env();
    fd = emu_make_file(4 * HPS);
    a = fresh(4 * HPS);
    emu_tb_reset();

    /* offset misaligned: anonymous or not, fixed or not */
    errno = 0;
    CHECK_EQ(target_mmap(0, TPS, RW, ANON, -1, 1), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(target_mmap(a, TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd,
                         TPS / 2), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(flags_of(a), 0);

    /* MAP_FIXED with a misaligned start */
    errno = 0;
    CHECK_EQ(target_mmap(a + 1, TPS, RW, ANON | MAP_FIXED, -1, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(target_mmap(a + TPS / 2, TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED,
                         fd, 0), -1);
    CHECK(errno == EINVAL);
    CHECK_EQ(flags_of(a), 0);

    /* MAP_FIXED overflow test (CONTRACT 4a.5): computed in unsigned long,
       so it catches a range past 4 GiB for 32-bit ABIs only */
#if TARGET_ABI_BITS == 32
    /* D3: ours checks the range against the guest space and answers
       Linux's ENOMEM (2.3: EINVAL from its 4 GiB test) */
    errno = 0;
    CHECK_EQ(target_mmap(0xffff0000, 0x20000, RW, ANON | MAP_FIXED, -1, 0), -1);
    CHECK_EQ_DIV("D3", errno, EINVAL, ENOMEM);
    errno = 0;
    CHECK_EQ(target_mmap(0xffff0000, 0x10000 + TPS, RW, ANON | MAP_FIXED,
                         -1, 0), -1);
    CHECK_EQ_DIV("D3", errno, EINVAL, ENOMEM);
    errno = 0;
    CHECK_EQ(target_mmap(0x80000000, 0x80000000u + TPS, PROT_NONE,
                         ANON | MAP_FIXED, -1, 0), -1);
    CHECK_EQ_DIV("D3", errno, EINVAL, ENOMEM);
    CHECK_EQ(flags_of(0xffff0000), 0);
#else
    SKIP("MAP_FIXED 4 GiB overflow check: cannot fire with a 64-bit ABI");
#endif

    /* no room: mmap_find_vma fails, target_mmap sets ENOMEM */
    next = mmap_next_start;
    errno = 0;
#if TARGET_ABI_BITS == 32
    {
        /* Without reserved_va the probe wraps to low memory at
           TARGET_PAGE_ALIGN(mmap_min_addr); with 0x10000 there no host
           address can hold 0xffffe000 bytes below 4 GiB, whatever the
           kernel's own minimum is. */
        unsigned long saved = mmap_min_addr;
        mmap_min_addr = 0x10000;
        r = target_mmap(0, 0xffffe000, PROT_NONE, ANON | MAP_NORESERVE, -1, 0);
        mmap_min_addr = saved;
    }
#else
    r = target_mmap(0, (abi_ulong)1 << 60, PROT_NONE, ANON | MAP_NORESERVE,
                    -1, 0);
#endif
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, ENOMEM);
    CHECK_EQ(mmap_next_start, next);
    if (is_reserved()) {
        errno = 0;
        r = target_mmap(0, emu_reserved_va() + TPS, RW, ANON, -1, 0);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
    }
    CHECK_EQ(emu_tb_count(), 0);

    /* not fixed, the host refuses the anonymous mapping (mmap.c:466-469):
       Linux rejects MAP_SHARED_VALIDATE for anonymous memory.  Without
       reserved_va the PROT_NONE range mmap_find_vma reserved is left
       behind (2.3 quirk), and mmap_next_start has moved past it. */
    next = mmap_next_start;
    errno = 0;
    r = target_mmap(0, TPS, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EINVAL);
    if (is_reserved()) {
        CHECK_EQ(emu_host_prot(mmap_next_start), 0);
        CHECK_EQ(flags_of(mmap_next_start), 0);
    } else if (next >= T_TASK_UNMAPPED_BASE) {
        if (LINUX_FIXES) {
            /* D36: ours checks the mapping type first, as Linux does:
               refused before the search, nothing changes (no host range,
               mmap_next_start where it was) */
            CHECK_EQ(mmap_next_start, next);
            CHECK(!emu_host_mapped(next));
        } else {
            CHECK_EQ(mmap_next_start, next + HPS);
            CHECK_EQ(emu_host_prot(next), 0);
        }
        CHECK_EQ(flags_of(next), 0);
    }

    /* host errors: bad fd, fixed (middle mapping, mmap.c:563) */
    errno = 0;
    CHECK_EQ(target_mmap(a, HPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, 1000, 0),
             -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(flags_of(a), 0);
    /* a write-only fd cannot be mapped */
    {
        char path[64];
        int wfd;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        wfd = open(path, O_WRONLY);
        CHECK(wfd >= 0);
        errno = 0;
        CHECK_EQ(target_mmap(a, HPS, PROT_READ, MAP_SHARED | MAP_FIXED,
                             wfd, 0), -1);
        CHECK_EQ(errno, EACCES);
        errno = 0;
        CHECK_EQ(target_mmap(0, HPS, PROT_READ, MAP_SHARED, wfd, 0), -1);
        CHECK_EQ(errno, EACCES);
        close(wfd);
    }

    /* not fixed, bad fd: the anonymous host mapping succeeds, the file
       mapping fails (mmap.c:473-478), and the range is munmap()ed. */
    if (qemu_real_host_page_size < TARGET_PAGE_SIZE) {
        SKIP("bad fd without MAP_FIXED fails in fstat on this target (t_mmap_eof)");
    } else {
        next = mmap_next_start;
        errno = 0;
        CHECK_EQ(target_mmap(0, TPS, PROT_READ, MAP_PRIVATE, 1000, 0), -1);
        CHECK_EQ(errno, EBADF);
        if (is_reserved()) {
            /* 2.3 quirk: the failure path calls munmap, not mmap_reserve,
               so it punches a hole into the reserved guest space: the host
               range is no longer mapped (not even PROT_NONE).  The search
               (which found the free range at mmap_next_start itself) left
               mmap_next_start at the failed address. */
            CHECK_EQ(mmap_next_start, next);
            if (LINUX_FIXES) {
                /* D18: ours re-reserves the range (PROT_NONE): no hole */
                CHECK_EQ(emu_host_prot(mmap_next_start), 0);
                CHECK_EQ(emu_host_prot(mmap_next_start + HPS - 1), 0);
            } else {
                CHECK(!emu_host_mapped(mmap_next_start));
                CHECK(!emu_host_mapped(mmap_next_start + HPS - 1));
            }
            CHECK(emu_host_mapped(mmap_next_start + HPS));
            CHECK(emu_host_mapped(mmap_next_start - 1));
            CHECK_EQ(flags_of(mmap_next_start), 0);
        } else if (next >= T_TASK_UNMAPPED_BASE) {
            if (LINUX_FIXES) {
                /* D39: ours looks the descriptor up first, as Linux does:
                   no search, mmap_next_start where it was */
                CHECK_EQ(mmap_next_start, next);
            } else {
                /* mmap_find_vma already advanced mmap_next_start past the
                   failed mapping; the range itself was unmapped again. */
                CHECK_EQ(mmap_next_start, next + HPS);
            }
            CHECK(!emu_host_mapped(next));
            CHECK_EQ(flags_of(next), 0);
        }
    }
    CHECK_EQ(emu_tb_count(), 0);

#if TARGET_ABI_BITS == 32
    if (!is_reserved()) {
        /* 2.3 bug: mmap_find_vma accepts a range whose last byte is
           0xffffffff (h2g_valid(ptr + size - 1)), then target_mmap calls
           page_set_flags(start, start + len) with an end that wrapped to 0,
           and QEMU aborts.  A non-fixed 3 GiB mapping found at 0x40000000
           ends exactly at 4 GiB. */
        if (!emu_host_range_free(0x40000000, 0xc0000000ul)) {
            SKIP("guest range [0x40000000, 4 GiB) not free on the host");
        } else if (LINUX_FIXES) {
            /* D34: the search never returns a range that ends past the
               guest space, so ours maps elsewhere or fails cleanly */
            int st = emu_run_child(nonfixed_to_4g_linux, NULL);
            CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        } else {
            CHECK_ABORTS_MSG(nonfixed_to_4g, NULL, PSF_START_END);
        }
    } else {
        SKIP("non-fixed mapping ending at 4 GiB: the reserved search stays below reserved_va");
    }
#endif

    close(fd);
    return check_summary();
}
