/* g_bigmap.c: maps MIB MiB (default 1024) of anonymous memory in 4 KiB pieces, one mmap
 * call each, then unmaps it in 4 KiB pieces, one munmap call each, in the order they were
 * mapped. (Not every other piece first: the 131072 separate mappings that would leave exceed
 * Linux's default vm.max_map_count, natively and under QEMU alike.) Each piece is
 * read once (it must read as zero) but never written, so the host memory of the emulator
 * running it is the emulator's own bookkeeping, not the guest's data: benches/qemu/run.py
 * reads the emulator's peak resident size (ru_maxrss). Also a guest of c-tests/qemu (see
 * guest.h). Usage: g_bigmap [MIB [DIR]] */
#include "guest.h"

static uint64_t w_bigmap(uint32_t seed, int mib)
{
    size_t n = (size_t)mib * (1024 * 1024 / PG);
    unsigned char **piece = malloc(n * sizeof *piece);
    CHECK(piece, "malloc %zu pointers", n);
    uint64_t h = fnv_u(FNV0, seed);
    for (size_t i = 0; i < n; i++) {
        piece[i] = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(piece[i] != MAP_FAILED, "mmap piece %zu of %zu", i, n);
        CHECK(((uintptr_t)piece[i] & (PG - 1)) == 0, "mmap piece %zu unaligned", i);
        CHECK(*(volatile unsigned char *)(piece[i] + (i * 61) % PG) == 0, "piece %zu not zero", i);
    }
    h = fnv_u(h, n);
    for (size_t i = 0; i < n; i++) {
        CHECK(munmap(piece[i], PG) == 0, "munmap piece %zu of %zu", i, n);
        h = fnv_u(h, i);
    }
    free(piece);
    return h;
}

int main(int argc, char **argv)
{
    int mib = argc > 1 ? atoi(argv[1]) : 1024;
    probe_init();
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("bigmap mib=%d sum=%016llx\n", mib, (unsigned long long)w_bigmap(1, mib));
    printf("OK\n");
    return 0;
}
