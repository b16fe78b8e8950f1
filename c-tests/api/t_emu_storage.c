/*
 * t_emu_storage.c -- the library never destroys the emulator's memory.
 *
 * QEMU 2.3's page_set_flags allocates its page-table levels with
 * mmap(NULL, ...) (translate-all.c page_find_alloc), so any callback may
 * place emulator memory in a hole the library left in the guest window, and
 * a later MAP_FIXED re-reservation or unmap by the library destroys it (the
 * crash of target_mremap under reserved_va fixed in a29dcf6: the old range
 * was re-reserved after the page-flag callbacks).  emu.c allocates the same
 * way and its checker (emu.h) verifies at every callback entry and exit that
 * the reserved window has no hole and that every emulator block is intact;
 * a violation aborts with "emu: INVARIANT VIOLATED".
 *
 * This test runs mremap moves (growth that must move, shrinks in place,
 * MREMAP_FIXED moves, moves of a range larger than a page-table leaf, moves
 * of part of a host page) twice: with the checker, then in a child in
 * hostile mode (the emulator maps blocks into every hole of the window, as
 * the kernel may), where a library that leaves a hole and re-reserves it
 * later destroys a block, as it destroyed QEMU's page table.
 */
#include "tcommon.h"

#ifndef MREMAP_FIXED
# define MREMAP_FIXED 2
#endif

static void fill(abi_ulong a, abi_ulong len, unsigned char v)
{
    memset(H(a), v, len);
}

/* the old range after a move: free for the guest, reserved on the host
   under reserved_va (only whole host pages are checked) */
static void check_vacated(abi_ulong a, abi_ulong len)
{
    abi_ulong p;
    for (p = HOST_PAGE_ALIGN(a); p + HPS <= a + len; p += HPS) {
        CHECK_EQ(flags_of(p), 0);
        if (is_reserved()) {
            CHECK_EQ(emu_host_prot(p), 0);
        }
    }
}

