/* target_mremap (mmap.c:688-764), its three branches:
   - MREMAP_FIXED: host mremap to g2h(new_addr), then (reserved_va)
     mmap_reserve of the old range;
   - MREMAP_MAYMOVE: mmap_find_vma(0, new_size), host mremap MREMAP_FIXED
     there (it always moves), (reserved_va) mmap_reserve of the old range;
   - in place: (reserved_va) page-flag check of the growth, host mremap,
     (reserved_va) mmap_reserve of a shrink, the "fits target address space"
     test on the *host* address.
   Then: flags of the old range cleared, new range gets
   page_get_flags(old_addr) | PAGE_VALID, tb_invalidate(new, new + size)
   even on failure (new = -1).
   Ours (Linux semantics): D19 (a shrink re-reserves exactly the freed
   tail), D20 (a failed move keeps the old mapping), D21 (argument and range
   errors before anything happens: EINVAL/EFAULT), D22 (growth in place
   under reserved_va), D23 (per-page protections kept), D24 (the old range
   is invalidated too, a failure invalidates nothing), D25 (the fit check on
   guest addresses).  D23, D33: see docs/TESTING.md. */
#include "tcommon.h"

static void check_freed(abi_ulong a)
{
    if (is_reserved()) {
        CHECK(emu_host_mapped(a));
        CHECK_EQ(emu_host_prot(a), 0);
    } else {
        CHECK(!emu_host_mapped(a));
    }
    CHECK_EQ(flags_of(a), 0);
}

#if TARGET_ABI_BITS == 32
/* In-place shrink with reserved_va on a 32-bit guest (run in a child with
   a private guest space, because it clobbers host memory up to 4 GiB past
   the old mapping).  Two 2.3 bugs meet:
   - mmap_reserve(old_addr + old_size, new_size - old_size): the size is
     negative, i.e. about 4 GiB in abi_ulong, so everything from the end of
     the old mapping up is replaced by a PROT_NONE reservation;
   - the "fits target address space" test compares the *host* address
     g2h(old_addr) + new_size with 0xffffffff, which is always true with a
     non-zero guest_base, so the shrink is reverted (grown back in place:
     the tail comes back as fresh zero pages) and the call fails with
     ENOMEM. */
static void shrink_child(void *arg)
{
    abi_ulong g, v;
    abi_long r;
    (void)arg;

    if (!use_private_guest_space()) {
        SKIP("no guest base support");
        return;
    }
    g = 0x100000;
    v = g + 8 * HPS;
    CHECK_EQ(target_mmap(g, 4 * HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)g);
    CHECK_EQ(target_mmap(v, HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)v);
    memset(H(g), 0x77, 4 * HPS);
    memset(H(v), 0x66, HPS);
    emu_tb_reset();
    errno = 0;
    r = target_mremap(g, 4 * HPS, 2 * HPS, 0, 0);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, ENOMEM);
    CHECK_LAST_TB(FAILED, FAILED + 2 * HPS);
    CHECK_EQ(flags_of(g + 3 * HPS), VALID_RW);   /* flags untouched */
    CHECK(mem_is(g, 2 * HPS, 0x77));
    CHECK(mem_is(g + 2 * HPS, 2 * HPS, 0));      /* the regrown tail */
    CHECK_EQ(flags_of(v), VALID_RW);
    CHECK_EQ(emu_host_prot(v), 0);               /* clobbered */
    CHECK(!emu_can_read(v));
    CHECK_EQ(emu_host_prot(0xfffff000), 0);      /* up to the top */
}

/* The same shrink with ours: D25 (the fit check is on guest addresses) lets
   it happen, and D19 re-reserves exactly the freed tail: the neighbour
   keeps its data and protection. */
