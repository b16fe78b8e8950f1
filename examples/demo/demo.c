/*
 * demo.c -- a guest's-eye tour of qemu-user-mmap.
 *
 * The program links the library the way QEMU 2.3's linux-user does
 * (emu.c plays main.c and translate-all.c: host page size, reserved_va,
 * guest_base, the page flag table) and replays what happens to guest
 * memory while a guest program starts and runs:
 *
 *   1. main.c's set-up, and the resulting configuration;
 *   2. elfload.c's load_elf_image for a real ELF file (this program,
 *      /proc/self/exe): a PROT_NONE reservation of the image span, one
 *      MAP_FIXED file mapping per PT_LOAD at target-page granularity,
 *      zero_bss for the bss tail;
 *   3. syscall.c's do_brk (a heap), elfload.c's setup_arg_pages (a stack
 *      with a guard page at its low end);
 *   4. what a running guest does: mprotect part of the heap, grow a block
 *      with mremap(MREMAP_MAYMOVE), shrink it, munmap a piece in its middle.
 *
 * After every step it prints the guest memory map (the page flags, as the
 * guest's /proc/self/maps shows them) next to what the host really has at
 * g2h() of each range, and it checks what the guest would rely on.  The last
 * line is "demo: N checks passed, M failed"; the exit status is 0 only when
 * M is 0.
 *
 * Usage: demo [ELF-FILE]   (default: /proc/self/exe, this program; the file
 * must be an ELF of the host's class, e.g. /bin/ls).
 *
 * Environment (read by emu_init_from_env): EMU_HOST_PAGE_SIZE (like qemu's
 * -p), EMU_RESERVED_VA (like -R), EMU_GUEST_BASE (like -B).
 */
#include "emu.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TPS ((abi_ulong)TARGET_PAGE_SIZE)
#define HPS ((abi_ulong)qemu_host_page_size)
#define RPS ((uintptr_t)qemu_real_host_page_size)
#define FAILED ((abi_ulong)-1)
#define RW (PROT_READ | PROT_WRITE)
#define VALID_RW (PAGE_VALID | PAGE_READ | PAGE_WRITE | PAGE_WRITE_ORG)

/* elfload.c works at TARGET_PAGE_SIZE granularity (TARGET_ELF_EXEC_PAGESIZE) */
#define T_PAGESTART(v)  ((v) & ~(abi_ulong)(TPS - 1))
#define T_PAGEOFFSET(v) ((v) & (TPS - 1))
#define T_PAGEUP(v)     (((v) + TPS - 1) & ~(abi_ulong)(TPS - 1))

/* hex digits of a guest address in the output */
#define AW (TARGET_ABI_BITS == 32 ? 8 : 12)

/* ------------------------------------------------------------------ */
/* checks                                                              */

static int n_pass, n_fail;

static void check(int ok, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...)
{
    va_list ap;

    printf("  %s ", ok ? "[ok]  " : "[FAIL]");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    if (ok) {
        n_pass++;
    } else {
        n_fail++;
    }
}

static void die(const char *what)
{
    printf("demo: fatal: %s (errno: %s)\n", what, strerror(errno));
    printf("demo: %d checks passed, %d failed\n", n_pass, n_fail + 1);
    exit(1);
}

/* ------------------------------------------------------------------ */
/* formatting                                                          */

static char *rbuf(void)
{
    static char bufs[16][96];
    static unsigned n;
    return bufs[n++ % 16];
}

static const char *ga(uint64_t a)
{
    char *b = rbuf();
    snprintf(b, 96, "0x%0*" PRIx64, AW, a);
    return b;
}

static const char *hx(uint64_t v)
{
    char *b = rbuf();
    snprintf(b, 96, "%#" PRIx64, v);
    return b;
}

static const char *prot_str(int prot)
{
    char *b = rbuf();
    snprintf(b, 96, "%c%c%c", prot & PROT_READ ? 'r' : '-',
             prot & PROT_WRITE ? 'w' : '-', prot & PROT_EXEC ? 'x' : '-');
    return b;
}

static const char *mflags_str(int f)
{
    char *b = rbuf();
    snprintf(b, 96, "%s%s%s%s",
             (f & MAP_TYPE) == MAP_SHARED ? "SHARED" : "PRIVATE",
             f & MAP_FIXED ? "|FIXED" : "",
             f & MAP_ANONYMOUS ? "|ANON" : "",
             f & MAP_NORESERVE ? "|NORESERVE" : "");
    return b;
}

/* a result: an address, 0, a literal -EINVAL, or -1 with errno */
static const char *res_str(int64_t r, int err, int is_addr)
{
    char *b;
    if (is_addr && r != -1) {
        return ga((uint64_t)(abi_ulong)r);
    }
    b = rbuf();
    if (r == -1) {
        snprintf(b, 96, "-1 (errno %d, %s)", err, strerror(err));
    } else {
        snprintf(b, 96, "%" PRId64, r);
    }
    return b;
}

static size_t tb_seen;

/* the tb_invalidate_phys_range calls the last operation made */
static void tb_note(void)
{
    for (; tb_seen < emu_tb_count(); tb_seen++) {
        struct emu_tb_call c = emu_tb_get(tb_seen);
        printf("      tb_invalidate_phys_range(%s, %s)\n", ga(c.start),
               ga(c.end));
    }
}

