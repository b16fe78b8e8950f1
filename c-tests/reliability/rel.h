/*
 * rel.h -- helpers shared by the reliability tests.
 *
 * Built on the C tests' emulator side (../harness/emu.h, ../harness/tcommon.h), which are
 * reused, not changed.  What is here:
 *
 *   rel_maps_read()    /proc/self/maps parsed with read(2) into a static
 *                      array (no malloc, usable between an armed fault
 *                      injection and its check)
 *   rel_check()        the invariants every test checks after an operation:
 *                      page flags agree with the real host mappings (per
 *                      host page: the union of the guest pages' protections),
 *                      host mappings that changed lie inside the guest
 *                      space and belong to valid guest pages (nothing
 *                      leaked, nothing outside the guest touched), and under
 *                      reserved_va the reservation has no hole
 *   rel_window_*()     a snapshot of a guest window (page flags, the host
 *                      mappings over it, a hash of its readable memory) and
 *                      its comparison ("nothing changed")
 *   rel_guest_limit()  the exclusive end of the usable guest space, as the
 *                      library defines it (Linux's TASK_SIZE rule)
 */
#ifndef REL_H
#define REL_H

#include "tcommon.h"

#include <stdarg.h>
#include <stdint.h>

/* ---- guest space ---------------------------------------------------- */

/* The exclusive end of the usable guest space (GuestWindow::end_limit in
   src/guest.rs): the top target page of a 32-bit or VIRT-bit space is
   unusable, and reserved_va caps it. */
static inline uint64_t rel_guest_limit(void)
{
    uint64_t ps = TARGET_PAGE_SIZE, lim;
#if TARGET_ABI_BITS == 32
    lim = (1ull << 32) - ps;
#elif TARGET_VIRT_ADDR_SPACE_BITS < 64
    lim = (1ull << TARGET_VIRT_ADDR_SPACE_BITS) - ps;
#else
    lim = 0ull - ps;
#endif
    if (emu_reserved_va() && emu_reserved_va() < lim) {
        lim = emu_reserved_va();
    }
    return lim;
}

/* The host range [lo, hi) that g2h can reach for guest addresses (used to
   tell "inside the guest space" from "the emulator's own memory"). */
static inline void rel_guest_host_range(unsigned long *lo, unsigned long *hi)
{
    unsigned long gb = emu_guest_base();
    uint64_t top;
    if (emu_reserved_va()) {
        top = emu_reserved_va();
    } else {
#if TARGET_ABI_BITS == 32
        top = 1ull << 32;
#elif TARGET_VIRT_ADDR_SPACE_BITS < 64
        top = 1ull << TARGET_VIRT_ADDR_SPACE_BITS;
#else
        top = 1ull << 47;
#endif
    }
    *lo = gb;
    *hi = gb + top < gb ? ~0ul : gb + top;
}

/* ---- /proc/self/maps without malloc ---------------------------------- */

#define REL_MAX_MAPS 8192
struct rel_map {
    unsigned long lo, hi;
    int prot;      /* PROT_* */
    int special;   /* [heap], [stack], [vvar], [vdso], [vsyscall] */
};

struct rel_maps {
    int n;
    struct rel_map m[REL_MAX_MAPS];
};

static char rel_maps_buf_[1 << 20];

static inline int rel_hexval_(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Reads /proc/self/maps into *out; returns the number of entries. */
static inline int rel_maps_read(struct rel_maps *out)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    size_t len = 0;
    ssize_t r;
    char *p, *end;

    out->n = 0;
    if (fd < 0) {
        return 0;
    }
    while ((r = read(fd, rel_maps_buf_ + len, sizeof(rel_maps_buf_) - 1 - len)) > 0) {
        len += (size_t)r;
        if (len >= sizeof(rel_maps_buf_) - 1) {
            break;
        }
    }
    close(fd);
    rel_maps_buf_[len] = 0;
    p = rel_maps_buf_;
    end = rel_maps_buf_ + len;
    while (p < end && out->n < REL_MAX_MAPS) {
        struct rel_map *m = &out->m[out->n];
        char *eol = memchr(p, '\n', (size_t)(end - p));
        int v;
        if (!eol) {
            eol = end;
        }
        m->lo = m->hi = 0;
        while ((v = rel_hexval_(*p)) >= 0) { m->lo = m->lo * 16 + (unsigned long)v; p++; }
        if (*p == '-') p++;
        while ((v = rel_hexval_(*p)) >= 0) { m->hi = m->hi * 16 + (unsigned long)v; p++; }
        if (*p == ' ') p++;
        m->prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
                  (p[2] == 'x' ? PROT_EXEC : 0);
        m->special = memmem(p, (size_t)(eol - p), "[", 1) != NULL;
        out->n++;
        p = eol + 1;
    }
    return out->n;
}