static void shrink_child_linux(void *arg)
{
    abi_ulong g, v;
    abi_long r;
    (void)arg;

    if (!use_private_guest_space()) {
        SKIP("no guest base support");
        return;
    }
    g = 0x100000;
    v = g + 8 * HPS;
    CHECK_EQ(target_mmap(g, 4 * HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)g);
    CHECK_EQ(target_mmap(v, HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)v);
    memset(H(g), 0x77, 4 * HPS);
    memset(H(v), 0x66, HPS);
    emu_tb_reset();
    r = target_mremap(g, 4 * HPS, 2 * HPS, 0, 0);
    CHECK_EQ(r, (abi_long)g);
    /* D24: the old range, then the new one */
    CHECK_EQ(emu_tb_count(), 2);
    CHECK_EQ(emu_tb_get(0).start, g);
    CHECK_EQ(emu_tb_get(0).end, g + 4 * HPS);
    CHECK_LAST_TB(g, g + 2 * HPS);
    CHECK_EQ(flags_of(g + 2 * HPS - TPS), VALID_RW);
    CHECK_EQ(flags_of(g + 2 * HPS), 0);
    CHECK_EQ(flags_of(g + 3 * HPS), 0);
    CHECK(mem_is(g, 2 * HPS, 0x77));
    CHECK(emu_host_mapped(g + 2 * HPS));         /* re-reserved, no hole */
    CHECK_EQ(emu_host_prot(g + 2 * HPS), 0);
    CHECK_EQ(emu_host_prot(g + 4 * HPS - 1), 0);
    CHECK(!emu_can_read(g + 2 * HPS));
    CHECK_EQ(flags_of(v), VALID_RW);             /* the neighbour is intact */
    CHECK_EQ(emu_host_prot(v), RW);
    CHECK(mem_is(v, HPS, 0x66));
}
#endif

int main(void)
{
    abi_ulong a, d, n, next;
    abi_long r;

    emu_init_from_env();

    /* ---- MREMAP_FIXED|MREMAP_MAYMOVE */
    a = target_mmap(0, 2 * HPS, RW, ANON, -1, 0);
    CHECK(a != FAILED);
    memset(H(a), 0x11, 2 * HPS);
    d = fresh(4 * HPS);
    next = mmap_next_start;
    emu_tb_reset();
    r = target_mremap(a, 2 * HPS, 3 * HPS, MREMAP_FIXED | MREMAP_MAYMOVE, d);
    CHECK_EQ(r, (abi_long)d);
    CHECK(mem_is(d, 2 * HPS, 0x11));
    CHECK(mem_is(d + 2 * HPS, HPS, 0));
    CHECK_EQ(flags_of(d), VALID_RW);
    CHECK_EQ(flags_of(d + 3 * HPS - TPS), VALID_RW);
    CHECK_EQ(flags_of(d + 3 * HPS), 0);
    check_freed(a);
    check_freed(a + 2 * HPS - 1);
    if (LINUX_FIXES) {
        /* D24: the old range is invalidated too, before the new one */
        CHECK_EQ(emu_tb_count(), 2);
        CHECK_EQ(emu_tb_get(0).start, a);
        CHECK_EQ(emu_tb_get(0).end, a + 2 * HPS);
    } else {
        CHECK_EQ(emu_tb_count(), 1);
    }
    CHECK_LAST_TB(d, d + 3 * HPS);
    CHECK_EQ(mmap_next_start, next);
    /* MREMAP_FIXED without MAYMOVE: the host says EINVAL; -1, and
       tb_invalidate(-1, -1 + new_size) all the same */
    n = fresh(2 * HPS);
    emu_tb_reset();
    errno = 0;
    r = target_mremap(d, HPS, HPS, MREMAP_FIXED, n);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EINVAL);
    if (LINUX_FIXES) {
        /* D21: refused before the host call; D24: nothing invalidated */
        CHECK_EQ(emu_tb_count(), 0);
    } else {
        CHECK_LAST_TB(FAILED, FAILED + HPS);
    }
    CHECK_EQ(flags_of(d), VALID_RW);
    CHECK(mem_is(d, HPS, 0x11));

    /* ---- MREMAP_MAYMOVE: 2.3 always moves, to a fresh mmap_find_vma
       range, even when the mapping could grow in place */
    a = d;
    next = mmap_next_start;
    emu_tb_reset();
    r = target_mremap(a, 3 * HPS, 4 * HPS, MREMAP_MAYMOVE, 0);
    CHECK(r != -1);
    n = r;
    CHECK(n != a);
    CHECK(mem_is(n, 2 * HPS, 0x11));
    CHECK(mem_is(n + 2 * HPS, 2 * HPS, 0));
    CHECK_EQ(flags_of(n + 4 * HPS - TPS), VALID_RW);
    check_freed(a);
    CHECK_LAST_TB(n, n + 4 * HPS);
    if (is_reserved()) {
        CHECK_EQ(mmap_next_start, n);
    } else if (next >= T_TASK_UNMAPPED_BASE) {
        CHECK_EQ(n, next);
        CHECK_EQ(mmap_next_start, next + 4 * HPS);
    }
    /* the new range gets the *first* old page's flags: a read-only first
       page makes the whole new range read-only for the guest, while the
       host keeps the second page writable (2.3 quirk).  (With host pages of
       the target's size this needs a kernel that moves several mappings in
       one same-size mremap: Linux 6.17 or later.)  D23: ours keeps each
       page's own protection, with host pages of any size */
    CHECK_EQ(target_mprotect(n, HPS, PROT_READ), 0);
    r = target_mremap(n, 2 * HPS, 2 * HPS, MREMAP_MAYMOVE, 0);
    CHECK(r != -1);
    a = r;
    CHECK_EQ(flags_of(a), VALID_R);
    if (LINUX_FIXES) {
        /* D23 */
        CHECK_EQ(flags_of(a + HPS), VALID_RW);
    } else {
        CHECK_EQ(flags_of(a + HPS), VALID_R);
    }
    CHECK_EQ(emu_host_prot(a + HPS), RW);
    CHECK(emu_can_write(a + HPS));
    CHECK(!emu_can_write(a));
    /* no room -> ENOMEM, tb_invalidate(-1, ...) */
    next = mmap_next_start;
    emu_tb_reset();
    errno = 0;
