/* A stand-in for QEMU 2.3's linux-user/mmap.c. The swap kit must keep this file out of
 * the link: a binary that contains the marker below was linked with this object, not with
 * qemu-user-mmap, and every function here refuses to run. */
#include "qemu.h"

const char qemu_kit_c_mmap_o_marker[] = "linux-user/mmap.o from mmap.c";
unsigned long last_brk;
abi_ulong mmap_next_start = 0x40000000;

static void refuse(const char *f)
{
    fprintf(stderr, "%s: the C linux-user/mmap.o is linked (%s)\n", f, qemu_kit_c_mmap_o_marker);
    exit(3);
}
int target_mprotect(abi_ulong s, abi_ulong l, int p) { (void)s; (void)l; (void)p; refuse(__func__); return 0; }
abi_long target_mmap(abi_ulong s, abi_ulong l, int p, int f, int fd, abi_ulong o)
{ (void)s; (void)l; (void)p; (void)f; (void)fd; (void)o; refuse(__func__); return 0; }
int target_munmap(abi_ulong s, abi_ulong l) { (void)s; (void)l; refuse(__func__); return 0; }
abi_long target_mremap(abi_ulong a, abi_ulong b, abi_ulong c, unsigned long d, abi_ulong e)
{ (void)a; (void)b; (void)c; (void)d; (void)e; refuse(__func__); return 0; }
int target_msync(abi_ulong s, abi_ulong l, int f) { (void)s; (void)l; (void)f; refuse(__func__); return 0; }
void mmap_lock(void) { refuse(__func__); }
void mmap_unlock(void) { refuse(__func__); }
abi_ulong mmap_find_vma(abi_ulong s, abi_ulong l) { (void)s; (void)l; refuse(__func__); return 0; }
void mmap_fork_start(void) { refuse(__func__); }
void mmap_fork_end(int c) { (void)c; refuse(__func__); }