/* The protection at host address a: PROT_* or -1 when unmapped. */
static inline int rel_maps_prot(const struct rel_maps *s, unsigned long a)
{
    int lo = 0, hi = s->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (a < s->m[mid].lo) {
            hi = mid - 1;
        } else if (a >= s->m[mid].hi) {
            lo = mid + 1;
        } else {
            return s->m[mid].prot;
        }
    }
    return -1;
}

/* ---- invariants -------------------------------------------------------- */

static int rel_verbose_ = 1;
static int rel_violations_;
static char rel_last_violation_[512];

static inline void rel_violation_(const char *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void rel_violation_(const char *ctx, const char *fmt, ...)
{
    va_list ap;
    char msg[400];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (rel_violations_ == 0) {
        snprintf(rel_last_violation_, sizeof(rel_last_violation_), "%s", msg);
    }
    rel_violations_++;
    if (rel_verbose_ && rel_violations_ <= 8) {
        printf("  violation [%s]: %s\n", ctx ? ctx : "", msg);
        fflush(stdout);
    }
}

/* The union of the protections of the valid target pages in the host page
   at guest address hp (host-page aligned), and whether any page is valid. */
static inline int rel_host_page_union(abi_ulong hp, int *any_valid)
{
    uint64_t a, end = (uint64_t)hp + qemu_host_page_size;
    int u = 0;
    *any_valid = 0;
    for (a = hp; a < end; a += TARGET_PAGE_SIZE) {
        int f = page_get_flags((target_ulong)a);
        if (f & PAGE_VALID) {
            *any_valid = 1;
            u |= f & PAGE_BITS;
        }
    }
    return u;
}

/* Checks one host page (guest address hp, host-page aligned) against the
   maps: every real host page in it has the union protection when a guest
   page is valid; when none is, it is PROT_NONE-reserved (reserved_va) or
   unmapped (no reserved_va; `allow_mapped` tolerates a mapping that existed
   before the operation, e.g. the emulator's own stack under a 64-bit
   identity guest space). */
static inline void rel_check_host_page_(const char *ctx, const struct rel_maps *s,
                                        abi_ulong hp, int allow_unflagged)
{
    int any, u = rel_host_page_union(hp, &any);
    unsigned long h = (unsigned long)g2h(hp);
    unsigned long r;
    for (r = 0; r < qemu_host_page_size; r += qemu_real_host_page_size) {
        int hpr = rel_maps_prot(s, h + r);
        if (any && hpr == 0 && is_reserved() &&
            !(page_get_flags((target_ulong)((hp + r) & ~(uint64_t)(TARGET_PAGE_SIZE - 1))) & PAGE_VALID)) {
            /* a real page of an unmapped guest page given back to the
               reservation inside a host page that holds other pages: finer
               than the host page, and safe (it only faults sooner) */
            continue;
        }
        if (any) {
            if (hpr != u) {
                rel_violation_(ctx, "guest 0x%llx: page flags say %c%c%c, host has %s",
                               (unsigned long long)hp + r,
                               u & PROT_READ ? 'r' : '-', u & PROT_WRITE ? 'w' : '-',
                               u & PROT_EXEC ? 'x' : '-',
                               hpr < 0 ? "nothing (unmapped)" :
                               hpr == 0 ? "---" : hpr == 1 ? "r--" : hpr == 3 ? "rw-" :
                               hpr == 5 ? "r-x" : hpr == 7 ? "rwx" : hpr == 2 ? "-w-" : "?");
                return;
            }
        } else if (is_reserved()) {
            if (hpr != 0) {
                rel_violation_(ctx, "guest 0x%llx: no valid page, host has %s (reservation expected)",
                               (unsigned long long)hp + r,
                               hpr < 0 ? "a HOLE in the reservation" : "an accessible mapping");
                return;
            }
        } else if (hpr >= 0 && !allow_unflagged) {
            rel_violation_(ctx, "guest 0x%llx: no valid page, host still has a mapping (prot %d): leaked",
                           (unsigned long long)hp + r, hpr);
            return;
        }
    }
}

struct rel_range { uint64_t lo, hi; };

/* Guest ranges with non-zero page flags, from emu_dump_maps. */
static inline int rel_flag_ranges(struct rel_range *out, int max)
{
    char *buf = NULL;
    size_t sz = 0;
    FILE *f = open_memstream(&buf, &sz);
    int n = 0;
    char *p;
    if (!f) {
        return 0;
    }
    emu_dump_maps(f);
    fclose(f);
    for (p = buf; p && *p && n < max; ) {
        unsigned long long lo, hi;
        if (sscanf(p, "%llx-%llx", &lo, &hi) == 2) {
            if (n > 0 && out[n - 1].hi == lo) {
                out[n - 1].hi = hi;
            } else {
                out[n].lo = lo;
                out[n].hi = hi;
                n++;
            }
        }
        p = strchr(p, '\n');
        if (p) {
            p++;
        }
    }
    free(buf);
    return n;
}

#define REL_MAX_RANGES 4096
static struct rel_range rel_ranges_[REL_MAX_RANGES];
static struct rel_maps rel_now_;

static inline int rel_same_map_(const struct rel_maps *b, const struct rel_map *m)
{
    int i;
    for (i = 0; i < b->n; i++) {
        if (b->m[i].lo == m->lo && b->m[i].hi == m->hi && b->m[i].prot == m->prot) {
            return 1;
        }
    }
    return 0;
}

/*
 * The global invariants.  `before` (may be NULL) is a maps snapshot taken
 * before the operation: every host mapping that is new or changed since
 * must lie inside the guest space and agree with the page flags (a
 * PROT_NONE left-over of a failed search with no valid page is a leak).
 * Scope [scope_lo, scope_hi) (guest addresses; 0,0 = the whole guest space)
 * limits that diff check, for tests whose own threads map stacks.
 * Returns the number of violations found (also added to rel_violations_).
 */
static inline int rel_check_scoped(const char *ctx, const struct rel_maps *before,
                                   uint64_t scope_lo, uint64_t scope_hi)
{
    int start = rel_violations_, nr, i;
    unsigned long glo, ghi;
    uint64_t hps = qemu_host_page_size;

    rel_guest_host_range(&glo, &ghi);
    rel_maps_read(&rel_now_);
    nr = rel_flag_ranges(rel_ranges_, REL_MAX_RANGES);

    /* 1. every host page holding a valid guest page has the union prot */
    for (i = 0; i < nr; i++) {
        uint64_t a = rel_ranges_[i].lo & ~(hps - 1);
        for (; a < rel_ranges_[i].hi; a += hps) {
            rel_check_host_page_(ctx, &rel_now_, (abi_ulong)a, 0);
            if (rel_violations_ - start > 8) {
                return rel_violations_ - start;
            }
        }
    }

    /* 2. under reserved_va: no hole, and accessible host memory only where
       a guest page is valid */
    if (is_reserved()) {
        unsigned long lo = glo, hi = glo + emu_reserved_va(), cur = lo;
        for (i = 0; i < rel_now_.n && cur < hi; i++) {
            const struct rel_map *m = &rel_now_.m[i];
            if (m->hi <= cur) {
                continue;
            }
            if (m->lo > cur) {
                rel_violation_(ctx, "hole in the reservation: host 0x%lx-0x%lx (guest 0x%lx-0x%lx) unmapped",
                               cur, m->lo < hi ? m->lo : hi, cur - glo,
                               (m->lo < hi ? m->lo : hi) - glo);
                if (m->lo >= hi) {
                    cur = hi;
                    break;
                }
            }
            if (m->prot != 0) {
                unsigned long a = (m->lo > lo ? m->lo : lo);
                unsigned long e = (m->hi < hi ? m->hi : hi);
                for (a &= ~(unsigned long)(hps - 1); a < e; a += hps) {
                    rel_check_host_page_(ctx, &rel_now_, (abi_ulong)(a - glo), 0);
                }
            }
            cur = m->hi;
        }
        if (cur < hi) {
            rel_violation_(ctx, "hole in the reservation: host 0x%lx-0x%lx unmapped", cur, hi);
        }
    }

    /* 3. what changed since `before`: inside the guest space, and agreeing
       with the flags (catches leaks without reserved_va) */
    if (before) {
        for (i = 0; i < rel_now_.n; i++) {
            const struct rel_map *m = &rel_now_.m[i];
            unsigned long a, e;
            if (m->special || rel_same_map_(before, m) ||
                emu_storage_touches(m->lo, m->hi)) {
                continue;   /* (the emulator's own allocations, emu.h) */
            }
            if (scope_hi > scope_lo &&
                (m->hi <= glo + (unsigned long)scope_lo || m->lo >= glo + (unsigned long)scope_hi)) {
                continue;   /* outside the scope: the test's own threads map stacks */
            }
            if (m->hi <= glo || m->lo >= ghi) {
#ifndef REL_UNDER_SANITIZER
                rel_violation_(ctx, "host mapping 0x%lx-0x%lx outside the guest space changed",
                               m->lo, m->hi);
#endif
                /* (under a sanitizer its allocator maps memory at any time) */
                continue;
            }
            a = m->lo > glo ? m->lo : glo;
            e = m->hi < ghi ? m->hi : ghi;
            if (scope_hi > scope_lo) {
                unsigned long slo = glo + (unsigned long)scope_lo;
                unsigned long shi = glo + (unsigned long)scope_hi;
                if (a < slo) a = slo;
                if (e > shi) e = shi;
            }
            if (a >= e || e - a > (1ul << 32)) {
                continue;   /* huge changed PROT_NONE areas are covered by 2. */
            }
            for (a &= ~(unsigned long)(hps - 1); a < e; a += hps) {
                rel_check_host_page_(ctx, &rel_now_, (abi_ulong)(a - glo), 0);
            }
        }
        /* a mapping that vanished must not have been outside the guest */
        for (i = 0; i < before->n; i++) {
            const struct rel_map *m = &before->m[i];
            if (m->special || rel_same_map_(&rel_now_, m) || scope_hi > scope_lo ||
                emu_storage_touches(m->lo, m->hi)) {
                continue;
            }
            if (m->hi <= glo || m->lo >= ghi) {
                /* it may merely have merged with a neighbour: check the
                   protection of its first page */
#ifdef REL_UNDER_SANITIZER
                continue;
#endif
                if (rel_maps_prot(&rel_now_, m->lo) != m->prot) {
                    rel_violation_(ctx, "host mapping 0x%lx-0x%lx outside the guest space was removed or changed",
                                   m->lo, m->hi);
                }
            }
        }
    }
    return rel_violations_ - start;
}

static inline int rel_check(const char *ctx, const struct rel_maps *before)
{
    return rel_check_scoped(ctx, before, 0, 0);
}

/* ---- a window snapshot: "nothing changed" ----------------------------- */

#define REL_WIN_MAX_PAGES 1024
struct rel_window {
    abi_ulong base;
    unsigned pages;                 /* target pages */
    int flags[REL_WIN_MAX_PAGES];
    int hostprot[REL_WIN_MAX_PAGES * 4]; /* per real host page */
    unsigned nhost;
    uint64_t hash;
};

static inline uint64_t rel_fnv_(uint64_t h, const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        h = (h ^ p[i]) * 0x100000001b3ull;
    }
    return h;
}

