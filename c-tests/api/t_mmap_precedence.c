/* target_mmap with several failing checks at once, and refused maps over
   live pages.  Ours (D39) reports Linux's errno, in the order of the
   kernel's own checks (the arch's mmap, ksys_mmap_pgoff, do_mmap,
   __get_unmapped_area): offset alignment, descriptor, length, range, start
   alignment, NOREPLACE, offset overflow, mapping type, access; and (D36) a
   refused map changes nothing, with 64 KiB host pages too.  Each case is
   also run on the host kernel itself, over a native scratch mapping, and
   ours must give the kernel's errno.  2.3 checks in its own order (length,
   alignment, range, the read fallback, fragments, then the host) and, with
   fragments, changes the old pages before the host refuses the file.
   msync of a length that aligns to 0 is 0 in all three. */
#include "tcommon.h"

#ifndef MAP_FIXED_NOREPLACE
# define MAP_FIXED_NOREPLACE 0x100000
#endif

static unsigned char *native;   /* a native scratch mapping, 4 host pages */

/* the host kernel's errno for the same call over the native scratch
   mapping (0: it maps, and the scratch page is restored) */
static int kernel_errno(size_t len, int prot, int flags, int fd, off_t off)
{
    void *p;
    errno = 0;
    p = mmap(native, len, prot, flags, fd, off);
    if (p != MAP_FAILED) {
        mmap(native, 4 * (size_t)getpagesize(), RW, ANON | MAP_FIXED, -1, 0);
        return 0;
    }
    return errno;
}

struct call { const char *what; abi_ulong start; abi_ulong len; int prot; int flags; int fd; uint64_t off; };

/* runs one call through target_mmap (and, with a start at the live range,
   on the kernel): ours must fail with the kernel's errno and `linux`;
   the original with `orig` (0: it maps) */
static void one(const struct call *c, int linux_errno, int orig, int native_too)
{
    abi_long r;
    errno = 0;
    r = target_mmap(c->start, c->len, c->prot, c->flags, c->fd, (abi_ulong)c->off);
    printf("  %-40s = %lld %s\n", c->what, (long long)r, r == -1 ? strerror(errno) : "");
    if (LINUX_FIXES || orig) {
        CHECK_EQ(r, -1);
        CHECK_EQ_DIV("D39", errno, orig, linux_errno);
    } else {
        CHECK_EQ(r, (abi_long)c->start);
    }
    if (native_too) {
        CHECK_EQ(kernel_errno(c->len, c->prot, c->flags, c->fd, (off_t)c->off), linux_errno);
    }
}

int main(void)
{
    abi_ulong a, p;
    int fd, wfd, ok_flags = 1, ok_data = 1;
    char path[64];

    emu_init_from_env();
    native = mmap(NULL, 4 * (size_t)getpagesize(), RW, ANON, -1, 0);
    CHECK(native != MAP_FAILED);
    fd = emu_make_file(4 * HPS);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    wfd = open(path, O_WRONLY);
    CHECK(wfd >= 0);

    a = fresh(4 * HPS);
    CHECK_EQ(target_mmap(a, 4 * HPS, RW, ANON | MAP_FIXED, -1, 0), (abi_long)a);
    memset(H(a), 0x21, 4 * HPS);
    emu_tb_reset();

    {
        /* the descriptor before the type, the start's alignment */
        struct call c1 = { "no type, bad fd", a, TPS, PROT_READ, MAP_FIXED, -1, 0 };
        struct call c2 = { "misaligned start, bad fd", a + 1, TPS, PROT_READ,
                           MAP_PRIVATE | MAP_FIXED, -1, 0 };
        /* the type before the access mode */
        struct call c3 = { "no type, write-only fd", a, TPS, PROT_READ, MAP_FIXED, wfd, 0 };
        /* NOREPLACE over guest pages before the type */
        struct call c4 = { "NOREPLACE busy, no type", a, TPS, PROT_READ,
                           MAP_FIXED_NOREPLACE, fd, 0 };
        /* 2.3: the host's EBADF, but its fragment code (-p 65536) sees the
           type first */
        one(&c1, EBADF, HPS > TPS ? EINVAL : EBADF, 1);
        /* 2.3: EINVAL, but target pages larger than the real host page
           make it look at the file (fstat) first */
        one(&c2, EBADF, RPS < TPS ? EBADF : EINVAL, 0);
        one(&c3, EINVAL, EINVAL, 1);
        /* 2.3 takes NOREPLACE for a hint, which the host refuses */
        one(&c4, EEXIST, EEXIST, 1);
    }
#if TARGET_ABI_BITS == 64
    {
        /* a file range ending past the largest file position: EOVERFLOW,
           after the start's alignment and NOREPLACE, before the type and
           the access mode */
        const uint64_t huge = ~(uint64_t)0xffff;          /* 2^64 - 64 KiB */
        struct call c5 = { "offset overflow", a, HPS, PROT_READ,
                           MAP_PRIVATE | MAP_FIXED, fd, huge };
        struct call c6 = { "offset overflow, no type", a, TPS, PROT_READ, MAP_FIXED, fd, huge };
        struct call c7 = { "offset overflow, write-only fd", a, TPS, PROT_READ,
                           MAP_PRIVATE | MAP_FIXED, wfd, huge };
        struct call c8 = { "offset overflow, misaligned start", a + 1, TPS, PROT_READ,
                           MAP_PRIVATE | MAP_FIXED, fd, huge };
        one(&c5, EOVERFLOW, EOVERFLOW, 1);
        /* 2.3 (-p 65536): its fragment code fails first */
        one(&c6, EOVERFLOW, HPS > TPS ? EINVAL : EOVERFLOW, 1);
        one(&c7, EOVERFLOW, HPS > TPS ? EINVAL : EOVERFLOW, 1);
        one(&c8, EINVAL, EINVAL, 0);
        /* D36: a fragment of a 64 KiB host page at that offset.  2.3 fills
           the page by hand before the host sees the offset: its pread fails
           (EINVAL); ours refuses first, with the kernel's errno. */
        if (HPS > TPS) {
            struct call c9 = { "offset overflow, fragment", a + TPS, TPS, PROT_READ,
                               MAP_PRIVATE | MAP_FIXED, fd, huge + TPS };
            one(&c9, EOVERFLOW, EINVAL, 0);
        }
    }
#endif
    /* what the refused calls left: ours nothing at all */
    for (p = a; p < a + 4 * HPS; p += TPS) {
        ok_flags &= flags_of(p) == VALID_RW;
        ok_data &= emu_can_read(p) && mem_is(p, TPS, 0x21);
    }
    CHECK(ok_flags);
    /* D36: 2.3 (-p 65536, 64-bit) changed the old pages' bytes first */
    CHECK_EQ_DIV("D36", ok_data, !(HPS > TPS && TARGET_ABI_BITS == 64), 1);
    if (LINUX_FIXES) {
        CHECK_EQ(emu_tb_count(), 0);
    }

    /* msync of a length that aligns to 0: 0 in all three */
    CHECK_EQ(target_msync(a, (abi_ulong)-1, MS_SYNC), 0);
    CHECK_EQ(target_msync(a + 64 * HPS, (abi_ulong)-1, MS_ASYNC), 0);
    CHECK_EQ(msync(native, (size_t)-1, MS_SYNC), 0);

    close(wfd);
    close(fd);
    return check_summary();
}
