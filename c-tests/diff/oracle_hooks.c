/*
 * oracle_hooks.c -- linked into driver-oracle only (never into our side).
 *
 * run.sh compiles the original mmap.c with -fPIC, so that its calls to
 * mmap_find_vma go through the symbol, then weakens that symbol and gives
 * the original function a second name, diff_orig_mmap_find_vma (objcopy).
 * This strong definition then receives the original's own calls (from
 * target_mmap and target_mremap) and the driver's: it runs the original's
 * search, except at a step where expected.txt asks for Linux's search
 * (linux-search), where the driver's model answers instead.
 */
#include "qemu_style.h"

abi_ulong diff_orig_mmap_find_vma(abi_ulong start, abi_ulong size);
abi_ulong diff_linux_find_vma(abi_ulong start, abi_ulong size);
extern int diff_search_model;

abi_ulong mmap_find_vma(abi_ulong start, abi_ulong size)
{
    if (diff_search_model) {
        return diff_linux_find_vma(start, size);
    }
    return diff_orig_mmap_find_vma(start, size);
}
