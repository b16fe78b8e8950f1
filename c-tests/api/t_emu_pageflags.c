/* The emulator side itself (emu.c), and where mmap.c runs into it:
   page_set_flags with QEMU 2.3's assertions (start < end; end < 2^VIRT
   when TARGET_ABI_BITS > TARGET_VIRT_ADDR_SPACE_BITS), target-page
   rounding, PAGE_WRITE_ORG, replacement; page_get_flags through a
   multi-level table that aliases addresses above 2^VIRT; the guest map
   dump; the host probes.  And the 2.3 bug where target_mmap maps the last
   page of a 32-bit guest and page_set_flags(0xfffff000, 0) aborts (ours,
   D3: -1/ENOMEM, nothing changed). */
#include "tcommon.h"

static void set_empty(void *arg)
{
    abi_ulong a = *(abi_ulong *)arg;
    page_set_flags(a, a, PAGE_VALID);
}

static void set_reversed(void *arg)
{
    abi_ulong a = *(abi_ulong *)arg;
    page_set_flags(a + TPS, a, PAGE_VALID);
}

#if TARGET_ABI_BITS > TARGET_VIRT_ADDR_SPACE_BITS
static void set_top(void *arg)
{
    (void)arg;
    page_set_flags(((target_ulong)1 << TARGET_VIRT_ADDR_SPACE_BITS) - TPS,
                   (target_ulong)1 << TARGET_VIRT_ADDR_SPACE_BITS, PAGE_VALID);
}
#endif

#if TARGET_ABI_BITS == 32
static void set_last_page(void *arg)
{
    (void)arg;
    /* start + len in abi_ulong wraps to 0 */
    abi_ulong s = 0xffffffff & TARGET_PAGE_MASK;
    page_set_flags(s, (abi_ulong)(s + TPS), PAGE_VALID);
}

static void mmap_last_page(void *arg)
{
    (void)arg;
    if (!use_private_guest_space() &&
        !emu_host_range_free(0x100000000ul - HPS, HPS)) {
        _exit(0);       /* cannot run safely: reported as "survived" */
    }
    target_mmap(0xffffffff & qemu_host_page_mask, HPS, RW, ANON | MAP_FIXED,
                -1, 0);
}

/* D3: ours refuses the same call: the top page of a 32-bit guest space is
   outside it (start + len would not be representable); -1/ENOMEM and
   nothing changed */
static void mmap_last_page_refused(void *arg)
{
    abi_ulong s = 0xffffffff & qemu_host_page_mask;
    int before;
    abi_long r;

    (void)arg;
    use_private_guest_space();
    before = emu_host_prot(s);
    errno = 0;
    r = target_mmap(s, HPS, RW, ANON | MAP_FIXED, -1, 0);
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, ENOMEM);
    CHECK_EQ(flags_of(s), 0);
    CHECK_EQ(emu_host_prot(s), before);
}
#endif

