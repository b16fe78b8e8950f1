/* Built against an installed qemu-user-mmap with only `pkg-config --cflags --libs
 * qemu-user-mmap` (make check-install): a minimal emulator side (the page flags, the TB
 * hook, the globals), then a map, a protect, an unmap. */
#include <qemu_user_mmap.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

uintptr_t qemu_real_host_page_size, qemu_host_page_size, qemu_host_page_mask;
unsigned long guest_base, reserved_va, mmap_min_addr;

/* Flags of a small window of pages around the first mapping (enough for this test). */
static abi_ulong window_start;
static unsigned char flags[64];
static int slot(target_ulong a)
{
    long i = ((long)a - (long)window_start) / 4096;
    return window_start && i >= 0 && i < 64 ? (int)i : -1;
}
int page_get_flags(target_ulong a) { int i = slot(a); return i < 0 ? 0 : flags[i]; }
void page_set_flags(target_ulong s, target_ulong e, int f)
{
    if (!window_start) window_start = s;
    for (target_ulong a = s; a < e; a += 4096) { int i = slot(a); if (i >= 0) flags[i] = (unsigned char)f; }
}
static int tb_calls;
void tb_invalidate_phys_range(tb_page_addr_t s, tb_page_addr_t e, int w) { (void)s; (void)e; (void)w; tb_calls++; }

int main(void)
{
    qemu_real_host_page_size = qemu_host_page_size = (uintptr_t)getpagesize();
    qemu_host_page_mask = ~(qemu_host_page_size - 1);
    abi_long a = target_mmap(0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == -1) { perror("target_mmap"); return 1; }
    memset((void *)(uintptr_t)a, 1, 8 * 4096);
    int ok = (page_get_flags(a) & 3) == 3 && target_mprotect(a, 4096, PROT_READ) == 0 &&
             (page_get_flags(a) & 2) == 0 && target_munmap(a, 8 * 4096) == 0 && page_get_flags(a) == 0 &&
             tb_calls > 0 && target_munmap(a + 1, 4096) == -22;
    printf("install_test: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
