/* g_mprotect.c: one guest program of c-tests/qemu (see guest.h). Usage: g_mprotect [ITERS [DIR]] */
#include "guest.h"

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 400;
    const char *dir = argc > 2 ? argv[2] : ".";
    (void)dir;
    probe_init();
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (uint32_t seed = 1; seed <= 3; seed++) {
        uint64_t h = w_mprotect(seed, iters, 1);
        printf("mprotect seed=%u iters=%d sum=%016llx\n", seed, iters, (unsigned long long)h);
    }
    printf("OK\n");
    return 0;
}