/* ------------------------------------------------------------------ */
/* the syscalls, as syscall.c and elfload.c issue them                  */

static abi_ulong g_mmap(abi_ulong start, abi_ulong len, int prot, int flags,
                        int fd, abi_ulong off)
{
    abi_long r;
    int e;

    tb_seen = emu_tb_count();
    errno = 0;
    r = target_mmap(start, len, prot, flags, fd, off);
    e = errno;
    printf("  target_mmap(%s, %s, %s, %s, %d, %s) = %s\n", ga(start),
           hx(len), prot_str(prot), mflags_str(flags), fd, hx(off),
           res_str(r, e, 1));
    tb_note();
    errno = e;
    return (abi_ulong)r;
}

static int g_mprotect(abi_ulong start, abi_ulong len, int prot)
{
    int r, e;

    tb_seen = emu_tb_count();
    errno = 0;
    r = target_mprotect(start, len, prot);
    e = errno;
    printf("  target_mprotect(%s, %s, %s) = %s\n", ga(start), hx(len),
           prot_str(prot), res_str(r, e, 0));
    tb_note();
    errno = e;
    return r;
}

static int g_munmap(abi_ulong start, abi_ulong len)
{
    int r, e;

    tb_seen = emu_tb_count();
    errno = 0;
    r = target_munmap(start, len);
    e = errno;
    printf("  target_munmap(%s, %s) = %s\n", ga(start), hx(len),
           res_str(r, e, 0));
    tb_note();
    errno = e;
    return r;
}

static abi_ulong g_mremap(abi_ulong old, abi_ulong old_size,
                          abi_ulong new_size, unsigned long flags)
{
    abi_long r;
    int e;

    tb_seen = emu_tb_count();
    errno = 0;
    r = target_mremap(old, old_size, new_size, flags, 0);
    e = errno;
    printf("  target_mremap(%s, %s, %s, %s, 0) = %s\n", ga(old),
           hx(old_size), hx(new_size),
           flags & MREMAP_MAYMOVE ? "MREMAP_MAYMOVE" : "0",
           res_str(r, e, 1));
    tb_note();
    errno = e;
    return (abi_ulong)r;
}

/* ------------------------------------------------------------------ */
/* labels for the map dump                                             */

struct label {
    uint64_t start, end;
    char name[40];
};
static struct label labels[32];
static int nlabels;

static void label_set(const char *name, uint64_t start, uint64_t end)
{
    int i;
    for (i = 0; i < nlabels; i++) {
        if (strcmp(labels[i].name, name) == 0) {
            break;
        }
    }
    if (i == nlabels) {
        if (nlabels == (int)(sizeof(labels) / sizeof(labels[0]))) {
            return;
        }
        nlabels++;
    }
    snprintf(labels[i].name, sizeof(labels[i].name), "%s", name);
    labels[i].start = start;
    labels[i].end = end;
}

static void label_del(const char *name)
{
    int i;
    for (i = 0; i < nlabels; i++) {
        if (strcmp(labels[i].name, name) == 0) {
            labels[i] = labels[--nlabels];
            return;
        }
    }
}

/* ------------------------------------------------------------------ */
/* guest map (page flags) and host map (/proc/self/maps)               */

struct range {
    uint64_t start, end;
    char perm[8];
    int file;
};

static struct range *guest_map, *host_map;
static int n_guest, n_host;

static void push(struct range **v, int *n, int *cap, struct range r)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = realloc(*v, (size_t)*cap * sizeof(**v));
        if (!*v) {
            die("out of memory");
        }
    }
    (*v)[(*n)++] = r;
}

static void load_guest_map(void)
{
    static int cap;
    char *buf = NULL, *line, *save = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);

    if (!m) {
        die("open_memstream");
    }
    emu_dump_maps(m);
    fclose(m);
    n_guest = 0;
    for (line = strtok_r(buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        struct range r;
        memset(&r, 0, sizeof(r));
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &r.start, &r.end,
                   r.perm) == 3) {
            push(&guest_map, &n_guest, &cap, r);
        }
    }
    free(buf);
}

static void load_host_map(void)
{
    static int cap;
    char line[512];
    FILE *f = fopen("/proc/self/maps", "r");

    if (!f) {
        die("/proc/self/maps");
    }
    n_host = 0;
    while (fgets(line, sizeof(line), f)) {
        struct range r;
        unsigned long lo, hi, inode = 0;
        memset(&r, 0, sizeof(r));
        if (sscanf(line, "%lx-%lx %7s %*s %*s %lu", &lo, &hi, r.perm,
                   &inode) >= 3) {
            r.start = lo;
            r.end = hi;
            r.perm[3] = 0;
            r.file = inode != 0;
            push(&host_map, &n_host, &cap, r);
        }
    }
    fclose(f);
}

/* number of guest pages with any flag */
static uint64_t guest_pages(void)
{
    uint64_t n = 0;
    int i;
    load_guest_map();
    for (i = 0; i < n_guest; i++) {
        n += (guest_map[i].end - guest_map[i].start) / TPS;
    }
    return n;
}

/* Print the guest's /proc/self/maps view (from page_get_flags, via
   emu_dump_maps), each range split where the host mapping at g2h() or
   one of our labels changes. */
