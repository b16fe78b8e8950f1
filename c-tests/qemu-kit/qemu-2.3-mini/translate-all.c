/* The emulator side mmap.c imports, as QEMU 2.3's translate-all.c defines it: the host page
 * globals, page_size_init, a multi-level page-flags table with page_set_flags' assertions,
 * and tb_invalidate_phys_range (here it only counts). */
#include <assert.h>
#include <string.h>
#include <unistd.h>
#include "qemu.h"

uintptr_t qemu_real_host_page_size;
uintptr_t qemu_host_page_size;
uintptr_t qemu_host_page_mask;
unsigned long tb_invalidate_calls;

void page_size_init(void)
{
    qemu_real_host_page_size = getpagesize();
    if (qemu_host_page_size == 0) qemu_host_page_size = qemu_real_host_page_size;
    if (qemu_host_page_size < TARGET_PAGE_SIZE) qemu_host_page_size = TARGET_PAGE_SIZE;
    qemu_host_page_mask = ~(qemu_host_page_size - 1);
}

/* Three levels of 2^12 entries over the page number (narrowed to tb_page_addr_t, as QEMU's
 * page_find does): enough for any address of these targets. */
#define L_BITS 12
#define L_SIZE (1 << L_BITS)
static unsigned char **l1[L_SIZE];

static unsigned char *flag_slot(uint64_t page, int alloc)
{
    unsigned i1 = (page >> (2 * L_BITS)) & (L_SIZE - 1);
    unsigned i2 = (page >> L_BITS) & (L_SIZE - 1);
    unsigned i3 = page & (L_SIZE - 1);
    if (!l1[i1]) {
        if (!alloc) return NULL;
        l1[i1] = calloc(L_SIZE, sizeof *l1[i1]);
    }
    if (!l1[i1][i2]) {
        if (!alloc) return NULL;
        l1[i1][i2] = calloc(L_SIZE, 1);
    }
    return &l1[i1][i2][i3];
}

int page_get_flags(target_ulong address)
{
    unsigned char *p = flag_slot((tb_page_addr_t)(address >> TARGET_PAGE_BITS), 0);
    return p ? *p : 0;
}

void page_set_flags(target_ulong start, target_ulong end, int flags)
{
#if TARGET_ABI_BITS > TARGET_VIRT_ADDR_SPACE_BITS
    assert(end < ((target_ulong)1 << TARGET_VIRT_ADDR_SPACE_BITS));
#endif
    assert(start < end);
    start &= TARGET_PAGE_MASK;
    end = (end + TARGET_PAGE_SIZE - 1) & TARGET_PAGE_MASK;
    if (flags & PAGE_WRITE) flags |= PAGE_WRITE_ORG;
    for (target_ulong a = start; a && a < end; a += TARGET_PAGE_SIZE)
        *flag_slot((tb_page_addr_t)(a >> TARGET_PAGE_BITS), 1) = (unsigned char)flags;
    if (start == 0) *flag_slot(0, 1) = (unsigned char)flags;
}

void tb_invalidate_phys_range(tb_page_addr_t start, tb_page_addr_t end, int is_cpu_write_access)
{
    (void)is_cpu_write_access;
    if (start < end) tb_invalidate_calls++;
}
