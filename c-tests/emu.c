/*
 * emu.c -- the QEMU-like emulator side for the C tests.
 *
 * Plays translate-all.c (page flag table in a multi-level l1_map like
 * QEMU 2.3's, page_set_flags/page_get_flags with 2.3's assertions,
 * tb_invalidate_phys_range, page_size_init) and linux-user/main.c
 * (guest_base, reserved_va, mmap_min_addr, init_guest_space,
 * cpu_list_lock) for whichever mmap implementation is linked in.
 */
#include "emu.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef DEFAULT_RESERVED_VA
# define DEFAULT_RESERVED_VA 0
#endif

/* ---- globals that QEMU defines outside mmap.c ----------------------- */
uintptr_t qemu_real_host_page_size;
uintptr_t qemu_host_page_size;
uintptr_t qemu_host_page_mask;
#if defined(CONFIG_USE_GUEST_BASE)
unsigned long guest_base;
int have_guest_base;
unsigned long reserved_va;
#endif
unsigned long mmap_min_addr;

unsigned long emu_page_get_flags_calls, emu_page_set_flags_calls;

/* main.c:203-211 defines these; mmap.c (and so the library) must not. */
static pthread_mutex_t cpu_list_mutex = PTHREAD_MUTEX_INITIALIZER;
void cpu_list_lock(void) { pthread_mutex_lock(&cpu_list_mutex); }
void cpu_list_unlock(void) { pthread_mutex_unlock(&cpu_list_mutex); }

static void emu_die(const char *msg)
{
    fprintf(stderr, "emu: %s\n", msg);
    fflush(stderr);
    abort();
}

/* ---- page flag table, shaped like translate-all.c's l1_map ---------- */
#define L1_MAP_ADDR_SPACE_BITS TARGET_VIRT_ADDR_SPACE_BITS
#define V_L2_BITS 10
#define V_L2_SIZE (1 << V_L2_BITS)
#define V_L1_BITS_REM \
    ((L1_MAP_ADDR_SPACE_BITS - TARGET_PAGE_BITS) % V_L2_BITS)
#if V_L1_BITS_REM < 4
# define V_L1_BITS (V_L1_BITS_REM + V_L2_BITS)
#else
# define V_L1_BITS V_L1_BITS_REM
#endif
#define V_L1_SIZE ((target_ulong)1 << V_L1_BITS)
#define V_L1_SHIFT (L1_MAP_ADDR_SPACE_BITS - TARGET_PAGE_BITS - V_L1_BITS)
/* number of tables below l1_map, the last one holding the page flags */
#define V_LEVELS (V_L1_SHIFT / V_L2_BITS)

typedef struct PageDesc { int flags; } PageDesc;

static void *l1_map[V_L1_SIZE];

static PageDesc *page_find_alloc(tb_page_addr_t index, int alloc)
{
    void **lp = l1_map + ((index >> V_L1_SHIFT) & (V_L1_SIZE - 1));
    int i;

    for (i = V_LEVELS - 1; i > 0; i--) {
        void **p = *lp;
        if (p == NULL) {
            if (!alloc) {
                return NULL;
            }
            p = calloc(V_L2_SIZE, sizeof(void *));
            if (!p) {
                emu_die("out of memory");
            }
            *lp = p;
        }
        lp = p + ((index >> (i * V_L2_BITS)) & (V_L2_SIZE - 1));
    }
    PageDesc *pd = *lp;
    if (pd == NULL) {
        if (!alloc) {
            return NULL;
        }
        pd = calloc(V_L2_SIZE, sizeof(PageDesc));
        if (!pd) {
            emu_die("out of memory");
        }
        *lp = pd;
    }
    return pd + (index & (V_L2_SIZE - 1));
}

int page_get_flags(target_ulong address)
{
    PageDesc *p;

    emu_page_get_flags_calls++;
    p = page_find_alloc(address >> TARGET_PAGE_BITS, 0);
    return p ? p->flags : 0;
}

