/* MAP_FIXED file mapping whose offset is not congruent to the address
   modulo the host page: mmap.c:500-526 ("worst case: we cannot map the
   file because the offset is not aligned, so we read it"):
   - shared + PROT_WRITE -> EINVAL
   - otherwise target_mmap(start, len, prot|PROT_WRITE, MAP_FIXED|
     MAP_PRIVATE|MAP_ANONYMOUS), pread, then target_mprotect(prot) when
     prot has no PROT_WRITE; its non-zero result is returned as the
     mapping's address (mmap.c:518-522).
   Only reachable when the host page is larger than the target page.
   Ours (D12): reads until done (zero-fills past EOF), refuses any shared
   mapping with EINVAL, and a failure is -1 with errno and releases the
   range. */
#include "tcommon.h"

static int fd;

#include <sys/resource.h>

static unsigned long vm_size(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned long total = 0;
    while (f && fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
            total += hi - lo;
        }
    }
    if (f) {
        fclose(f);
    }
    return total;
}

static void inner_fails(void *arg)
{
    abi_ulong f = fresh(20 * HPS);
    struct rlimit rl;
    abi_long r;
    int e;
    (void)arg;

    rl.rlim_cur = rl.rlim_max = vm_size() + 4 * HPS;
    CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
    errno = 0;
    r = target_mmap(f + TPS, 16 * HPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    e = errno;
    CHECK_EQ(r, -1);
    CHECK_EQ(e, ENOMEM);
    CHECK_EQ(flags_of(f + TPS), 0);
    CHECK_EQ(flags_of(f + 2 * HPS), 0);
}

int main(void)
{
    abi_ulong f;
    abi_long r;
    unsigned char c;
    size_t n0;
    int pfd[2];

    emu_init_from_env();
    if (HPS <= TPS) {
        SKIP("offsets are always congruent when the host page is the target page");
        return check_summary();
    }
    fd = emu_make_file(4 * HPS);

    /* A: private, read-only, 2 target pages from file offset 0 at host page
       offset TPS */
    f = fresh(2 * HPS);
    emu_tb_reset();
    r = target_mmap(f + TPS, 2 * TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    CHECK_EQ(r, (abi_long)(f + TPS));
    CHECK(mem_is_file(f + TPS, 2 * TPS, 0));
    CHECK_EQ(flags_of(f + TPS), VALID_R);      /* target_mprotect replaced */
    CHECK_EQ(flags_of(f + 2 * TPS), VALID_R);  /* the RW|WRITE_ORG flags */
    CHECK_EQ(flags_of(f), 0);
    CHECK_EQ(flags_of(f + 3 * TPS), 0);
    CHECK_EQ(emu_host_prot(f), PROT_READ);     /* whole host page */
    CHECK(!emu_can_write(f + TPS));
    /* the inner anonymous target_mmap and the outer one both invalidate */
    CHECK_EQ(emu_tb_count(), 2);
    CHECK_EQ(emu_tb_get(0).start, f + TPS);
    CHECK_EQ(emu_tb_get(0).end, f + 3 * TPS);
    CHECK_LAST_TB(f + TPS, f + 3 * TPS);
    /* it is a copy: later file writes are not seen */
    c = 0x5c;
    CHECK(pwrite(fd, &c, 1, 0) == 1);
    CHECK_EQ(H(f + TPS)[0], emu_file_byte(0));
    c = emu_file_byte(0);
    CHECK(pwrite(fd, &c, 1, 0) == 1);

    /* B: private read/write: no mprotect, stays RW */
    f = fresh(2 * HPS);
    r = target_mmap(f + 2 * TPS, TPS, RW, MAP_PRIVATE | MAP_FIXED, fd, 3 * TPS);
    CHECK_EQ(r, (abi_long)(f + 2 * TPS));
    CHECK(mem_is_file(f + 2 * TPS, TPS, 3 * TPS));
    CHECK_EQ(flags_of(f + 2 * TPS), VALID_RW);
    CHECK(emu_can_write(f + 2 * TPS));
    H(f + 2 * TPS)[0] ^= 1;
    CHECK(pread(fd, &c, 1, 3 * TPS) == 1);
    CHECK_EQ(c, emu_file_byte(3 * TPS));
    /* spanning host pages: the same path, whatever the length */
    r = target_mmap(f + HPS - TPS, 2 * TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED,
                    fd, 0);
    CHECK_EQ(r, (abi_long)(f + HPS - TPS));
    CHECK(mem_is_file(f + HPS - TPS, 2 * TPS, 0));
    CHECK_EQ(flags_of(f + HPS), VALID_R);
    CHECK_EQ(flags_of(f + 2 * TPS), VALID_RW);

    /* C: shared + writable -> EINVAL, nothing mapped */
    f = fresh(2 * HPS);
    emu_tb_reset();
    errno = 0;
    r = target_mmap(f + TPS, TPS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(flags_of(f + TPS), 0);
    CHECK_EQ(emu_host_prot(f), is_reserved() ? 0 : -1);
    CHECK_EQ(emu_tb_count(), 0);

    /* D: shared read-only is accepted, and is a private snapshot
       (MAP_SHARED silently becomes a copy; ours does the same, D12: a
       read-only copy cannot be written through, only goes stale) */
    errno = 0;
    r = target_mmap(f + TPS, TPS, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    {
    CHECK_EQ(r, (abi_long)(f + TPS));
    CHECK(mem_is_file(f + TPS, TPS, 0));
    CHECK_EQ(flags_of(f + TPS), VALID_R);
    c = 0x5c;
    CHECK(pwrite(fd, &c, 1, 1) == 1);
    CHECK_EQ(H(f + TPS)[1], emu_file_byte(1));
    c = emu_file_byte(1);
    CHECK(pwrite(fd, &c, 1, 1) == 1);
    }

    /* D': a file shorter than the mapping, into a host page that holds
       other live pages and old bytes.  2.3 quirk: the inner anonymous
       mapping keeps the old bytes (see t_mmap_frag), one pread reads to
       EOF, and the rest of the mapping shows the stale bytes.  D12 (and
       D10): ours reads until EOF and zero-fills the rest. */
    {
        int sfd = emu_make_file(TPS + 100);
        f = fresh(2 * HPS);
        CHECK_EQ(target_mmap(f, HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)f);
        memset(H(f), 0xee, HPS);
        r = target_mmap(f + TPS, 2 * TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED,
                        sfd, 0);
        CHECK_EQ(r, (abi_long)(f + TPS));
        CHECK(mem_is_file(f + TPS, TPS + 100, 0));
        if (LINUX_FIXES) {
            CHECK(mem_is(f + 2 * TPS + 100, TPS - 100, 0));     /* D12 */
        } else {
            CHECK(mem_is(f + 2 * TPS + 100, TPS - 100, 0xee));
        }
        CHECK_EQ(flags_of(f + 2 * TPS), VALID_R);
        CHECK(mem_is(f, TPS, 0xee));                /* the neighbours */
        CHECK(mem_is(f + 3 * TPS, HPS - 3 * TPS, 0xee));
        close(sfd);
    }

    /* E: pread fails (a pipe): -1 with pread's errno.  2.3 quirk: the
       anonymous read/write mapping made by the inner target_mmap stays,
       with valid page flags.  Ours (D36): the host is asked whether it
       maps the file before anything changes: ENODEV, as Linux. */
    CHECK(pipe(pfd) == 0);
    f = fresh(2 * HPS);
    emu_tb_reset();
    errno = 0;
    r = target_mmap(f + TPS, TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, pfd[0], 0);
    CHECK_EQ(r, -1);
    CHECK_EQ_DIV("D36", errno, ESPIPE, ENODEV);
    if (LINUX_FIXES) {
        /* D12: the range is released again */
        CHECK_EQ(flags_of(f + TPS), 0);
        CHECK_EQ(emu_host_prot(f), is_reserved() ? 0 : -1);
    } else {
        CHECK_EQ(flags_of(f + TPS), VALID_RW);
        CHECK_EQ(emu_host_prot(f), RW);
        CHECK_EQ(emu_tb_count(), 1);           /* only the inner mapping */
        CHECK_LAST_TB(f + TPS, f + 2 * TPS);
    }
    close(pfd[0]);
    close(pfd[1]);

    /* F: target_mprotect fails and its result becomes the return value
       (mmap.c:518-522, "start = ret; goto the_end").  Set up a host page
       whose first target page has guest flags but no host memory (as
       page_set_flags callers outside mmap.c can leave it), and real host
       memory for the target page being mapped:
         - the inner anonymous target_mmap sees a live neighbour, so
           mmap_frag only mprotects the host page; that mprotect fails
           (ENOMEM) and mmap_frag ignores it;
         - pread fills the directly mapped page;
         - target_mprotect's host mprotect of the whole host page fails
           with ENOMEM, it returns -1, and target_mmap returns it (as an
           address), after a tb_invalidate_phys_range(-1, -1 + len). */
    if (qemu_real_host_page_size <= TARGET_PAGE_SIZE) {
        void *p;
        f = fresh(2 * HPS);
        /* the test itself leaves a hole in the window: the emulator-storage
           checker (emu.h) is off until it is filled again below */
        emu_check_enable(0);
        munmap(H(f), HPS);                     /* a hole, even if reserved */
        p = mmap(H(f + TPS), TPS, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                 -1, 0);
        CHECK(p == H(f + TPS));
        mmap_lock();
        page_set_flags(f, f + TPS, VALID_R);
        mmap_unlock();
        emu_tb_reset();
        n0 = emu_tb_count();
        errno = 0;
        r = target_mmap(f + TPS, TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
        CHECK_EQ(flags_of(f), VALID_R);
        if (LINUX_FIXES) {
            /* D12: -1/ENOMEM, a real failure, and the range is released
               (the host page keeps its other, flagged, page) */
            CHECK_EQ(flags_of(f + TPS), 0);
            CHECK(emu_tb_count() >= n0 + 1);
            CHECK(emu_tb_get(emu_tb_count() - 1).start != FAILED);
        } else {
            CHECK(mem_is_file(f + TPS, TPS, 0));   /* the pread happened */
            CHECK_EQ(flags_of(f + TPS), VALID_RW); /* from the inner mapping */
            CHECK_EQ(emu_tb_count(), n0 + 2);
            CHECK_EQ(emu_tb_get(n0).start, f + TPS);
            CHECK_EQ(emu_tb_get(n0).end, f + 2 * TPS);
            CHECK_LAST_TB(FAILED, FAILED + TPS);
            CHECK_EQ(emu_host_prot(f + TPS), RW);  /* never made read-only */
        }
        /* fill what is still a hole, then check again */
        if (is_reserved()) {
            abi_ulong q;
            for (q = f; q < f + HPS; q += RPS) {
                mmap(H(q), RPS, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
                     MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
            }
        }
        emu_check_enable(1);
    } else {
        SKIP("target_mprotect failure set-up needs real host page <= target page");
    }

    /* G: the inner anonymous target_mmap fails (mmap.c:514-515): with
       RLIMIT_AS just above the current size, its host mmap of new memory
       gets ENOMEM.  (With reserved_va the mapping only replaces the
       reservation, which the limit does not see.) */
    if (!is_reserved()) {
        run_checked_child(inner_fails, NULL, "inner target_mmap fails");
    } else {
        SKIP("inner target_mmap failure: RLIMIT_AS does not bite inside the reservation");
    }

    close(fd);
    return check_summary();
}
