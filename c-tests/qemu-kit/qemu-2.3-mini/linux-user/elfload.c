/* setup_arg_pages as in QEMU 2.3's elfload.c: the stack, with a guard page at its low end. */
#include <sys/mman.h>
#include "qemu.h"

abi_ulong setup_arg_pages(abi_ulong stack_size)
{
    abi_ulong size = stack_size, guard = TARGET_PAGE_SIZE, error;
    if (size < 33 * TARGET_PAGE_SIZE) size = 33 * TARGET_PAGE_SIZE;
    if (guard < qemu_real_host_page_size) guard = qemu_real_host_page_size;
    error = target_mmap(0, size + guard, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (error == (abi_ulong)-1) {
        perror("mmap stack");
        exit(-1);
    }
    target_mprotect(error, guard, PROT_NONE);
    return error;
}