static void show_map(const char *after)
{
    uint64_t gb = emu_guest_base();
    int i, j;

    load_guest_map();
    load_host_map();
    printf("\n  guest map after %s   (mmap_next_start = %s)\n", after,
           ga(mmap_next_start));
    printf("    %-*s  guest  host at g2h()   what\n", 2 * AW + 5,
           "guest range");
    for (i = 0; i < n_guest; i++) {
        uint64_t s = guest_map[i].start, e = guest_map[i].end;
        while (s < e) {
            uint64_t h = gb + s, cut = e;
            const char *hp = "(unmapped)";
            char what[160] = "";
            int file = 0;

            for (j = 0; j < n_host; j++) {
                if (host_map[j].start <= h && h < host_map[j].end) {
                    hp = host_map[j].perm;
                    file = host_map[j].file;
                    if (host_map[j].end - gb < cut) {
                        cut = host_map[j].end - gb;
                    }
                    break;
                }
                if (host_map[j].start > h && host_map[j].start - gb < cut) {
                    cut = host_map[j].start - gb;
                }
            }
            for (j = 0; j < nlabels; j++) {
                if (labels[j].start > s && labels[j].start < cut) {
                    cut = labels[j].start;
                }
                if (labels[j].end > s && labels[j].end < cut) {
                    cut = labels[j].end;
                }
            }
            for (j = 0; j < nlabels; j++) {
                if (labels[j].start < cut && labels[j].end > s) {
                    size_t l = strlen(what);
                    snprintf(what + l, sizeof(what) - l, "%s%s",
                             l ? ", " : "", labels[j].name);
                }
            }
            printf("    %s-%s  %s   %-3s %-10s %s\n", ga(s), ga(cut),
                   guest_map[i].perm, hp,
                   hp[0] == '(' ? "" : file ? "file" : "anon", what);
            s = cut;
        }
    }
    putchar('\n');
}

/* ------------------------------------------------------------------ */
/* step 2: elfload.c                                                   */

/* What target_mmap will do with a MAP_FIXED file mapping (mmap.c's
   MAP_FIXED branch), to explain the output. */
static void explain_fixed_file_map(abi_ulong start, abi_ulong len,
                                   int prot, abi_ulong off)
{
    uint64_t end = (uint64_t)start + T_PAGEUP(len);
    uint64_t rs = start & ~(uint64_t)(HPS - 1);
    uint64_t re = (end + HPS - 1) & ~(uint64_t)(HPS - 1);

    if (off % TPS) {
        printf("    (file offset %s is not target-page aligned: target_mmap refuses it)\n",
               hx(off));
        return;
    }
    if ((off & (HPS - 1)) != (start & (HPS - 1))) {
        printf("    (address %s and file offset %s differ modulo the %s host page:\n"
               "     mmap.c maps it anonymous + writable and pread()s the bytes%s)\n",
               hx(start & (HPS - 1)), hx(off & (HPS - 1)), hx(HPS),
               prot & PROT_WRITE ? "" : ", then mprotects");
        return;
    }
    if (start > rs && re == rs + HPS) {
        printf("    (inside one host page shared with other target pages: mmap_frag pread()s it)\n");
        return;
    }
    if (start > rs) {
        printf("    (head: host page %s is shared, mmap_frag pread()s into it)\n",
               ga(rs));
        rs += HPS;
    }
    if (end < re) {
        printf("    (tail: host page %s is shared, mmap_frag pread()s into it)\n",
               ga(re - HPS));
        re -= HPS;
    }
    if (rs < re) {
        printf("    (host mmap of the file at g2h(%s), %s bytes)\n", ga(rs),
               hx(re - rs));
    }
}

/* elfload.c zero_bss: whole real host pages by a direct host mmap, page
   flags if the last page lacks prot, then a memset of the partial page */