/* Hashes `n` bytes of host memory at p without faulting: pages that would
   raise SIGBUS/SIGSEGV (a file mapping past end of file) hash as a marker. */
#include <sys/uio.h>
static unsigned char rel_copy_buf_[1 << 16];
static inline uint64_t rel_hash_mem(uint64_t h, const void *p, size_t n)
{
    while (n) {
        size_t k = n < sizeof(rel_copy_buf_) ? n : sizeof(rel_copy_buf_);
        struct iovec local = { rel_copy_buf_, k }, remote = { (void *)p, k };
        ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        if (r != (ssize_t)k) {
            h = rel_fnv_(h, (const unsigned char *)"<unreadable>", 12);
        } else {
            h = rel_fnv_(h, rel_copy_buf_, k);
        }
        p = (const char *)p + k;
        n -= k;
    }
    return h;
}

static inline void rel_window_take(struct rel_window *w, abi_ulong base, unsigned pages)
{
    unsigned i;
    struct rel_maps *s = &rel_now_;
    unsigned long h0 = (unsigned long)g2h(base);
    uint64_t bytes = (uint64_t)pages * TARGET_PAGE_SIZE;

    w->base = base;
    w->pages = pages > REL_WIN_MAX_PAGES ? REL_WIN_MAX_PAGES : pages;
    w->hash = 0xcbf29ce484222325ull;
    rel_maps_read(s);
    for (i = 0; i < w->pages; i++) {
        abi_ulong g = base + (abi_ulong)i * TPS;
        int f = page_get_flags(g);
        w->flags[i] = f;
        if ((f & PAGE_VALID) && (f & PAGE_READ) &&
            rel_maps_prot(s, (unsigned long)g2h(g)) > 0 &&
            (rel_maps_prot(s, (unsigned long)g2h(g)) & PROT_READ)) {
            w->hash = rel_hash_mem(w->hash, g2h(g), TPS);
        } else {
            w->hash = rel_fnv_(w->hash, (const unsigned char *)"-", 1);
        }
    }
    w->nhost = (unsigned)(bytes / qemu_real_host_page_size);
    if (w->nhost > REL_WIN_MAX_PAGES * 4) {
        w->nhost = REL_WIN_MAX_PAGES * 4;
    }
    for (i = 0; i < w->nhost; i++) {
        w->hostprot[i] = rel_maps_prot(s, h0 + (unsigned long)i * qemu_real_host_page_size);
    }
}