void page_set_flags(target_ulong start, target_ulong end, int flags)
{
    target_ulong addr, len;

    emu_page_set_flags_calls++;
    /* translate-all.c:1792: "This function should never be called with
       addresses outside the guest address space." */
#if TARGET_ABI_BITS > L1_MAP_ADDR_SPACE_BITS
    if (!(end < ((target_ulong)1 << L1_MAP_ADDR_SPACE_BITS))) {
        emu_die("page_set_flags: assertion `end < (1 << L1_MAP_ADDR_SPACE_BITS)' failed");
    }
#endif
    if (!(start < end)) {
        emu_die("page_set_flags: assertion `start < end' failed");
    }

    start = start & TARGET_PAGE_MASK;
    end = TARGET_PAGE_ALIGN(end);

    if (flags & PAGE_WRITE) {
        flags |= PAGE_WRITE_ORG;
    }

    for (addr = start, len = end - start; len != 0; ) {
        tb_page_addr_t index = addr >> TARGET_PAGE_BITS;
        target_ulong in_leaf = V_L2_SIZE - (index & (V_L2_SIZE - 1));
        target_ulong pages = len >> TARGET_PAGE_BITS;
        target_ulong n = in_leaf < pages ? in_leaf : pages, i;
        /* Clearing a page that has no descriptor changes nothing
           observable, so do not allocate for it (keeps big munmaps cheap). */
        PageDesc *p = page_find_alloc(index, flags != 0);
        if (p) {
            for (i = 0; i < n; i++) {
                p[i].flags = flags;
            }
        }
        addr += n << TARGET_PAGE_BITS;
        len -= n << TARGET_PAGE_BITS;
    }
}

static void free_level(void *p, int level)
{
    int i;
    if (!p) {
        return;
    }
    if (level > 1) {
        for (i = 0; i < V_L2_SIZE; i++) {
            free_level(((void **)p)[i], level - 1);
        }
    }
    free(p);
}

void emu_flags_reset(void)
{
    target_ulong i;
    for (i = 0; i < V_L1_SIZE; i++) {
        free_level(l1_map[i], V_LEVELS);
        l1_map[i] = NULL;
    }
}

/* ---- guest-visible map dump ----------------------------------------- */
struct dump_state {
    FILE *f;
    int have;
    uint64_t start, end;
    int flags;
};

static void dump_flush(struct dump_state *s)
{
    if (s->have && s->flags) {
        fprintf(s->f, "%08" PRIx64 "-%08" PRIx64 " %c%c%cp\n",
                s->start, s->end,
                s->flags & PAGE_READ ? 'r' : '-',
                s->flags & PAGE_WRITE ? 'w' : '-',
                s->flags & PAGE_EXEC ? 'x' : '-');
    }
    s->have = 0;
}

static void dump_page(struct dump_state *s, uint64_t index, int flags)
{
    uint64_t a = index << TARGET_PAGE_BITS;
    if (s->have && s->end == a && s->flags == flags) {
        s->end = a + TARGET_PAGE_SIZE;
        return;
    }
    dump_flush(s);
    s->have = 1;
    s->start = a;
    s->end = a + TARGET_PAGE_SIZE;
    s->flags = flags;
}

static void dump_level(struct dump_state *s, void *p, int level,
                       uint64_t prefix)
{
    int i;
    if (!p) {
        return;
    }
    for (i = 0; i < V_L2_SIZE; i++) {
        uint64_t idx = (prefix << V_L2_BITS) | (uint64_t)i;
        if (level == 1) {
            int fl = ((PageDesc *)p)[i].flags;
            if (fl) {
                dump_page(s, idx, fl);
            }
        } else {
            dump_level(s, ((void **)p)[i], level - 1, idx);
        }
    }
}

void emu_dump_maps(FILE *f)
{
    struct dump_state s = { f, 0, 0, 0, 0 };
    target_ulong i;
    for (i = 0; i < V_L1_SIZE; i++) {
        dump_level(&s, l1_map[i], V_LEVELS, (uint64_t)i);
    }
    dump_flush(&s);
}

/* ---- TB invalidation log -------------------------------------------- */
static struct emu_tb_call *tb_log;
static size_t tb_log_len, tb_log_cap;