static void zero_bss(abi_ulong elf_bss, abi_ulong last_bss, int prot)
{
    uintptr_t host_start = (uintptr_t)emu_g2h(elf_bss);
    uintptr_t host_end = (uintptr_t)emu_g2h(last_bss);
    uintptr_t host_map_start = (host_start + RPS - 1) & ~(RPS - 1);

    printf("  zero_bss(%s, %s, %s)\n", ga(elf_bss), ga(last_bss),
           prot_str(prot));
    if (host_map_start < host_end) {
        void *p = mmap((void *)host_map_start, host_end - host_map_start,
                       prot, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("    host mmap(g2h(%s), %s, %s, FIXED|PRIVATE|ANON): whole real host pages\n",
               ga(elf_bss + (host_map_start - host_start)),
               hx(host_end - host_map_start), prot_str(prot));
        if (p == MAP_FAILED) {
            die("zero_bss: host mmap");
        }
    }
    if ((page_get_flags(last_bss - 1) & prot) != prot) {
        printf("    page_set_flags(%s, %s, %s|VALID): bss pages the file mapping did not cover\n",
               ga(elf_bss & TARGET_PAGE_MASK), ga(last_bss), prot_str(prot));
        page_set_flags(elf_bss & TARGET_PAGE_MASK, last_bss,
                       prot | PAGE_VALID);
    }
    if (host_start < host_map_start) {
        printf("    memset(g2h(%s), 0, %s): the rest of the last file page\n",
               ga(elf_bss), hx(host_map_start - host_start));
        memset((void *)host_start, 0, host_map_start - host_start);
    }
}

struct image {
    abi_ulong load_addr, span, brk;
};

/* What the loader should have produced, computed on the side:
   exp/def per byte (def 1: file byte, 2: bss zero), flags per page. */
static unsigned char *sim_byte, *sim_def;
static int *sim_flags;

static void sim_set_flags(abi_ulong base, abi_ulong npages, abi_ulong from,
                          abi_ulong to, int flags)
{
    abi_ulong a;
    if (flags & PAGE_WRITE) {
        flags |= PAGE_WRITE_ORG;
    }
    for (a = T_PAGESTART(from); a < to; a += TPS) {
        if ((a - base) / TPS < npages) {
            sim_flags[(a - base) / TPS] = flags;
        }
    }
}

static void load_image(const char *path, struct image *img)
{
    ElfW(Ehdr) eh;
    ElfW(Phdr) ph[64];
    abi_ulong loaddr = FAILED, hiaddr = 0, load_bias, npages, a;
    unsigned char *file_bytes;
    uint64_t nfile = 0, nbss = 0, bad_bytes = 0, bad_pages = 0, first_bad = 0;
    int fd, i, nload = 0;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char name[40];

    fd = open(path, O_RDONLY);
    if (fd < 0) {
        die(path);
    }
    if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
        memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_phentsize != sizeof(ElfW(Phdr)) || eh.e_phnum > 64) {
        errno = ENOEXEC;
        die("not a native ELF file");
    }
    if (pread(fd, ph, eh.e_phnum * sizeof(ph[0]), eh.e_phoff) !=
        (ssize_t)(eh.e_phnum * sizeof(ph[0]))) {
        die("reading program headers");
    }
    printf("  %s: %s, %d program headers\n", path,
           eh.e_type == ET_DYN ? "ET_DYN (PIE)" :
           eh.e_type == ET_EXEC ? "ET_EXEC" : "?", eh.e_phnum);
    for (i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD) {
            continue;
        }
        printf("    PT_LOAD[%d] %c%c%c vaddr %-8s filesz %-7s memsz %-7s offset %-7s align %s\n",
               i, ph[i].p_flags & PF_R ? 'r' : '-',
               ph[i].p_flags & PF_W ? 'w' : '-',
               ph[i].p_flags & PF_X ? 'x' : '-', hx(ph[i].p_vaddr),
               hx(ph[i].p_filesz), hx(ph[i].p_memsz), hx(ph[i].p_offset),
               hx(ph[i].p_align));
        if ((abi_ulong)ph[i].p_vaddr < loaddr) {
            loaddr = (abi_ulong)ph[i].p_vaddr;
        }
        if ((abi_ulong)(ph[i].p_vaddr + ph[i].p_memsz) > hiaddr) {
            hiaddr = (abi_ulong)(ph[i].p_vaddr + ph[i].p_memsz);
        }
        if (ph[i].p_align < TPS) {
            printf("    note: p_align %s < TARGET_PAGE_SIZE: segments may share target pages\n",
                   hx(ph[i].p_align));
        }
        nload++;
    }
    if (!nload) {
        errno = ENOEXEC;
        die("no PT_LOAD");
    }

    /* load_elf_image: a position-independent image is placed by a
       non-fixed PROT_NONE reservation of its whole span (loaddr is only a
       hint); an ET_EXEC one would be mapped where it was linked, which
       here (guest == host ELF) we treat the same way. */
    if (eh.e_type != ET_DYN) {
        printf("  note: QEMU maps an ET_EXEC image at its link address (after\n"
               "  probe_guest_base); the demo reserves its span with that address as a hint.\n");
    }
    printf("\n  reserve the image span [%s, %s) (load_elf_image):\n",
           hx(loaddr), hx(hiaddr));
    img->load_addr = g_mmap(loaddr, hiaddr - loaddr, PROT_NONE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                            0);
    if (img->load_addr == FAILED) {
        die("target_mmap of the image span");
    }
    check(img->load_addr % HPS == 0,
          "the reservation is host-page aligned (%s)", ga(img->load_addr));
    load_bias = img->load_addr - loaddr;
    img->span = T_PAGEUP(hiaddr - loaddr);
    snprintf(name, sizeof(name), "image %.24s", base);
    label_set(name, img->load_addr, (uint64_t)img->load_addr + img->span);

    npages = img->span / TPS + 1;
    sim_byte = calloc(npages, TPS);
    sim_def = calloc(npages, TPS);
    sim_flags = calloc(npages, sizeof(int));
    if (!sim_byte || !sim_def || !sim_flags) {
        die("out of memory");
    }
    for (a = 0; a < img->span / TPS; a++) {
        sim_flags[a] = PAGE_VALID;           /* the PROT_NONE reservation */
    }

    img->brk = 0;
    for (i = 0; i < eh.e_phnum; i++) {
        abi_ulong vaddr, po, ps, ef, em, len, off, k;
        int prot = 0;

        if (ph[i].p_type != PT_LOAD) {
            continue;
        }
        prot |= ph[i].p_flags & PF_R ? PROT_READ : 0;
        prot |= ph[i].p_flags & PF_W ? PROT_WRITE : 0;
        prot |= ph[i].p_flags & PF_X ? PROT_EXEC : 0;
        vaddr = load_bias + (abi_ulong)ph[i].p_vaddr;
        po = T_PAGEOFFSET(vaddr);
        ps = T_PAGESTART(vaddr);
        len = (abi_ulong)ph[i].p_filesz + po;
        off = (abi_ulong)ph[i].p_offset - po;
        ef = vaddr + (abi_ulong)ph[i].p_filesz;
        em = vaddr + (abi_ulong)ph[i].p_memsz;

        printf("\n  PT_LOAD[%d] %s at %s: page %s + %s, file offset %s - %s\n",
               i, prot_str(prot), ga(vaddr), ga(ps), hx(po),
               hx(ph[i].p_offset), hx(po));
        if (len) {
            explain_fixed_file_map(ps, len, prot, off);
        }
        a = g_mmap(ps, len, prot, MAP_PRIVATE | MAP_FIXED, fd, off);
        check(a == ps, "PT_LOAD[%d] mapped at its page start %s", i, ga(ps));
        if (a == FAILED) {
            if (off % TPS) {
                printf("  The file offset %s is not a multiple of TARGET_PAGE_SIZE: this ELF\n"
                       "  (p_align %s) cannot be a guest binary for this target, and QEMU's\n"
                       "  load_elf_image would stop too (\"Error mapping file\").  Pass an\n"
                       "  ELF file with p_align >= %s as the argument.\n",
                       hx(off), hx(ph[i].p_align), hx(TPS));
            }
            die("target_mmap of a PT_LOAD segment");
        }
        snprintf(name, sizeof(name), "PT_LOAD[%d]", i);
        label_set(name, ps, T_PAGEUP((uint64_t)em));

        /* the expected bytes: [ps, ef) come from the file at off; the
           rest of the last file page depends on the path taken */
        file_bytes = malloc(len ? len : 1);
        if (!file_bytes) {
            die("out of memory");
        }
        if (len && pread(fd, file_bytes, len, off) != (ssize_t)len) {
            die("pread of the image");
        }
        for (k = 0; k < len; k++) {
            sim_byte[ps - img->load_addr + k] = file_bytes[k];
            sim_def[ps - img->load_addr + k] = 1;
        }
        free(file_bytes);
        for (a = ef; a < T_PAGEUP(ef); a++) {
            sim_def[a - img->load_addr] = 0;
        }
        sim_set_flags(img->load_addr, npages, ps, ps + T_PAGEUP(len),
                      prot | PAGE_VALID);

        if (ef < em) {
            if (!(prot & PROT_WRITE)) {
                printf("  (bss in a read-only segment: QEMU 2.3's zero_bss would fault; skipped)\n");
            } else {
                abi_ulong last = em - 1;
                zero_bss(ef, em, prot);
                if ((sim_flags[(last - img->load_addr) / TPS] & prot) != prot) {
                    sim_set_flags(img->load_addr, npages, ef, em,
                                  prot | PAGE_VALID);
                }
                for (a = ef; a < em; a++) {
                    sim_byte[a - img->load_addr] = 0;
                    sim_def[a - img->load_addr] = 2;
                }
            }
        }
        if ((prot & PROT_WRITE) && em > img->brk) {
            img->brk = em;                       /* info->brk */
        }
    }
    close(fd);

    /* verification: flags of every page of the span, bytes of every
       readable page, through g2h */
    for (a = 0; a < npages; a++) {
        int f = page_get_flags(img->load_addr + a * TPS);
        if (f != sim_flags[a]) {
            if (!bad_pages++) {
                printf("    page %s: flags %#x, expected %#x\n",
                       ga(img->load_addr + a * TPS), (unsigned)f,
                       (unsigned)sim_flags[a]);
            }
        }
    }
    check(bad_pages == 0,
          "page flags of the %" PRIu64 " target pages of the image are what load_elf_image asked for",
          (uint64_t)(img->span / TPS));
    for (a = 0; a < img->span; a++) {
        unsigned char *h;
        if (!sim_def[a] || !(sim_flags[a / TPS] & PAGE_READ)) {
            continue;
        }
        h = emu_g2h(img->load_addr + a);
        if (sim_def[a] == 1) {
            nfile++;
        } else {
            nbss++;
        }
        if (*h != sim_byte[a]) {
            if (!bad_bytes++) {
                first_bad = a;
            }
        }
    }
    check(bad_bytes == 0,
          "%" PRIu64 " file bytes and %" PRIu64 " bss bytes read back through g2h() match the ELF file",
          nfile, nbss);
    if (bad_bytes) {
        printf("    first difference at %s (%" PRIu64 " bytes differ)\n",
               ga(img->load_addr + first_bad), bad_bytes);
    }
    free(sim_byte);
    free(sim_def);
    free(sim_flags);
}

