/* header_check.c -- compile-only check of include/qemu_user_mmap.h.
 *
 * Default: include qemu_style.h, i.e. QEMU 2.3's own types, macros and
 * prototypes first, then the project header (it must accept QEMU's types,
 * recognised by TARGET_ABI_FMT_lx, and redeclare compatibly).
 * -DHC_HEADER_ONLY: include only the project header, after
 * -DTARGET_ABI_BITS=.. -DTARGET_LONG_BITS=.. (it must define the types).
 * Built by `make -C c-tests header-check` for several targets, with
 * -std=gnu99 -Wall -Wextra -Werror -c. */
#ifdef HC_HEADER_ONLY
# include "qemu_user_mmap.h"
#else
# include "qemu_style.h"
#endif

#include <stdint.h>

#if TARGET_ABI_BITS == 32
typedef uint32_t hc_abi_ulong;
typedef int32_t hc_abi_long;
#else
typedef uint64_t hc_abi_ulong;
typedef int64_t hc_abi_long;
#endif
#if TARGET_LONG_BITS == 32
typedef uint32_t hc_target_ulong;
#else
typedef uint64_t hc_target_ulong;
#endif

#define SAME(a, b) __builtin_types_compatible_p(__typeof__(a), b)

_Static_assert(sizeof(abi_ulong) == TARGET_ABI_BITS / 8, "abi_ulong width");
_Static_assert(sizeof(abi_long) == TARGET_ABI_BITS / 8, "abi_long width");
_Static_assert((abi_long)-1 < 0 && (abi_ulong)-1 > 0, "signedness");
_Static_assert(sizeof(target_ulong) == TARGET_LONG_BITS / 8, "target_ulong");
_Static_assert(sizeof(tb_page_addr_t) == sizeof(abi_ulong), "tb_page_addr_t");
#if !defined(HC_HEADER_ONLY) && defined(TARGET_M68K)
_Static_assert(_Alignof(abi_ulong) == 2, "m68k abi_ulong alignment");
#endif

_Static_assert(SAME(target_mprotect, int (hc_abi_ulong, hc_abi_ulong, int)), "");
_Static_assert(SAME(target_mmap, hc_abi_long (hc_abi_ulong, hc_abi_ulong, int,
                                              int, int, hc_abi_ulong)), "");
_Static_assert(SAME(target_munmap, int (hc_abi_ulong, hc_abi_ulong)), "");
_Static_assert(SAME(target_mremap, hc_abi_long (hc_abi_ulong, hc_abi_ulong,
                                                hc_abi_ulong, unsigned long,
                                                hc_abi_ulong)), "");
_Static_assert(SAME(target_msync, int (hc_abi_ulong, hc_abi_ulong, int)), "");
_Static_assert(SAME(mmap_find_vma, hc_abi_ulong (hc_abi_ulong, hc_abi_ulong)), "");
_Static_assert(SAME(mmap_lock, void (void)), "");
_Static_assert(SAME(mmap_unlock, void (void)), "");
_Static_assert(SAME(mmap_fork_start, void (void)), "");
_Static_assert(SAME(mmap_fork_end, void (int)), "");
_Static_assert(SAME(mmap_next_start, hc_abi_ulong), "");
_Static_assert(SAME(last_brk, unsigned long), "");
_Static_assert(SAME(page_get_flags, int (hc_target_ulong)), "");
_Static_assert(SAME(page_set_flags, void (hc_target_ulong, hc_target_ulong, int)),
               "");
_Static_assert(SAME(tb_invalidate_phys_range,
                    void (hc_abi_ulong, hc_abi_ulong, int)), "");
_Static_assert(SAME(qemu_real_host_page_size, uintptr_t), "");
_Static_assert(SAME(qemu_host_page_size, uintptr_t), "");
_Static_assert(SAME(qemu_host_page_mask, uintptr_t), "");
_Static_assert(SAME(mmap_min_addr, unsigned long), "");
#if !defined(NO_GUEST_BASE)
_Static_assert(SAME(guest_base, unsigned long), "");
_Static_assert(SAME(reserved_va, unsigned long), "");
#endif

/* use everything once, so that the declarations are really referenced */
void *header_check_uses(void);
void *header_check_uses(void)
{
    static void *const p[] = {
        (void *)target_mprotect, (void *)target_mmap, (void *)target_munmap,
        (void *)target_mremap, (void *)target_msync, (void *)mmap_find_vma,
        (void *)mmap_lock, (void *)mmap_unlock, (void *)mmap_fork_start,
        (void *)mmap_fork_end, (void *)&mmap_next_start, (void *)&last_brk,
    };
    return (void *)p;
}