void tb_invalidate_phys_range(tb_page_addr_t start, tb_page_addr_t end,
                              int is_cpu_write_access)
{
    (void)is_cpu_write_access;
    if (tb_log_len == tb_log_cap) {
        tb_log_cap = tb_log_cap ? tb_log_cap * 2 : 64;
        tb_log = realloc(tb_log, tb_log_cap * sizeof(*tb_log));
        if (!tb_log) {
            emu_die("out of memory");
        }
    }
    tb_log[tb_log_len].start = start;
    tb_log[tb_log_len].end = end;
    tb_log_len++;
}

size_t emu_tb_count(void) { return tb_log_len; }

struct emu_tb_call emu_tb_get(size_t i)
{
    struct emu_tb_call none = { 0, 0 };
    return i < tb_log_len ? tb_log[i] : none;
}

void emu_tb_reset(void) { tb_log_len = 0; }

/* ---- set-up (translate-all.c page_size_init, main.c) ---------------- */
static void page_size_init(void)
{
    qemu_real_host_page_size = getpagesize();
    if (qemu_host_page_size == 0) {
        qemu_host_page_size = qemu_real_host_page_size;
    }
    if (qemu_host_page_size < TARGET_PAGE_SIZE) {
        qemu_host_page_size = TARGET_PAGE_SIZE;
    }
    qemu_host_page_mask = ~(qemu_host_page_size - 1);
}

#if defined(CONFIG_USE_GUEST_BASE)
/* elfload.c init_guest_space, simplified: reserve [base, base+size) as
   PROT_NONE, host-page aligned. */
static unsigned long init_guest_space(unsigned long host_start,
                                      unsigned long host_size, int fixed)
{
    void *p;
    if (!host_size) {
        return host_start;
    }
    if (fixed) {
        p = mmap((void *)host_start, host_size, PROT_NONE,
                 MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE | MAP_FIXED,
                 -1, 0);
        if (p == MAP_FAILED) {
            perror("emu: init_guest_space");
            exit(2);
        }
        return host_start;
    } else {
        unsigned long full = host_size + qemu_host_page_size;
        unsigned long real, aligned;
        p = mmap(NULL, full, PROT_NONE,
                 MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            perror("emu: init_guest_space");
            exit(2);
        }
        real = (unsigned long)p;
        aligned = HOST_PAGE_ALIGN(real);
        if (aligned > real) {
            munmap(p, aligned - real);
        }
        if (real + full > aligned + host_size) {
            munmap((void *)(aligned + host_size),
                   real + full - (aligned + host_size));
        }
        return aligned;
    }
}
#endif

static unsigned long cur_reserved_va;

void emu_init(const struct emu_options *o)
{
    FILE *fp;

    emu_flags_reset();
    emu_tb_reset();
    emu_page_get_flags_calls = emu_page_set_flags_calls = 0;

    /* parse_args (-p), then tcg_exec_init -> page_size_init */
    qemu_host_page_size = o->host_page_size;
    page_size_init();

#if defined(CONFIG_USE_GUEST_BASE)
    reserved_va = o->reserved_va < 0 ? (unsigned long)DEFAULT_RESERVED_VA
                                     : (unsigned long)o->reserved_va;
    guest_base = o->guest_base;
    have_guest_base = o->have_guest_base;
    /* main.c:3961-3982 */
    guest_base = HOST_PAGE_ALIGN(guest_base);
    if (reserved_va || have_guest_base) {
        guest_base = init_guest_space(guest_base, reserved_va,
                                      have_guest_base);
    }
    if (reserved_va) {
        mmap_next_start = reserved_va;
    }
    cur_reserved_va = reserved_va;
#else
    if (o->reserved_va > 0 || o->have_guest_base) {
        fprintf(stderr, "emu: NO_GUEST_BASE build ignores reserved_va/guest_base\n");
    }
    cur_reserved_va = 0;
#endif

    /* main.c:3990-4000 */
    mmap_min_addr = 0;
    fp = fopen("/proc/sys/vm/mmap_min_addr", "r");
    if (fp) {
        unsigned long tmp;
        if (fscanf(fp, "%lu", &tmp) == 1) {
            mmap_min_addr = tmp;
        }
        fclose(fp);
    }
}