/* ------------------------------------------------------------------ */
/* step 3: syscall.c do_brk                                            */

static abi_ulong target_original_brk, target_brk, brk_page;

static void target_set_brk(abi_ulong b)
{
    target_original_brk = target_brk = HOST_PAGE_ALIGN(b);
    brk_page = HOST_PAGE_ALIGN(target_brk);
}

/* do_brk: grow with a *non-fixed* target_mmap at brk_page; any other
   address means "no room here", so it is unmapped again */
static abi_ulong do_brk(abi_ulong new_brk)
{
    abi_ulong size, got;

    printf("  brk(%s)   [break %s, brk_page %s]\n", ga(new_brk),
           ga(target_brk), ga(brk_page));
    if (new_brk < target_original_brk) {
        return target_brk;
    }
    if (new_brk <= brk_page) {
        if (new_brk > target_brk) {
            memset(emu_g2h(target_brk), 0, new_brk - target_brk);
        }
        target_brk = new_brk;
        return target_brk;
    }
    size = HOST_PAGE_ALIGN(new_brk - brk_page);
    got = g_mmap(brk_page, size, RW, MAP_ANONYMOUS | MAP_PRIVATE, 0, 0);
    if (got == brk_page) {
        memset(emu_g2h(target_brk), 0, brk_page - target_brk);
        target_brk = new_brk;
        brk_page = HOST_PAGE_ALIGN(target_brk);
        return target_brk;
    }
    if (got != FAILED) {
        printf("    the hint was not honoured: do_brk gives the block back\n");
        g_munmap(got, size);
    }
    return target_brk;
}