static void sequence(void)
{
    abi_ulong a, b, c, dst, big, h;
    abi_long r;
    abi_ulong leaf = (abi_ulong)TARGET_PAGE_SIZE << 10;   /* one leaf */

    /* 1. growth that has to move: a neighbour blocks growth in place */
    a = fresh(16 * HPS);
    CHECK_EQ(target_mmap(a, 4 * HPS, RW, ANON | MAP_FIXED, -1, 0),
             (abi_long)a);
    CHECK_EQ(target_mmap(a + 4 * HPS, HPS, PROT_READ, ANON | MAP_FIXED, -1,
                         0), (abi_long)(a + 4 * HPS));
    fill(a, 4 * HPS, 0x5a);
    r = target_mremap(a, 4 * HPS, 8 * HPS, MREMAP_MAYMOVE, 0);
    CHECK(r != -1);
    b = (abi_ulong)r;
    CHECK(b != a);
    CHECK_EQ(flags_of(b), VALID_RW);
    CHECK_EQ(flags_of(b + 7 * HPS), VALID_RW);
    CHECK(mem_is(b, 4 * HPS, 0x5a));
    check_vacated(a, 4 * HPS);
    CHECK_EQ(flags_of(a + 4 * HPS), VALID_R);

    /* 2. shrink in place */
    CHECK_EQ(target_mremap(b, 8 * HPS, 3 * HPS, 0, 0), (abi_long)b);
    CHECK_EQ(flags_of(b + 2 * HPS), VALID_RW);
    check_vacated(b + 3 * HPS, 5 * HPS);

    /* 3. MREMAP_FIXED move (over nothing, then over a mapping) */
    dst = fresh(8 * HPS);
    CHECK_EQ(target_mremap(b, 3 * HPS, 3 * HPS,
                           MREMAP_MAYMOVE | MREMAP_FIXED, dst),
             (abi_long)dst);
    CHECK(mem_is(dst, 3 * HPS, 0x5a));
    check_vacated(b, 3 * HPS);
    c = fresh(4 * HPS);
    CHECK_EQ(target_mmap(c, 4 * HPS, PROT_READ, ANON | MAP_FIXED, -1, 0),
             (abi_long)c);
    CHECK_EQ(target_mremap(dst, 3 * HPS, 2 * HPS,
                           MREMAP_MAYMOVE | MREMAP_FIXED, c),
             (abi_long)c);
    CHECK_EQ(flags_of(c), VALID_RW);
    CHECK_EQ(flags_of(c + 2 * HPS), VALID_R);
    check_vacated(dst, 3 * HPS);

    /* 4. a range larger than a page-table leaf moves (the vacated range can
       hold a whole QEMU leaf allocation) */
    big = fresh(leaf + 4 * HPS);
    CHECK_EQ(target_mmap(big, leaf + 2 * HPS, RW, ANON | MAP_FIXED, -1, 0),
             (abi_long)big);
    CHECK_EQ(target_mmap(big + leaf + 2 * HPS, HPS, PROT_READ,
                         ANON | MAP_FIXED, -1, 0),
             (abi_long)(big + leaf + 2 * HPS));
    r = target_mremap(big, leaf + 2 * HPS, leaf + 6 * HPS, MREMAP_MAYMOVE, 0);
    CHECK(r != -1);
    if (r != -1) {
        CHECK(r != (abi_long)big);
        check_vacated(big, leaf + 2 * HPS);
        /* and back with a fixed move into a fresh range */
        dst = fresh(leaf + 6 * HPS);
        CHECK_EQ(target_mremap((abi_ulong)r, leaf + 6 * HPS, leaf + 6 * HPS,
                               MREMAP_MAYMOVE | MREMAP_FIXED, dst),
                 (abi_long)dst);
        check_vacated((abi_ulong)r, leaf + 6 * HPS);
        CHECK_EQ(target_munmap(dst, leaf + 6 * HPS), 0);
    }

    /* 5. part of a host page moves out (with host pages larger than target
       pages the rest of the host page stays live) */
    h = fresh(2 * HPS);
    CHECK_EQ(target_mmap(h, HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)h);
    fill(h, HPS, 0x33);
    dst = fresh(2 * HPS);
    if (HPS > TPS) {
        abi_ulong half = HPS / 2;
        r = target_mremap(h + half, half, half,
                          MREMAP_MAYMOVE | MREMAP_FIXED, dst);
        CHECK_EQ(r, (abi_long)dst);
        CHECK_EQ(flags_of(h), VALID_RW);
        CHECK(mem_is(h, half, 0x33));
        CHECK_EQ(flags_of(h + half), 0);
        /* a shrink in place inside the live host page */
        CHECK_EQ(target_mremap(h, half, TPS, 0, 0), (abi_long)h);
        CHECK_EQ(flags_of(h + TPS), 0);
        CHECK(mem_is(h, TPS, 0x33));
        /* growth that moves (the freed tail is in use) */
        CHECK_EQ(target_mmap(h + TPS, TPS, PROT_READ, ANON | MAP_FIXED, -1,
                             0), (abi_long)(h + TPS));
        r = target_mremap(h, TPS, 3 * TPS, MREMAP_MAYMOVE, 0);
        CHECK(r != -1 && r != (abi_long)h);
        CHECK_EQ(flags_of(h + TPS), VALID_R);
    } else {
        r = target_mremap(h, HPS, HPS, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
        CHECK_EQ(r, (abi_long)dst);
        check_vacated(h, HPS);
    }
    emu_check("end of the mremap sequence");
}

#ifndef MREMAP_DONTUNMAP
# define MREMAP_DONTUNMAP 4
#endif

/* The other paths of the library, each checked by the checker at every
   callback: failures, refusals, fragments, the read fallback, the address
   search, DONTUNMAP.  The results are only checked loosely here (other
   tests check them): what matters is that no callback sees a hole or a
   destroyed block. */
static void other_paths(void)
{
    abi_ulong a, b, g;
    abi_long r;
    int fd = emu_make_file(4 * HPS);

    /* growth in place refused (a neighbour), then allowed to move */
    a = fresh(8 * HPS);
    CHECK_EQ(target_mmap(a, 2 * HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)a);
    CHECK_EQ(target_mmap(a + 2 * HPS, HPS, RW, ANON | MAP_FIXED, -1, 0),
             (abi_long)(a + 2 * HPS));
    CHECK_EQ(target_mremap(a, 2 * HPS, 4 * HPS, 0, 0), -1);
    /* growth in place into free space */
    b = fresh(8 * HPS);
    CHECK_EQ(target_mmap(b, 2 * HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)b);
    CHECK_EQ(target_mremap(b, 2 * HPS, 5 * HPS, 0, 0), (abi_long)b);
    /* invalid mremap calls */
    CHECK_EQ(target_mremap(b, 5 * HPS, 2 * HPS, MREMAP_FIXED, b + HPS), -1);
    CHECK_EQ(target_mremap(b + 1, HPS, 2 * HPS, MREMAP_MAYMOVE, 0), -1);
    CHECK_EQ(target_mremap(b, 5 * HPS, 5 * HPS,
                           MREMAP_MAYMOVE | MREMAP_FIXED, b + 2 * HPS), -1);
    /* DONTUNMAP (private anonymous, same size) */
    r = target_mremap(b, 2 * HPS, 2 * HPS, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
    CHECK(r == -1 || r != (abi_long)b);
    /* munmap: whole, partial, a hole, a range straddling mapped and not */
    CHECK_EQ(target_munmap(b + HPS, HPS), 0);
    CHECK_EQ(target_munmap(b, 6 * HPS), 0);
    CHECK_EQ(target_munmap(a, 3 * HPS), 0);
    /* refused maps: beyond the window, a bad descriptor, a write-only
       descriptor, NOREPLACE over a mapping, zero length */
    if (is_reserved()) {
        CHECK_EQ(target_mmap(0, (abi_ulong)emu_reserved_va() + TPS, RW, ANON,
                             -1, 0), -1);
    }
    g = fresh(4 * HPS);
    CHECK_EQ(target_mmap(g, HPS, RW, MAP_PRIVATE | MAP_FIXED, 999, 0), -1);
    CHECK_EQ(target_mmap(g, 0, RW, ANON | MAP_FIXED, -1, 0), -1);
    CHECK_EQ(target_mmap(g, HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)g);
#ifdef MAP_FIXED_NOREPLACE
    CHECK_EQ(target_mmap(g, HPS, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), -1);
#endif
    /* fragments: target pages inside host pages, file and anonymous */
    CHECK_EQ(target_mmap(g + HPS, TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd,
                         0), (abi_long)(g + HPS));
    CHECK_EQ(target_mmap(g + HPS + TPS, TPS, RW, ANON | MAP_FIXED, -1, 0),
             (abi_long)(g + HPS + TPS));
    /* the read fallback: an offset not congruent with the address */
    r = target_mmap(g + 2 * HPS + TPS, TPS, PROT_READ, MAP_PRIVATE | MAP_FIXED,
                    fd, 0);
    CHECK(r == (abi_long)(g + 2 * HPS + TPS) || r == -1);
    r = target_mmap(0, 2 * TPS, PROT_READ, MAP_PRIVATE, fd, TPS);
    CHECK(r != -1);
    /* mprotect of fragments, msync */
    CHECK_EQ(target_mprotect(g + HPS, 2 * TPS, PROT_READ), 0);
    CHECK_EQ(target_msync(g, HPS, MS_SYNC), 0);
    /* partial unmaps of fragments, then of everything */
    CHECK_EQ(target_munmap(g + HPS, TPS), 0);
    CHECK_EQ(target_munmap(g, 4 * HPS), 0);
    /* the address search: fill, free, search again */
    a = target_mmap(0, 64 * HPS, PROT_NONE, ANON, -1, 0);
    CHECK(a != FAILED);
    CHECK_EQ(target_munmap(a + 8 * HPS, 3 * HPS), 0);
    /* (may find nothing: a 32-bit guest without reserved_va searches host
       space that can be above 4 GiB; the original does the same) */
    b = mmap_find_vma(a, 3 * HPS);
    (void)b;
    CHECK_EQ(target_munmap(a, 64 * HPS), 0);
    close(fd);
    emu_check("end of the other paths");
}

static void hostile_child(void *arg)
{
    (void)arg;
    emu_hostile_enable(1);
    sequence();
    other_paths();
    CHECK(emu_check_count() > 0);
}

int main(void)
{
    unsigned long before;

    emu_init_from_env();
    if (!emu_check_enabled()) {
        SKIP("the emulator storage checker is off (EMU_CHECK=0)");
        return check_summary();
    }
    printf("reserved_va %#lx, host page %#lx\n", emu_reserved_va(),
           (unsigned long)HPS);
    before = emu_check_count();
    sequence();
    other_paths();
    /* the checker ran at the library's callbacks */
    CHECK(emu_check_count() > before + 20);
    CHECK(emu_storage_blocks() > 0);
    run_checked_child(hostile_child, NULL, "hostile mode");
    return check_summary();
}
