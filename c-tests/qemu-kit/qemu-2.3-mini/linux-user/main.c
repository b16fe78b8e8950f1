/* main.c of the stand-in QEMU: sets up the globals the way QEMU 2.3's main.c does (page
 * sizes, guest base and reserved guest space, mmap_min_addr), then runs a short script of
 * guest memory calls through syscall.c and elfload.c and checks what they did. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "qemu.h"

unsigned long mmap_min_addr;
#ifdef CONFIG_USE_GUEST_BASE
unsigned long guest_base;
int have_guest_base;
#if TARGET_LONG_BITS == 32
unsigned long reserved_va = 0xf7000000;
#else
unsigned long reserved_va;
#endif
#endif

/* Defined in main.c in QEMU; mmap.c must not define them. */
static pthread_mutex_t cpu_list_mutex = PTHREAD_MUTEX_INITIALIZER;
void cpu_list_lock(void) { pthread_mutex_lock(&cpu_list_mutex); }
void cpu_list_unlock(void) { pthread_mutex_unlock(&cpu_list_mutex); }

static int checks, failures;
#define CHECK(c)                                                                          \
    do {                                                                                  \
        checks++;                                                                         \
        if (!(c)) {                                                                       \
            failures++;                                                                   \
            fprintf(stderr, "qemu-kit: FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);        \
        }                                                                                 \
    } while (0)

static int is_err(abi_long r) { return r < 0 && r > -4096; }

int main(void)
{
    const char *p = getenv("QEMU_PAGESIZE");
    if (p) qemu_host_page_size = strtoul(p, NULL, 0);
    page_size_init();
#ifdef CONFIG_USE_GUEST_BASE
    p = getenv("QEMU_RESERVED_VA");
    if (p) reserved_va = strtoul(p, NULL, 0);
    if (reserved_va) {
        void *base = mmap(NULL, reserved_va, PROT_NONE, MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE, -1, 0);
        if (base == MAP_FAILED) { perror("reserve guest space"); return 1; }
        guest_base = (unsigned long)base;
        mmap_next_start = reserved_va;
    }
#endif
    FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
    if (f) { if (fscanf(f, "%lu", &mmap_min_addr) != 1) mmap_min_addr = 0; fclose(f); }

    /* The stack, with its guard page. */
    abi_ulong stack = setup_arg_pages(8 << 20);
    CHECK(page_get_flags(stack) == PAGE_VALID);
    abi_ulong guard = TARGET_PAGE_SIZE > qemu_real_host_page_size ? TARGET_PAGE_SIZE : qemu_real_host_page_size;
    CHECK((page_get_flags(stack + guard) & (PAGE_READ | PAGE_WRITE)) == (PAGE_READ | PAGE_WRITE));

    /* Anonymous memory, written and read through g2h. */
    abi_long a = do_mmap(0, 10 * TARGET_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(!is_err(a) && a % TARGET_PAGE_SIZE == 0);
    memset(g2h(a), 0x5a, 10 * TARGET_PAGE_SIZE);
    CHECK(((unsigned char *)g2h(a))[10 * TARGET_PAGE_SIZE - 1] == 0x5a);
    CHECK(page_get_flags(a + 9 * TARGET_PAGE_SIZE) & PAGE_WRITE);

    /* A file mapping at an offset (a multiple of 64 KiB: with -p 65536, QEMU 2.3 cannot map
     * a non-fixed file range at an offset that is not a multiple of the host page). */
    char path[] = "/tmp/qemu-kit-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    static unsigned char buf[32 * 8192];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 31 + 7);
    CHECK(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf);
    abi_long m = do_mmap(0, 4 * TARGET_PAGE_SIZE, PROT_READ, MAP_PRIVATE, fd, 65536);
    CHECK(!is_err(m) && memcmp(g2h(m), buf + 65536, 4 * TARGET_PAGE_SIZE) == 0);
    CHECK((page_get_flags(m) & (PAGE_VALID | PAGE_READ | PAGE_WRITE)) == (PAGE_VALID | PAGE_READ));

    /* The error conventions: a literal -EINVAL passes through get_errno, -1 becomes -errno. */
    CHECK(do_mprotect(a + 1, TARGET_PAGE_SIZE, PROT_READ) == -EINVAL);
    CHECK(do_munmap(a + 1, TARGET_PAGE_SIZE) == -EINVAL);
    CHECK(do_mmap(0, TARGET_PAGE_SIZE, PROT_READ, MAP_PRIVATE, -1, 0) == -EBADF);

    /* mprotect, munmap of a middle page, mremap. */
    CHECK(do_mprotect(a, TARGET_PAGE_SIZE, PROT_READ) == 0);
    CHECK((page_get_flags(a) & PAGE_WRITE) == 0);
    CHECK(do_munmap(a + 4 * TARGET_PAGE_SIZE, TARGET_PAGE_SIZE) == 0);
    CHECK(page_get_flags(a + 4 * TARGET_PAGE_SIZE) == 0);
    abi_long r = do_mremap(a + 5 * TARGET_PAGE_SIZE, 5 * TARGET_PAGE_SIZE, 20 * TARGET_PAGE_SIZE, MREMAP_MAYMOVE, 0);
    CHECK(!is_err(r) && ((unsigned char *)g2h(r))[0] == 0x5a);
    CHECK(page_get_flags(r + 19 * TARGET_PAGE_SIZE) & PAGE_VALID);

    /* shmat's address search under the lock, the lock's recursion, fork. */
    abi_long s = do_shmat_reserve(16 * TARGET_PAGE_SIZE);
    CHECK(!is_err(s) && s % TARGET_PAGE_SIZE == 0);
    mmap_lock();
    mmap_lock();
    mmap_unlock();
    mmap_unlock();
    CHECK(do_fork() == 0);
    CHECK(tb_invalidate_calls > 0);
    CHECK(last_brk == 0);

    if (failures) {
        fprintf(stderr, "qemu-kit: qemu-%s: %d of %d checks failed\n", TARGET_NAME_STR, failures, checks);
        return 1;
    }
    printf("qemu-kit: qemu-%s: %d checks passed (abi_ulong %d bits, target page %d, host page %lu, "
           "guest_base %#lx, reserved_va %#lx)\n", TARGET_NAME_STR, checks, TARGET_ABI_BITS,
           TARGET_PAGE_SIZE, (unsigned long)qemu_host_page_size, (unsigned long)GUEST_BASE,
           (unsigned long)RESERVED_VA);
    return 0;
}