int main(void)
{
    abi_ulong a;
    unsigned long g0, s0;
    char buf[4096];
    FILE *f;

    emu_init_from_env();
    a = fresh(4 * HPS);

    /* ---- page_set_flags semantics */
    mmap_lock();
    g0 = emu_page_get_flags_calls;
    s0 = emu_page_set_flags_calls;
    page_set_flags(a + 1, a + TPS + 1, PAGE_VALID | PAGE_READ);
    CHECK_EQ(emu_page_set_flags_calls, s0 + 1);
    CHECK_EQ(page_get_flags(a), VALID_R);           /* rounded down */
    CHECK_EQ(page_get_flags(a + TPS), VALID_R);     /* rounded up */
    CHECK_EQ(page_get_flags(a + 2 * TPS), 0);
    CHECK_EQ(page_get_flags(a + TPS - 1), VALID_R);
    CHECK(emu_page_get_flags_calls >= g0 + 4);
    page_set_flags(a, a + TPS, PAGE_VALID | PAGE_WRITE);
    CHECK_EQ(page_get_flags(a), PAGE_VALID | PAGE_WRITE | PAGE_WRITE_ORG);
    page_set_flags(a, a + TPS, PAGE_VALID | PAGE_EXEC);   /* replaced */
    CHECK_EQ(page_get_flags(a), PAGE_VALID | PAGE_EXEC);
    page_set_flags(a, a + 2 * TPS, 0);
    CHECK_EQ(page_get_flags(a), 0);
    CHECK_EQ(page_get_flags(a + TPS), 0);
    mmap_unlock();

    CHECK_ABORTS_MSG(set_empty, &a, PSF_START_END);
    CHECK_ABORTS_MSG(set_reversed, &a, PSF_START_END);
#if TARGET_ABI_BITS > TARGET_VIRT_ADDR_SPACE_BITS
    CHECK_ABORTS_MSG(set_top, NULL, PSF_VIRT_END);
    {
        /* one page lower is fine; and the table aliases above 2^VIRT */
        target_ulong top = ((target_ulong)1 << TARGET_VIRT_ADDR_SPACE_BITS);
        mmap_lock();
        page_set_flags(top - 2 * TPS, top - TPS, VALID_R);
        CHECK_EQ(page_get_flags(top - 2 * TPS), VALID_R);
        page_set_flags(a, a + TPS, VALID_R);
        CHECK_EQ(page_get_flags(a + top), VALID_R);
        CHECK_EQ(page_get_flags(a + 2 * top), VALID_R);
        page_set_flags(a, a + TPS, 0);
        CHECK_EQ(page_get_flags(a + top), 0);
        page_set_flags(top - 2 * TPS, top - TPS, 0);
        mmap_unlock();
    }
#else
    SKIP("no end < 2^VIRT assertion when ABI bits <= virtual address bits");
#endif
#if TARGET_ABI_BITS == 32
    CHECK_ABORTS_MSG(set_last_page, NULL, PSF_START_END);
    /* 2.3 bug: target_mmap of the last host page of a 32-bit guest passes
       the overflow test ((unsigned long)start + len - 1 == 0xffffffff is
       not > 0xffffffff) and then page_set_flags(start, start + len = 0)
       aborts (CONTRACT section 8) */
    if (LINUX_FIXES) {
        run_checked_child(mmap_last_page_refused, NULL, "D3 mmap_last_page");
    } else {
        CHECK_ABORTS_MSG(mmap_last_page, NULL, PSF_START_END);
    }
#else
    SKIP("32-bit wrap of start + len: 64-bit ABI");
#endif

    /* ---- the guest map dump */
    CHECK_EQ(target_mmap(a, HPS, PROT_READ, ANON | MAP_FIXED, -1, 0),
             (abi_long)a);
    CHECK_EQ(target_mmap(a + HPS, HPS, RW, ANON | MAP_FIXED, -1, 0),
             (abi_long)(a + HPS));
    f = fmemopen(buf, sizeof(buf), "w");
    CHECK(f != NULL);
    emu_dump_maps(f);
    fclose(f);
    {
        char l1[128], l2[128];
        snprintf(l1, sizeof(l1), "%08llx-%08llx r--p\n",
                 (unsigned long long)a, (unsigned long long)(a + HPS));
        snprintf(l2, sizeof(l2), "%08llx-%08llx rw-p\n",
                 (unsigned long long)(a + HPS),
                 (unsigned long long)(a + 2 * HPS));
        CHECK_MSG(strstr(buf, l1) != NULL, "missing %s in:\n%s", l1, buf);
        CHECK_MSG(strstr(buf, l2) != NULL, "missing %s in:\n%s", l2, buf);
    }

    /* ---- host probes */
    CHECK_EQ(emu_host_prot(a), PROT_READ);
    CHECK(emu_can_read(a));
    CHECK(!emu_can_write(a));
    CHECK(emu_can_write(a + HPS));
    CHECK_EQ(target_munmap(a, 2 * HPS), 0);
    CHECK(!emu_can_read(a));

    /* ---- globals set like main.c */
    CHECK_EQ(qemu_real_host_page_size, (uintptr_t)getpagesize());
    CHECK(qemu_host_page_size >= qemu_real_host_page_size ||
          getenv("EMU_HOST_PAGE_SIZE"));
    CHECK(qemu_host_page_size >= TARGET_PAGE_SIZE);
    CHECK_EQ(qemu_host_page_mask, ~(qemu_host_page_size - 1));
    {
        unsigned long m = 0;
        FILE *mf = fopen("/proc/sys/vm/mmap_min_addr", "r");
        if (mf) {
            CHECK(fscanf(mf, "%lu", &m) == 1);
            fclose(mf);
        }
        CHECK_EQ(mmap_min_addr, m);
    }
    if (is_reserved()) {
        CHECK_EQ(emu_host_prot(0), 0);
        CHECK_EQ(emu_host_prot(emu_reserved_va() - 1), 0);
        CHECK_EQ(emu_guest_base() & (qemu_host_page_size - 1), 0);
    }
    return check_summary();
}