#if TARGET_ABI_BITS == 32
    r = target_mremap(a, HPS, 0xfff00000, MREMAP_MAYMOVE, 0);
#else
    r = target_mremap(a, HPS, (abi_ulong)1 << 60, MREMAP_MAYMOVE, 0);
#endif
    if (is_reserved() || TARGET_ABI_BITS == 64) {
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
        if (LINUX_FIXES) {
            /* D24: a failure invalidates nothing */
            CHECK_EQ(emu_tb_count(), 0);
        } else {
            CHECK_EQ(emu_tb_count(), 1);
            CHECK_EQ(emu_tb_get(0).start, FAILED);
        }
        CHECK_EQ(flags_of(a), VALID_R);
        CHECK_EQ(mmap_next_start, next);
    }
    /* the old range is not mapped at all (and not where the search, which
       starts at mmap_next_start, will look first) */
    d = fresh(4 * HPS) + 2 * HPS;
    next = mmap_next_start;
    errno = 0;
    r = target_mremap(d, HPS, HPS, MREMAP_MAYMOVE, 0);
    if (LINUX_FIXES) {
        /* D21: an old range that is not mapped is EFAULT, with or without
           reserved_va, before any search: nothing changes */
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EFAULT);
        CHECK_EQ(mmap_next_start, next);
        check_freed(d);
    } else if (is_reserved()) {
        /* 2.3 quirk: it is mapped on the host (the PROT_NONE reservation),
           so the move succeeds and the guest gets a valid PROT_NONE page */
        CHECK(r != -1);
        CHECK_EQ(flags_of(r), PAGE_VALID);
        CHECK_EQ(emu_host_prot(r), 0);
        check_freed(d);
    } else {
        /* the host says EFAULT; the range mmap_find_vma reserved stays
           reserved (PROT_NONE) and mmap_next_start has moved */
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EFAULT);
    }

    /* the host mremap fails (the old range spans two host mappings with
       different protections: EFAULT) */
    d = fresh(4 * HPS);
    CHECK_EQ(target_mmap(d, 2 * HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)d);
    memset(H(d), 0x44, 2 * HPS);
    CHECK_EQ(target_mprotect(d + HPS, HPS, PROT_READ), 0);
    next = mmap_next_start;
    errno = 0;
    r = target_mremap(d, 2 * HPS, 3 * HPS, MREMAP_MAYMOVE, 0);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EFAULT);
    CHECK_EQ(flags_of(d), VALID_RW);
    CHECK_EQ(flags_of(d + HPS), VALID_R);
    if (LINUX_FIXES) {
        /* D20: the old mapping is kept (reserved_va or not), and the
           search's hint is put back */
        CHECK_EQ(emu_host_prot(d), RW);
        CHECK_EQ(emu_host_prot(d + HPS), PROT_READ);
        CHECK(mem_is(d, 2 * HPS, 0x44));
        CHECK_EQ(mmap_next_start, next);
    } else if (is_reserved()) {
        /* 2.3 bug: the MAYMOVE branch calls mmap_reserve(old_addr,
           old_size) whether or not the host mremap worked, so the old
           mapping is replaced by the PROT_NONE reservation: its data is
           gone while its page flags still say it is mapped */
        CHECK_EQ(emu_host_prot(d), 0);
        CHECK_EQ(emu_host_prot(d + HPS), 0);
        CHECK(!emu_can_read(d));
        CHECK(mmap_next_start != next);  /* the search moved the hint */
    } else {
        CHECK_EQ(emu_host_prot(d), RW);
        CHECK(mem_is(d, 2 * HPS, 0x44));
        if (next >= T_TASK_UNMAPPED_BASE) {
            CHECK(mmap_next_start != next);  /* the search moved the hint */
        }
    }

    /* ---- moving a fragment of a host page (host page > target page):
       the host moves real pages, and mmap_reserve keeps host pages that
       still hold live target pages (mmap.c:596-618) */
    if (HPS > TPS) {
        /* one free region for both, so the destination never overlaps g */
        abi_ulong g = fresh(12 * HPS);
        n = g + 8 * HPS;
        CHECK_EQ(target_mmap(g, HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)g);
        memset(H(g), 0x55, HPS);
        r = target_mremap(g + TPS, TPS, TPS, MREMAP_FIXED | MREMAP_MAYMOVE, n);
        CHECK_EQ(r, (abi_long)n);
        CHECK(mem_is(n, TPS, 0x55));
        CHECK_EQ(flags_of(n), VALID_RW);
        CHECK_EQ(flags_of(g + TPS), 0);
        CHECK_EQ(flags_of(g), VALID_RW);
        /* the moved real page leaves a hole, even with reserved_va: the
           host page has live neighbours so it is not re-reserved.
           D33: ours leaves no hole in a live host page: the moved real
           page is refilled with memory of the host page's protection */
        if (LINUX_FIXES) {
            CHECK_EQ(emu_host_prot(g + TPS), RW);
        } else {
            CHECK(!emu_host_mapped(g + TPS));
        }
        CHECK_EQ(emu_host_prot(g), RW);
        CHECK_EQ(emu_host_prot(g + 2 * TPS), RW);
        /* an aligned start with a live page after the end: mmap_reserve
           trims the end host page (mmap.c:611-618), the real page moved
           away leaves a hole */
        CHECK_EQ(target_mmap(g + 2 * HPS, 3 * TPS, RW, ANON | MAP_FIXED, -1, 0),
                 (abi_long)(g + 2 * HPS));
        r = target_mremap(g + 2 * HPS, TPS, TPS, MREMAP_FIXED | MREMAP_MAYMOVE,
                          n + TPS);
        CHECK_EQ(r, (abi_long)(n + TPS));
        if (LINUX_FIXES) {
            CHECK_EQ(emu_host_prot(g + 2 * HPS), RW);    /* D33: refilled */
        } else {
            CHECK(!emu_host_mapped(g + 2 * HPS));
        }
        CHECK_EQ(emu_host_prot(g + 2 * HPS + TPS), RW);
        CHECK_EQ(flags_of(g + 2 * HPS), 0);
        CHECK_EQ(flags_of(g + 2 * HPS + TPS), VALID_RW);
        /* a fragment alone in its host page: the whole host page is
           released (re-reserved with reserved_va) */
        CHECK_EQ(target_mmap(g + HPS + TPS, TPS, RW, ANON | MAP_FIXED, -1, 0),
                 (abi_long)(g + HPS + TPS));
        r = target_mremap(g + HPS + TPS, TPS, TPS, MREMAP_FIXED | MREMAP_MAYMOVE,
                          n + HPS);
        CHECK_EQ(r, (abi_long)(n + HPS));
        if (is_reserved()) {
            /* UNDOC-2/D33: the host page, where no guest page is left, goes
               back to the reservation as a whole, as munmap does */
            CHECK_EQ(emu_host_prot(g + HPS), 0);
            CHECK_EQ(emu_host_prot(g + HPS + TPS), 0);
            CHECK_EQ(emu_host_prot(g + 2 * HPS - 1), 0);
        } else if (LINUX_FIXES) {
            /* D33: no guest page is left in the host page: released, as
               munmap does */
            CHECK(!emu_host_mapped(g + HPS + TPS));
            CHECK(!emu_host_mapped(g + HPS));
        } else {
            /* 2.3: the rest of the host page stays read/write host memory */
            CHECK(!emu_host_mapped(g + HPS + TPS));
            CHECK_EQ(emu_host_prot(g + HPS), RW);
        }
    } else {
        SKIP("moving a fragment of a host page: needs host page > target page");
    }

    /* ---- a refused growth in place changes nothing (host page > target
       page): the old range is two mappings (read/write, then read/execute
       in the next host page), so the host refuses the growth with EFAULT;
       the free rest of that next host page keeps its memory and protection */
    if (HPS > TPS) {
        abi_ulong g = fresh(4 * HPS), old = g + HPS - TPS, tail = g + HPS + TPS;
        int tail_prot;
        CHECK_EQ(target_mmap(old, TPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)old);
        CHECK_EQ(target_mmap(g + HPS, TPS, PROT_READ | PROT_EXEC, ANON | MAP_FIXED, -1, 0),
                 (abi_long)(g + HPS));
        tail_prot = emu_host_prot(tail);
        CHECK(emu_host_mapped(tail));
        errno = 0;
        r = target_mremap(old, 2 * TPS, 3 * TPS, 0, 0);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EFAULT);
        CHECK(emu_host_mapped(tail));
        CHECK_EQ(emu_host_prot(tail), tail_prot);
        CHECK_EQ(emu_host_prot(g + 2 * HPS - 1), tail_prot);
        CHECK_EQ(flags_of(tail), 0);
        CHECK_EQ(flags_of(old), VALID_RW);
        CHECK_EQ(flags_of(g + HPS), PAGE_VALID | PAGE_READ | PAGE_EXEC);
        CHECK_EQ(target_munmap(g, 4 * HPS), 0);
    } else {
        SKIP("a refused growth in a host page: needs host page > target page");
    }

    /* ---- in place */
    if (!is_reserved()) {
        d = fresh(4 * HPS);
        CHECK_EQ(target_mmap(d, HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)d);
        memset(H(d), 0x22, HPS);
        /* grow */
        emu_tb_reset();
        r = target_mremap(d, HPS, 3 * HPS, 0, 0);
        CHECK_EQ(r, (abi_long)d);
        CHECK(mem_is(d, HPS, 0x22));
        CHECK(mem_is(d + HPS, 2 * HPS, 0));
        CHECK_EQ(flags_of(d + 3 * HPS - TPS), VALID_RW);
        CHECK_LAST_TB(d, d + 3 * HPS);
        /* shrink */
        r = target_mremap(d, 3 * HPS, HPS, 0, 0);
        CHECK_EQ(r, (abi_long)d);
        CHECK_EQ(flags_of(d), VALID_RW);
        CHECK_EQ(flags_of(d + HPS), 0);
        CHECK(!emu_host_mapped(d + HPS));
        CHECK_LAST_TB(d, d + HPS);
        /* grow into a mapped neighbour: the host says ENOMEM */
        CHECK_EQ(target_mmap(d + 2 * HPS, HPS, PROT_READ, ANON | MAP_FIXED,
                             -1, 0), (abi_long)(d + 2 * HPS));
        emu_tb_reset();
        errno = 0;
        r = target_mremap(d, HPS, 3 * HPS, 0, 0);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
        if (LINUX_FIXES) {
            CHECK_EQ(emu_tb_count(), 0);                 /* D24 */
        } else {
            CHECK_LAST_TB(FAILED, FAILED + 3 * HPS);
        }
        CHECK_EQ(flags_of(d + HPS), 0);
        CHECK_EQ(flags_of(d + 2 * HPS), VALID_R);
#if TARGET_ABI_BITS == 32
        /* the "fits target address space" test, with guest_base 0: a
           mapping grown to end exactly at 4 GiB is reverted -> ENOMEM */
        if (emu_guest_base() == 0 &&
            emu_host_range_free(0xfffe0000, 0x20000)) {
            abi_ulong t = 0xfffe0000;
            CHECK_EQ(target_mmap(t, 0x8000, RW, ANON | MAP_FIXED, -1, 0),
                     (abi_long)t);
            errno = 0;
            r = target_mremap(t, 0x8000, 0x20000, 0, 0);
            CHECK_EQ(r, -1);
            CHECK_EQ(errno, ENOMEM);
            CHECK(!emu_host_mapped(t + 0x8000));    /* reverted */
            CHECK_EQ(flags_of(t), VALID_RW);
            CHECK_EQ(flags_of(t + 0x8000), 0);
            r = target_mremap(t, 0x8000, 0x20000 - TPS, 0, 0);
            CHECK_EQ(r, (abi_long)t);
            CHECK_EQ(flags_of(t + 0x20000 - 2 * TPS), VALID_RW);
            CHECK_EQ(target_munmap(t, 0x20000 - TPS), 0);
        } else {
            SKIP("top of the 32-bit guest space not free on the host");
        }
#endif
    } else {
        abi_ulong g = fresh(8 * HPS);
        CHECK_EQ(target_mmap(g, 2 * HPS, RW, ANON | MAP_FIXED, -1, 0),
                 (abi_long)g);
        memset(H(g), 0x33, 2 * HPS);
        /* growth over live pages: refused by the page-flag check
           (mmap.c:727-743) without asking the host */
        CHECK_EQ(target_mmap(g + 3 * HPS, TPS, PROT_READ, ANON | MAP_FIXED,
                             -1, 0), (abi_long)(g + 3 * HPS));
        emu_tb_reset();
        errno = 0;
        r = target_mremap(g, 2 * HPS, 4 * HPS, 0, 0);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
        if (LINUX_FIXES) {
            CHECK_EQ(emu_tb_count(), 0);                 /* D24 */
        } else {
            CHECK_LAST_TB(FAILED, FAILED + 4 * HPS);
        }
        CHECK_EQ(flags_of(g + 2 * HPS), 0);
        /* the check covers every byte up to old_addr + new_size: a live
           page in the last target page of the growth is seen too */
        errno = 0;
        r = target_mremap(g, 2 * HPS, 3 * HPS + TPS, 0, 0);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ENOMEM);
        /* growth into free guest pages: the host refuses, because the
           reservation occupies the host range -> ENOMEM as well */
        errno = 0;
        r = target_mremap(g, 2 * HPS, 3 * HPS, 0, 0);
        if (LINUX_FIXES) {
            /* D22: the page flags decide: the tail is free, its reservation
               is lifted for the host, and the mapping grows in place */
            CHECK_EQ(r, (abi_long)g);
            CHECK_EQ(flags_of(g + 2 * HPS), VALID_RW);
            CHECK_EQ(flags_of(g + 3 * HPS - TPS), VALID_RW);
            CHECK_EQ(emu_host_prot(g + 2 * HPS), RW);
            CHECK(mem_is(g + 2 * HPS, HPS, 0));
            CHECK(mem_is(g, 2 * HPS, 0x33));
            /* D19: shrinking back re-reserves exactly the freed tail; the
               neighbour right after it keeps its flags and protection */
            r = target_mremap(g, 3 * HPS, 2 * HPS, 0, 0);
            CHECK_EQ(r, (abi_long)g);
            CHECK_EQ(flags_of(g + 2 * HPS), 0);
            CHECK(emu_host_mapped(g + 2 * HPS));
            CHECK_EQ(emu_host_prot(g + 2 * HPS), 0);
            CHECK_EQ(emu_host_prot(g + 3 * HPS - 1), 0);
            CHECK_EQ(flags_of(g + 3 * HPS), VALID_R);
            CHECK_EQ(emu_host_prot(g + 3 * HPS), PROT_READ);
        } else {
            CHECK_EQ(r, -1);
            CHECK_EQ(errno, ENOMEM);
        }
        CHECK_EQ(flags_of(g + 2 * HPS), 0);
        CHECK(mem_is(g, 2 * HPS, 0x33));
#if TARGET_ABI_BITS == 32
        /* 2.3 bug: even a same-size in-place mremap fails on a 32-bit guest
           with a non-zero guest_base: the "fits target address space" test
           compares the host address (mmap.c:745) */
        errno = 0;
        r = target_mremap(g, 2 * HPS, 2 * HPS, 0, 0);
        if (LINUX_FIXES) {
            CHECK_EQ(r, (abi_long)g);        /* D25: guest addresses */
        } else {
            CHECK_EQ(r, -1);
            CHECK_EQ(errno, ENOMEM);
        }
        CHECK_EQ(flags_of(g), VALID_RW);
        CHECK(mem_is(g, 2 * HPS, 0x33));
        if (LINUX_FIXES) {
            run_checked_child(shrink_child_linux, NULL,
                              "in-place shrink, reserved_va (D19, D25)");
        } else {
            run_checked_child(shrink_child, NULL, "in-place shrink, reserved_va");
        }
#else
        SKIP("in-place shrink with reserved_va: no 64-bit reserved configuration");
#endif
    }

    return check_summary();
}
