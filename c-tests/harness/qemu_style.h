/*
 * qemu_style.h -- QEMU-2.3-style target types, macros and declarations.
 *
 * Written the way QEMU 2.3's include/exec/cpu-defs.h, include/exec/user/
 * abitypes.h, include/exec/cpu-all.h, include/exec/cpu_ldst.h,
 * include/exec/exec-all.h and linux-user/qemu.h declare them, configured
 * by the same -D flags as the oracle (see ../shared/oracle/README.md):
 *
 *   TARGET_PAGE_BITS             12
 *   TARGET_ABI_BITS              64 (32 when TARGET_ABI32 is defined)
 *   TARGET_LONG_BITS             = TARGET_ABI_BITS
 *   TARGET_VIRT_ADDR_SPACE_BITS  47 (64-bit ABI) or 32
 *   NO_GUEST_BASE                off (CONFIG_USE_GUEST_BASE on)
 *   TARGET_M68K                  abi_long alignment 2
 *
 * After QEMU's own declarations it includes the project header
 * "qemu_user_mmap.h": that proves the project header compiles next to
 * QEMU's declarations (it sees TARGET_ABI_FMT_lx and does not redefine the
 * types).
 */
#ifndef QEMU_STYLE_H
#define QEMU_STYLE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <assert.h>

/* ---- config-host.h / qemu-common.h ---------------------------------- */
#ifndef HOST_LONG_BITS
# if UINTPTR_MAX == UINT32_MAX
#  define HOST_LONG_BITS 32
# else
#  define HOST_LONG_BITS 64
# endif
#endif

/* ---- config-target.h ------------------------------------------------- */
#ifndef TARGET_PAGE_BITS
# define TARGET_PAGE_BITS 12
#endif
#ifndef TARGET_ABI_BITS
# ifdef TARGET_ABI32
#  define TARGET_ABI_BITS 32
# else
#  define TARGET_ABI_BITS 64
# endif
#endif
#if TARGET_ABI_BITS == 32 && !defined(TARGET_ABI32)
# define TARGET_ABI32 1
#endif
#ifndef TARGET_LONG_BITS
# define TARGET_LONG_BITS TARGET_ABI_BITS
#endif
#ifndef TARGET_VIRT_ADDR_SPACE_BITS
# if TARGET_ABI_BITS == 64
#  define TARGET_VIRT_ADDR_SPACE_BITS 47
# else
#  define TARGET_VIRT_ADDR_SPACE_BITS 32
# endif
#endif
#if defined(NO_GUEST_BASE)
# undef CONFIG_USE_GUEST_BASE
#elif !defined(CONFIG_USE_GUEST_BASE)
# define CONFIG_USE_GUEST_BASE 1
#endif
#ifndef CONFIG_USER_ONLY
# define CONFIG_USER_ONLY 1
#endif

/* ---- include/exec/cpu-defs.h ---------------------------------------- */
#define TARGET_LONG_SIZE (TARGET_LONG_BITS / 8)

/* target_ulong is the type of a virtual address */
#if TARGET_LONG_SIZE == 4
typedef int32_t target_long;
typedef uint32_t target_ulong;
#define TARGET_FMT_lx "%08x"
#define TARGET_FMT_ld "%d"
#define TARGET_FMT_lu "%u"
#elif TARGET_LONG_SIZE == 8
typedef int64_t target_long;
typedef uint64_t target_ulong;
#define TARGET_FMT_lx "%016" PRIx64
#define TARGET_FMT_ld "%" PRId64
#define TARGET_FMT_lu "%" PRIu64
#else
#error TARGET_LONG_SIZE undefined
#endif

/* ---- include/exec/user/abitypes.h ----------------------------------- */
#ifdef TARGET_M68K
#define ABI_INT_ALIGNMENT 2
#define ABI_LONG_ALIGNMENT 2
#define ABI_LLONG_ALIGNMENT 2
#else
#define ABI_INT_ALIGNMENT 4
#define ABI_LONG_ALIGNMENT (TARGET_ABI_BITS / 8)
#define ABI_LLONG_ALIGNMENT 8
#endif

typedef int16_t abi_short __attribute__ ((aligned(2)));
typedef uint16_t abi_ushort __attribute__((aligned(2)));
typedef int32_t abi_int __attribute__((aligned(ABI_INT_ALIGNMENT)));
typedef uint32_t abi_uint __attribute__((aligned(ABI_INT_ALIGNMENT)));
typedef int64_t abi_llong __attribute__((aligned(ABI_LLONG_ALIGNMENT)));
typedef uint64_t abi_ullong __attribute__((aligned(ABI_LLONG_ALIGNMENT)));