void emu_options_from_env(struct emu_options *op)
{
    struct emu_options o = { 0, -1, 0, 0 };
    const char *s;

    s = getenv("EMU_HOST_PAGE_SIZE");
    if (s && *s) {
        o.host_page_size = strtoul(s, NULL, 0);
        if (o.host_page_size == 0 ||
            (o.host_page_size & (o.host_page_size - 1))) {
            fprintf(stderr, "page size must be a power of two\n");
            exit(2);
        }
    }
    s = getenv("EMU_RESERVED_VA");
    if (s && *s) {
        o.reserved_va = strtol(s, NULL, 0);
    }
    s = getenv("EMU_GUEST_BASE");
    if (s && *s) {
        o.guest_base = strtol(s, NULL, 0);
        o.have_guest_base = 1;
    }
    *op = o;
}

void emu_init_from_env(void)
{
    struct emu_options o;
    emu_options_from_env(&o);
    emu_init(&o);
}

unsigned long emu_reserved_va(void) { return cur_reserved_va; }

unsigned long emu_guest_base(void)
{
#if defined(CONFIG_USE_GUEST_BASE)
    return guest_base;
#else
    return 0;
#endif
}

void *emu_g2h(abi_ulong guest)
{
    return g2h(guest);
}

/* ---- host views ------------------------------------------------------ */
static int maps_lookup(unsigned long a, int *prot)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3) {
            continue;
        }
        if (a >= lo && a < hi) {
            *prot = (perms[0] == 'r' ? PROT_READ : 0) |
                    (perms[1] == 'w' ? PROT_WRITE : 0) |
                    (perms[2] == 'x' ? PROT_EXEC : 0);
            found = 1;
            break;
        }
    }
    fclose(f);
    return found;
}

int emu_host_prot(abi_ulong guest)
{
    int prot;
    if (!maps_lookup((unsigned long)g2h(guest), &prot)) {
        return -1;
    }
    return prot;
}

int emu_host_mapped(abi_ulong guest)
{
    int prot;
    return maps_lookup((unsigned long)g2h(guest), &prot);
}

int emu_host_range_free(abi_ulong guest, unsigned long len)
{
    unsigned long lo = (unsigned long)g2h(guest), hi = lo + len;
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int free_ = 1;
    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx", &a, &b) != 2) {
            continue;
        }
        if (a < hi && b > lo) {
            free_ = 0;
            break;
        }
    }
    fclose(f);
    return free_;
}

static sigjmp_buf probe_jmp;

static void probe_handler(int sig)
{
    (void)sig;
    siglongjmp(probe_jmp, 1);
}

static int probe(abi_ulong guest, int write)
{
    struct sigaction sa, old_segv, old_bus;
    volatile unsigned char *p = emu_g2h(guest);
    volatile int ok = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = probe_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    if (sigsetjmp(probe_jmp, 1) == 0) {
        unsigned char v = *p;
        if (write) {
            *p = v;
        }
        ok = 1;
    }
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    return ok;
}

int emu_can_read(abi_ulong guest) { return probe(guest, 0); }
int emu_can_write(abi_ulong guest) { return probe(guest, 1); }

/* ---- helpers ------------------------------------------------------- */
unsigned char emu_file_byte(size_t i)
{
    return (unsigned char)((((uint32_t)i + 1u) * 2654435761u) >> 24) | 1;
}

int emu_make_file(size_t size)
{
    char path[256];
    const char *dir = getenv("TMPDIR");
    unsigned char buf[4096];
    size_t done = 0;
    int fd;

    snprintf(path, sizeof(path), "%s/emu-test-XXXXXX",
             dir && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    if (fd < 0) {
        perror("emu: mkstemp");
        exit(2);
    }
    unlink(path);
    while (done < size) {
        size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf), i;
        for (i = 0; i < n; i++) {
            buf[i] = emu_file_byte(done + i);
        }
        if (write(fd, buf, n) != (ssize_t)n) {
            perror("emu: write");
            exit(2);
        }
        done += n;
    }
    return fd;
}

int emu_run_child(int (*fn)(void *), void *arg)
{
    pid_t pid;
    int status = 0;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        perror("emu: fork");
        exit(2);
    }
    if (pid == 0) {
        struct rlimit rl = { 0, 0 };
        setrlimit(RLIMIT_CORE, &rl);
        int rc = fn(arg);
        fflush(stdout);
        fflush(stderr);
        _exit(rc);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("emu: waitpid");
            exit(2);
        }
    }
    return status;
}
