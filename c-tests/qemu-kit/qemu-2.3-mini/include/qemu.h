/* The declarations a QEMU 2.3 linux-user target sees (include/exec/cpu-all.h,
 * include/exec/user/abitypes.h, linux-user/qemu.h), reduced to what the stand-in needs.
 * The types come from config-target.h (generated from config-target.mak) and
 * target-<arch>/cpu.h, as in QEMU: nothing here knows about qemu-user-mmap. */
#ifndef QEMU_MINI_QEMU_H
#define QEMU_MINI_QEMU_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "config-target.h"
#include "cpu.h"

#ifdef TARGET_ABI32
#define TARGET_ABI_BITS 32
#else
#define TARGET_ABI_BITS TARGET_LONG_BITS
#endif

#if TARGET_LONG_BITS == 32
typedef uint32_t target_ulong;
#else
typedef uint64_t target_ulong;
#endif
#if TARGET_ABI_BITS == 32
typedef uint32_t abi_ulong;
typedef int32_t abi_long;
#define TARGET_ABI_FMT_lx "%08x"
#else
typedef uint64_t abi_ulong;
typedef int64_t abi_long;
#define TARGET_ABI_FMT_lx "%016llx"
#endif
typedef abi_ulong tb_page_addr_t;

#define TARGET_PAGE_SIZE (1 << TARGET_PAGE_BITS)
#define TARGET_PAGE_MASK ~(TARGET_PAGE_SIZE - 1)
#define PAGE_READ 0x0001
#define PAGE_WRITE 0x0002
#define PAGE_EXEC 0x0004
#define PAGE_BITS (PAGE_READ | PAGE_WRITE | PAGE_EXEC)
#define PAGE_VALID 0x0008
#define PAGE_WRITE_ORG 0x0010

extern uintptr_t qemu_real_host_page_size;
extern uintptr_t qemu_host_page_size;
extern uintptr_t qemu_host_page_mask;
#ifdef CONFIG_USE_GUEST_BASE
extern unsigned long guest_base;
extern unsigned long reserved_va;
#define GUEST_BASE guest_base
#define RESERVED_VA reserved_va
#else
#define GUEST_BASE 0ul
#define RESERVED_VA 0ul
#endif
extern unsigned long mmap_min_addr;
#define g2h(x) ((void *)((unsigned long)(target_ulong)(x) + GUEST_BASE))

int page_get_flags(target_ulong address);
void page_set_flags(target_ulong start, target_ulong end, int flags);
void tb_invalidate_phys_range(tb_page_addr_t start, tb_page_addr_t end, int is_cpu_write_access);
void page_size_init(void);
extern unsigned long tb_invalidate_calls;

/* mmap.c (linux-user/qemu.h, QEMU 2.3) */
int target_mprotect(abi_ulong start, abi_ulong len, int prot);
abi_long target_mmap(abi_ulong start, abi_ulong len, int prot, int flags, int fd, abi_ulong offset);
int target_munmap(abi_ulong start, abi_ulong len);
abi_long target_mremap(abi_ulong old_addr, abi_ulong old_size, abi_ulong new_size,
                       unsigned long flags, abi_ulong new_addr);
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

/* syscall.c, elfload.c */
abi_long get_errno(abi_long ret);
abi_long do_mmap(abi_ulong a1, abi_ulong a2, int a3, int a4, int a5, abi_ulong a6);
abi_long do_munmap(abi_ulong a1, abi_ulong a2);
abi_long do_mprotect(abi_ulong a1, abi_ulong a2, int a3);
abi_long do_mremap(abi_ulong a1, abi_ulong a2, abi_ulong a3, abi_long a4, abi_ulong a5);
abi_long do_shmat_reserve(abi_ulong size);
abi_long do_fork(void);
abi_ulong setup_arg_pages(abi_ulong stack_size);
#endif
