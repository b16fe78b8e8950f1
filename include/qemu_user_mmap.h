/* PLACEHOLDER: will be replaced by the cbindgen-generated header with the same declarations. */
#ifndef QEMU_USER_MMAP_H
#define QEMU_USER_MMAP_H
#include <stdint.h>
#ifndef TARGET_ABI_FMT_lx
# if !defined(TARGET_ABI_BITS) || !defined(TARGET_LONG_BITS)
#  error "qemu_user_mmap.h: define TARGET_ABI_BITS and TARGET_LONG_BITS, or include QEMU's abitypes.h first"
# endif
# if TARGET_LONG_BITS == 32
typedef uint32_t target_ulong;
# else
typedef uint64_t target_ulong;
# endif
# if TARGET_ABI_BITS == 32
typedef uint32_t abi_ulong;
typedef int32_t abi_long;
# else
typedef uint64_t abi_ulong;
typedef int64_t abi_long;
# endif
typedef abi_ulong tb_page_addr_t;
#endif
int target_mprotect(abi_ulong start, abi_ulong len, int prot);
abi_long target_mmap(abi_ulong start, abi_ulong len, int prot, int flags, int fd, abi_ulong offset);
int target_munmap(abi_ulong start, abi_ulong len);
abi_long target_mremap(abi_ulong old_addr, abi_ulong old_size, abi_ulong new_size, unsigned long flags, abi_ulong new_addr);
int target_msync(abi_ulong start, abi_ulong len, int flags);
abi_ulong mmap_find_vma(abi_ulong start, abi_ulong size);
void mmap_lock(void);
void mmap_unlock(void);
void mmap_fork_start(void);
void mmap_fork_end(int child);
extern abi_ulong mmap_next_start;
extern unsigned long last_brk;
/* Provided by the emulator. */
int page_get_flags(target_ulong address);
void page_set_flags(target_ulong start, target_ulong end, int flags);
void tb_invalidate_phys_range(tb_page_addr_t start, tb_page_addr_t end, int is_cpu_write_access);
extern uintptr_t qemu_real_host_page_size;
extern uintptr_t qemu_host_page_size;
extern uintptr_t qemu_host_page_mask;
extern unsigned long guest_base;
extern unsigned long reserved_va;
extern unsigned long mmap_min_addr;
#endif