/* Describes the first difference between two snapshots into buf; returns
   0 when they are equal. */
static inline int rel_window_diff(const struct rel_window *a, const struct rel_window *b,
                                  char *buf, size_t n)
{
    unsigned i;
    for (i = 0; i < a->pages && i < b->pages; i++) {
        if (a->flags[i] != b->flags[i]) {
            snprintf(buf, n, "page flags at guest 0x%llx: 0x%x -> 0x%x",
                     (unsigned long long)a->base + (unsigned long long)i * TPS,
                     a->flags[i], b->flags[i]);
            return 1;
        }
    }
    for (i = 0; i < a->nhost && i < b->nhost; i++) {
        if (a->hostprot[i] != b->hostprot[i]) {
            snprintf(buf, n, "host mapping at guest 0x%llx: prot %d -> %d (-1 = unmapped)",
                     (unsigned long long)a->base +
                     (unsigned long long)i * qemu_real_host_page_size,
                     a->hostprot[i], b->hostprot[i]);
            return 1;
        }
    }
    if (a->hash != b->hash) {
        snprintf(buf, n, "guest memory contents changed");
        return 1;
    }
    buf[0] = 0;
    return 0;
}

/* ---- misc -------------------------------------------------------------- */

static inline const char *rel_errname(int e)
{
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case ETXTBSY: return "ETXTBSY";
    case EOVERFLOW: return "EOVERFLOW";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: {
        static char b[16];
        snprintf(b, sizeof(b), "E#%d", e);
        return b;
    }
    }
}

/* A simple deterministic PRNG (xorshift64*). */
static inline uint64_t rel_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

#endif /* REL_H */