/* ------------------------------------------------------------------ */

static void fill(abi_ulong a, abi_ulong len, unsigned seed)
{
    unsigned char *p = emu_g2h(a);
    abi_ulong i;
    for (i = 0; i < len; i++) {
        p[i] = (unsigned char)((i * 131u + seed) >> 3) | 1;
    }
}

/* [a, a+len) holds fill(., ., seed) shifted by skip bytes */
static int holds(abi_ulong a, abi_ulong len, unsigned seed, abi_ulong skip)
{
    unsigned char *p = emu_g2h(a);
    abi_ulong i;
    for (i = 0; i < len; i++) {
        if (p[i] != ((unsigned char)(((i + skip) * 131u + seed) >> 3) | 1)) {
            return 0;
        }
    }
    return 1;
}

static int all_flags(abi_ulong a, abi_ulong len, int want)
{
    abi_ulong i;
    for (i = 0; i < len; i += TPS) {
        if (page_get_flags(a + i) != want) {
            return 0;
        }
    }
    return 1;
}

static int is_const(abi_ulong a, abi_ulong len, unsigned char v)
{
    unsigned char *p = emu_g2h(a);
    abi_ulong i;
    for (i = 0; i < len; i++) {
        if (p[i] != v) {
            return 0;
        }
    }
    return 1;
}

static void step(const char *title)
{
    printf("\n=== %s ===\n", title);
}