#ifdef TARGET_ABI32
typedef uint32_t abi_ulong __attribute__((aligned(ABI_LONG_ALIGNMENT)));
typedef int32_t abi_long __attribute__((aligned(ABI_LONG_ALIGNMENT)));
#define TARGET_ABI_FMT_lx "%08x"
#define TARGET_ABI_FMT_ld "%d"
#define TARGET_ABI_FMT_lu "%u"
#else
typedef target_ulong abi_ulong __attribute__((aligned(ABI_LONG_ALIGNMENT)));
typedef target_long abi_long __attribute__((aligned(ABI_LONG_ALIGNMENT)));
#define TARGET_ABI_FMT_lx TARGET_FMT_lx
#define TARGET_ABI_FMT_ld TARGET_FMT_ld
#define TARGET_ABI_FMT_lu TARGET_FMT_lu
#endif

/* ---- include/exec/exec-all.h ---------------------------------------- */
/* In user mode a "physical" TB page address is a guest virtual one. */
typedef abi_ulong tb_page_addr_t;

void tb_invalidate_phys_range(tb_page_addr_t start, tb_page_addr_t end,
                              int is_cpu_write_access);

/* ---- include/exec/cpu-all.h ----------------------------------------- */
#if defined(CONFIG_USE_GUEST_BASE)
extern unsigned long guest_base;
extern int have_guest_base;
extern unsigned long reserved_va;
#define GUEST_BASE guest_base
#define RESERVED_VA reserved_va
#else
#define GUEST_BASE 0ul
#define RESERVED_VA 0ul
#endif

#define TARGET_PAGE_SIZE (1 << TARGET_PAGE_BITS)
#define TARGET_PAGE_MASK ~(TARGET_PAGE_SIZE - 1)
#define TARGET_PAGE_ALIGN(addr) (((addr) + TARGET_PAGE_SIZE - 1) & TARGET_PAGE_MASK)

/* ??? These should be the larger of uintptr_t and target_ulong.  */
extern uintptr_t qemu_real_host_page_size;
extern uintptr_t qemu_host_page_size;
extern uintptr_t qemu_host_page_mask;

#define HOST_PAGE_ALIGN(addr) (((addr) + qemu_host_page_size - 1) & qemu_host_page_mask)

/* same as PROT_xxx */
#define PAGE_READ      0x0001
#define PAGE_WRITE     0x0002
#define PAGE_EXEC      0x0004
#define PAGE_BITS      (PAGE_READ | PAGE_WRITE | PAGE_EXEC)
#define PAGE_VALID     0x0008
/* original state of the write flag (used when tracking self-modifying
   code */
#define PAGE_WRITE_ORG 0x0010

void page_dump(FILE *f);
int page_get_flags(target_ulong address);
void page_set_flags(target_ulong start, target_ulong end, int flags);
int page_check_range(target_ulong start, target_ulong len, int flags);

/* ---- include/exec/cpu_ldst.h ---------------------------------------- */
/* All direct uses of g2h and h2g need to go away for usermode softmmu.  */
#define g2h(x) ((void *)((unsigned long)(target_ulong)(x) + GUEST_BASE))

#if HOST_LONG_BITS <= TARGET_VIRT_ADDR_SPACE_BITS
#define h2g_valid(x) 1
#else
#define h2g_valid(x) ({ \
    unsigned long __guest = (unsigned long)(x) - GUEST_BASE; \
    (__guest < (1ul<<TARGET_VIRT_ADDR_SPACE_BITS)) && \
    (!RESERVED_VA || (__guest < RESERVED_VA)); \
})
#endif

#define h2g_nocheck(x) ({ \
    unsigned long __ret = (unsigned long)(x) - GUEST_BASE; \
    (abi_ulong)__ret; \
})

#define h2g(x) ({ \
    /* Check if given address fits target address space */ \
    assert(h2g_valid(x)); \
    h2g_nocheck(x); \
})

/* ---- linux-user/qemu.h ---------------------------------------------- */
extern unsigned long mmap_min_addr;

/* mmap.c */
int target_mprotect(abi_ulong start, abi_ulong len, int prot);
abi_long target_mmap(abi_ulong start, abi_ulong len, int prot,
                     int flags, int fd, abi_ulong offset);
int target_munmap(abi_ulong start, abi_ulong len);
abi_long target_mremap(abi_ulong old_addr, abi_ulong old_size,
                       abi_ulong new_size, unsigned long flags,
                       abi_ulong new_addr);
int target_msync(abi_ulong start, abi_ulong len, int flags);
extern unsigned long last_brk;
extern abi_ulong mmap_next_start;
void mmap_lock(void);
void mmap_unlock(void);
abi_ulong mmap_find_vma(abi_ulong, abi_ulong);
void cpu_list_lock(void);
void cpu_list_unlock(void);
void mmap_fork_start(void);
void mmap_fork_end(int child);

/* ---- the project header, after QEMU's own declarations -------------- */
#include "qemu_user_mmap.h"

#endif /* QEMU_STYLE_H */
