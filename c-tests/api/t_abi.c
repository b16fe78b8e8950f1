/* The C ABI of mmap.c as QEMU's other files see it (CONTRACT sections 1-3):
   prototypes, data symbols and their widths and initial values, signed
   return values, the unsigned long `flags` of target_mremap (the host
   mremap() call truncates it to int, the raw syscall does not). */
#include "tcommon.h"

#define SAME_TYPE(a, b) __builtin_types_compatible_p(__typeof__(a), b)

_Static_assert(SAME_TYPE(target_mprotect, int (abi_ulong, abi_ulong, int)),
               "target_mprotect");
_Static_assert(SAME_TYPE(target_mmap, abi_long (abi_ulong, abi_ulong, int, int,
                                                int, abi_ulong)), "target_mmap");
_Static_assert(SAME_TYPE(target_munmap, int (abi_ulong, abi_ulong)),
               "target_munmap");
_Static_assert(SAME_TYPE(target_mremap, abi_long (abi_ulong, abi_ulong,
                                                  abi_ulong, unsigned long,
                                                  abi_ulong)), "target_mremap");
_Static_assert(SAME_TYPE(target_msync, int (abi_ulong, abi_ulong, int)),
               "target_msync");
_Static_assert(SAME_TYPE(mmap_find_vma, abi_ulong (abi_ulong, abi_ulong)),
               "mmap_find_vma");
_Static_assert(SAME_TYPE(mmap_lock, void (void)), "mmap_lock");
_Static_assert(SAME_TYPE(mmap_unlock, void (void)), "mmap_unlock");
_Static_assert(SAME_TYPE(mmap_fork_start, void (void)), "mmap_fork_start");
_Static_assert(SAME_TYPE(mmap_fork_end, void (int)), "mmap_fork_end");
_Static_assert(SAME_TYPE(page_get_flags, int (target_ulong)), "page_get_flags");
_Static_assert(SAME_TYPE(page_set_flags, void (target_ulong, target_ulong, int)),
               "page_set_flags");
_Static_assert(SAME_TYPE(tb_invalidate_phys_range,
                         void (abi_ulong, abi_ulong, int)), "tb_invalidate");
_Static_assert(sizeof(mmap_next_start) == TARGET_ABI_BITS / 8, "mmap_next_start");
_Static_assert(sizeof(last_brk) == sizeof(unsigned long), "last_brk");
_Static_assert(sizeof(abi_ulong) == TARGET_ABI_BITS / 8, "abi_ulong");
_Static_assert(sizeof(target_ulong) == TARGET_LONG_BITS / 8, "target_ulong");
_Static_assert((abi_long)-1 < 0, "abi_long is signed");
_Static_assert(SAME_TYPE(qemu_host_page_size, uintptr_t), "qemu_host_page_size");
_Static_assert(SAME_TYPE(mmap_min_addr, unsigned long), "mmap_min_addr");
#if defined(CONFIG_USE_GUEST_BASE)
_Static_assert(SAME_TYPE(guest_base, unsigned long), "guest_base");
_Static_assert(SAME_TYPE(reserved_va, unsigned long), "reserved_va");
#endif

int main(void)
{
    abi_long r;
    abi_ulong a;
    int ir;

    /* data symbols before main.c's set-up */
    CHECK_EQ(mmap_next_start, T_TASK_UNMAPPED_BASE);
    CHECK_EQ(last_brk, 0);
    CHECK_EQ(((uintptr_t)&mmap_next_start) % (TARGET_ABI_BITS / 8 < 4 ?
                                              TARGET_ABI_BITS / 8 : 4), 0);

    emu_init_from_env();
    if (is_reserved()) {
        CHECK_EQ(mmap_next_start, (abi_ulong)emu_reserved_va());
    } else {
        CHECK_EQ(mmap_next_start, T_TASK_UNMAPPED_BASE);
    }
    /* mmap.c never touches last_brk */
    a = target_mmap(0, TPS, RW, ANON, -1, 0);
    CHECK(a != FAILED);
    CHECK_EQ(last_brk, 0);
    last_brk = 12345;
    CHECK_EQ(target_munmap(a, TPS), 0);
    CHECK_EQ(last_brk, 12345);
    last_brk = 0;

    /* signed results: -1 as abi_long, -EINVAL as int */
    r = target_mmap(0, TPS, RW, ANON, -1, 1);
    CHECK(r == -1);
    CHECK(r < 0);
    ir = target_munmap(1, TPS);
    CHECK(ir == -EINVAL);
    r = target_mremap(0, TPS, TPS, MREMAP_FIXED, 1);
    CHECK(r == -1);
    /* mmap_find_vma's failure is the unsigned (abi_ulong)-1 */
    {
        unsigned long saved = mmap_min_addr;
        abi_ulong size;
        if (is_reserved()) {
            size = emu_reserved_va() + 1;
        } else if (TARGET_ABI_BITS == 32) {
            mmap_min_addr = 0x10000;    /* see t_find_vma */
            size = (abi_ulong)0xffffe000;
        } else {
            size = (abi_ulong)-1 & ~(abi_ulong)0xffff;
        }
        mmap_lock();
        CHECK_EQ(mmap_find_vma(0, size), FAILED);
        mmap_unlock();
        mmap_min_addr = saved;
    }

    /* target_mremap's flags are unsigned long.  In place (no FIXED or
       MAYMOVE bit) the libc mremap() takes an int, so bits above 31 are
       dropped; with MAYMOVE the raw syscall sees them and says EINVAL.
       D27: ours refuses unknown flag bits (above 31 included) with EINVAL
       before anything else, as Linux does, in every configuration. */
#if HOST_LONG_BITS == 64
    a = target_mmap(0, 2 * HPS, RW, ANON, -1, 0);
    CHECK(a != FAILED);
    if (LINUX_FIXES) {
        /* D27 */
        errno = 0;
        r = target_mremap(a, 2 * HPS, HPS, 1ul << 32, 0);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EINVAL);
        CHECK_EQ(flags_of(a + HPS), VALID_RW);
        CHECK_EQ(emu_host_prot(a + HPS), RW);
    } else if (!(is_reserved() && TARGET_ABI_BITS == 32)) {
        /* 2.3: truncated to int in place, the shrink happens */
        r = target_mremap(a, 2 * HPS, HPS, 1ul << 32, 0);
        CHECK_EQ(r, (abi_long)a);
        CHECK_EQ(flags_of(a + HPS), 0);
    } else {
        SKIP("in-place mremap always fails on a 32-bit guest with reserved_va (t_mremap)");
    }
    if (LINUX_FIXES || !is_reserved()) {
        /* (2.3 under reserved_va would re-reserve the old range after the
           failure: D20, t_mremap) */
        errno = 0;
        r = target_mremap(a, HPS, 2 * HPS, MREMAP_MAYMOVE | (1ul << 32), 0);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EINVAL);
        CHECK_EQ(flags_of(a), VALID_RW);
        CHECK_EQ(emu_host_prot(a), RW);
    }
#endif
    return check_summary();
}