int main(int argc, char **argv)
{
    abi_ulong task_unmapped_base = mmap_next_start;
    struct image img;
    abi_ulong heap, heap_len, stack, stack_size, guard, sp;
    abi_ulong blk, blk2, blk3;
    uint64_t pages_before;
    int reserved, r;
    char exe[4096];
    ssize_t n;

    setvbuf(stdout, NULL, _IOFBF, 1 << 16);

    /* ---------------------------------------------------------------- */
    step("1. emulator set-up (main.c: page_size_init, guest space, mmap_next_start)");
    emu_init_from_env();
    reserved = emu_reserved_va() != 0;
    printf("  target             TARGET_PAGE_BITS=%d  TARGET_ABI_BITS=%d  TARGET_LONG_BITS=%d  VIRT_ADDR_SPACE_BITS=%d\n",
           TARGET_PAGE_BITS, TARGET_ABI_BITS, TARGET_LONG_BITS,
           TARGET_VIRT_ADDR_SPACE_BITS);
    printf("  target page size   %s\n", hx(TPS));
    printf("  host page size     %s real, %s used by mmap.c (qemu_host_page_size%s)\n",
           hx(qemu_real_host_page_size), hx(qemu_host_page_size),
           qemu_host_page_size != qemu_real_host_page_size ? ", as with -p" : "");
#ifdef CONFIG_USE_GUEST_BASE
    printf("  reserved_va        %s%s\n", hx(emu_reserved_va()),
           reserved ? " (the whole guest space is pre-reserved PROT_NONE on the host)" : " (none)");
    printf("  guest_base         %s\n", hx(emu_guest_base()));
#else
    printf("  guest base         none (built like --disable-guest-base: g2h is the identity)\n");
#endif
    printf("  mmap_min_addr      %s\n", hx(mmap_min_addr));
    printf("  mmap_next_start    %s  (TASK_UNMAPPED_BASE %s%s)\n",
           ga(mmap_next_start), ga(task_unmapped_base),
           reserved ? "; main.c replaced it by reserved_va: searches go downward from there" : "");
    check(qemu_host_page_size >= TPS &&
          (qemu_host_page_size & (qemu_host_page_size - 1)) == 0,
          "qemu_host_page_size is a power of two >= TARGET_PAGE_SIZE");
    if (reserved) {
        check(emu_host_mapped(0) && emu_host_prot(0) == 0,
              "g2h(0) is inside the host PROT_NONE reservation");
        check(mmap_next_start == (abi_ulong)emu_reserved_va(),
              "mmap_next_start == reserved_va");
    }
    pages_before = guest_pages();
    check(pages_before == 0, "the guest has no pages yet");

    /* ---------------------------------------------------------------- */
    step("2. load an ELF image (elfload.c: load_elf_image, zero_bss)");
    if (argc > 1) {
        snprintf(exe, sizeof(exe), "%s", argv[1]);
    } else {
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0) {
            die("readlink /proc/self/exe");
        }
        exe[n] = 0;
    }
    load_image(exe, &img);
    show_map("loading the image");

    /* ---------------------------------------------------------------- */
    step("3a. heap (syscall.c: do_brk)");
    target_set_brk(img.brk);
    printf("  info->brk = %s, so the break starts at HOST_PAGE_ALIGN() = %s\n",
           ga(img.brk), ga(target_brk));
    heap_len = 4 * HPS;
    pages_before = guest_pages();
    if (do_brk(target_brk + 2 * HPS) == target_original_brk + 2 * HPS &&
        do_brk(target_brk + 2 * HPS) == target_original_brk + 4 * HPS) {
        heap = target_original_brk;
        check(1, "brk grew twice in place, right after the image: heap [%s, %s)",
              ga(heap), ga(heap + heap_len));
        label_set("heap (brk)", heap, (uint64_t)heap + heap_len);
    } else {
        printf("  brk cannot grow: the hint %s was not free or not honoured.\n", ga(brk_page));
        if (reserved) {
            printf("  With reserved_va a PIE image is placed at the *top* of the guest space\n"
                   "  (the downward search from mmap_next_start = reserved_va), so brk_page is\n"
                   "  reserved_va itself: the search for a hint there is clamped below\n"
                   "  reserved_va and returns a lower hole.  That is QEMU 2.3's behaviour for\n"
                   "  PIE guests; the guest's malloc falls back to mmap, and so do we.\n");
        }
        check(target_brk == target_original_brk, "a failed brk keeps the old break");
        check(guest_pages() == pages_before,
              "the failed brk left no guest pages behind (do_brk unmapped its block)");
        heap = g_mmap(0, heap_len, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (heap == FAILED) {
            die("heap");
        }
        label_set("heap (mmap)", heap, (uint64_t)heap + heap_len);
    }
    check(all_flags(heap, heap_len, VALID_RW) && is_const(heap, heap_len, 0),
          "the heap is %s bytes of zeroed, guest-writable memory", hx(heap_len));
    fill(heap, heap_len, 1);

    /* ---------------------------------------------------------------- */
    step("3b. stack (elfload.c: setup_arg_pages)");
    stack_size = 8 * 1024 * 1024;              /* guest_stack_size default */
    if (stack_size < 33 * TPS) {
        stack_size = 33 * TPS;
    }
    guard = TPS > (abi_ulong)RPS ? TPS : (abi_ulong)RPS;
    printf("  size %s + guard %s (max(TARGET_PAGE_SIZE, real host page))\n",
           hx(stack_size), hx(guard));
    stack = g_mmap(0, stack_size + guard, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == FAILED) {
        die("stack");
    }
    r = g_mprotect(stack, guard, PROT_NONE);   /* result ignored by QEMU */
    check(r == 0, "target_mprotect of the guard page returns 0");
    label_set("stack guard", stack, (uint64_t)stack + guard);
    label_set("stack", (uint64_t)stack + guard,
              (uint64_t)stack + guard + stack_size);
    sp = stack + guard + stack_size;
    memcpy(emu_g2h(sp - 16), "argv[0]=guest\0\0", 16);
    check(page_get_flags(stack) == PAGE_VALID,
          "the guard page is mapped but inaccessible to the guest (flags VALID only)");
    check(all_flags(stack + guard, stack_size, VALID_RW),
          "the %s bytes above the guard are read/write", hx(stack_size));
    if (reserved) {
        check(mmap_next_start == stack,
              "mmap_next_start moved down to the stack (the reserved search goes downward)");
    } else if (stack >= task_unmapped_base) {
        check(mmap_next_start == stack + HOST_PAGE_ALIGN(stack_size + guard),
              "mmap_next_start moved up to the end of the stack");
    }
    show_map("the heap and the stack");

    /* ---------------------------------------------------------------- */
    step("4a. mprotect one host page in the middle of the heap");
    r = g_mprotect(heap + HPS, HPS, PROT_READ);
    check(r == 0, "target_mprotect returns 0");
    check(all_flags(heap + HPS, HPS, PAGE_VALID | PAGE_READ),
          "its flags are now VALID|READ (PAGE_WRITE_ORG gone too)");
    check(all_flags(heap, HPS, VALID_RW) && all_flags(heap + 2 * HPS, 2 * HPS, VALID_RW),
          "the rest of the heap keeps its flags");
    check(emu_host_prot(heap + HPS) == PROT_READ,
          "the host page at g2h() is really read-only");
    check(holds(heap, heap_len, 1, 0), "the heap's contents survived");
    show_map("the mprotect");

    /* ---------------------------------------------------------------- */
    step("4b. grow a block with mremap(MREMAP_MAYMOVE)");
    blk = g_mmap(0, 2 * HPS, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (blk == FAILED) {
        die("block");
    }
    fill(blk, 2 * HPS, 7);
    label_set("block", blk, (uint64_t)blk + 2 * HPS);
    blk2 = g_mremap(blk, 2 * HPS, 4 * HPS, MREMAP_MAYMOVE);
    if (blk2 == FAILED) {
        die("mremap MAYMOVE");
    }
    printf("  (2.3 never grows in place with MAYMOVE: it asks mmap_find_vma for a new\n"
           "   range and moves the block there with MREMAP_FIXED)\n");
    check(blk2 != blk, "the block moved: %s -> %s", ga(blk), ga(blk2));
    check(holds(blk2, 2 * HPS, 7, 0) && is_const(blk2 + 2 * HPS, 2 * HPS, 0),
          "the old bytes moved with it, the new half is zero");
    check(all_flags(blk2, 4 * HPS, VALID_RW), "the new range is read/write");
    check(all_flags(blk, 2 * HPS, 0), "the old range has no flags");
    if (reserved) {
        check(emu_host_mapped(blk) && emu_host_prot(blk) == 0,
              "the old range went back to the host PROT_NONE reservation (mmap_reserve)");
    } else {
        check(!emu_host_mapped(blk), "the old range is unmapped on the host");
    }
    label_del("block");
    label_set("block (moved)", blk2, (uint64_t)blk2 + 4 * HPS);
    memset(emu_g2h(blk2 + 2 * HPS), 0x77, 2 * HPS);

    /* ---------------------------------------------------------------- */
    step("4c. shrink it");
    printf("  in place (flags 0).  QEMU 2.3 could not do this for a 32-bit guest with a\n"
           "  high guest_base (it checked the *host* address against (abi_ulong)-1 and\n"
           "  failed with ENOMEM), and under reserved_va its shrink re-reserved a negative\n"
           "  size from the old end, mapping PROT_NONE over whatever lay above the block.\n"
           "  This library checks guest addresses and re-reserves exactly the freed tail:\n");
    blk3 = g_mremap(blk2, 4 * HPS, 3 * HPS, 0);
    check(blk3 == blk2, "shrunk in place");
    if (reserved) {
        check(emu_host_mapped(blk2 + 3 * HPS) && emu_host_prot(blk2 + 3 * HPS) == 0,
              "the freed host page is PROT_NONE-reserved again");
    } else {
        check(!emu_host_mapped(blk2 + 3 * HPS), "the freed host page is unmapped");
    }
    if (blk3 == FAILED) {
        die("shrink");
    }
    check(all_flags(blk3, 3 * HPS, VALID_RW) && all_flags(blk3 + 3 * HPS, HPS, 0),
          "3 host pages of flags remain");
    check(holds(blk3, 2 * HPS, 7, 0) && is_const(blk3 + 2 * HPS, HPS, 0x77),
          "contents kept");
    label_del("block (moved)");
    label_set("block", blk3, (uint64_t)blk3 + 3 * HPS);

    /* ---------------------------------------------------------------- */
    step("4d. munmap the middle host page of the block");
    r = g_munmap(blk3 + HPS, HPS);
    check(r == 0, "target_munmap returns 0");
    check(all_flags(blk3 + HPS, HPS, 0), "the hole has no flags");
    check(all_flags(blk3, HPS, VALID_RW) && all_flags(blk3 + 2 * HPS, HPS, VALID_RW),
          "both sides keep theirs");
    check(holds(blk3, HPS, 7, 0) && is_const(blk3 + 2 * HPS, HPS, 0x77),
          "both sides keep their bytes");
    check(!emu_can_read(blk3 + HPS), "a read of the hole faults on the host");
    if (reserved) {
        check(emu_host_mapped(blk3 + HPS) && emu_host_prot(blk3 + HPS) == 0,
              "the hole is PROT_NONE-reserved, not unmapped");
    } else {
        check(!emu_host_mapped(blk3 + HPS), "the hole is unmapped on the host");
    }
    label_del("block");
    label_set("block, part 1", blk3, (uint64_t)blk3 + HPS);
    label_set("block, part 3", (uint64_t)blk3 + 2 * HPS, (uint64_t)blk3 + 3 * HPS);
    show_map("mremap and munmap");

    /* ---------------------------------------------------------------- */
    step("5. what a guest write does");
    check(emu_can_write(heap), "a write to the heap succeeds");
    check(emu_can_write(sp - 1), "a write to the top of the stack succeeds");
    check(!emu_can_write(heap + HPS) && emu_can_read(heap + HPS),
          "a write to the read-only heap page faults, a read does not");
    check(page_get_flags(stack) == PAGE_VALID,
          "the guard page's flags say PROT_NONE");
    if (guard % HPS == 0) {
        check(!emu_can_write(stack) && !emu_can_read(stack),
              "a write to the stack guard page faults (stack overflow caught)");
    } else {
        printf("  NOTE: the guard (%s bytes, max(TARGET_PAGE_SIZE, real host page)) is smaller\n"
               "  than qemu_host_page_size (%s): target_mprotect gives the host page the union\n"
               "  of the flags of its target pages, so the host page stays read/write and a\n"
               "  guest stack overflow into the guard is NOT caught.  That is QEMU 2.3's\n"
               "  behaviour with -p larger than the real page size.\n",
               hx(guard), hx(HPS));
        check(emu_host_prot(stack) == RW && emu_can_write(stack),
              "the guard page is writable on the host (2.3 behaviour, see note)");
    }

    /* mmap_fork_start aborts if this thread still holds the mmap lock */
    mmap_fork_start();
    mmap_fork_end(0);
    check(1, "the mmap lock is not held after all these calls (mmap_fork_start did not abort)");

    printf("\ndemo: %d checks passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
