/* g_threads.c: four threads doing all the guest.h workloads at once (mremap moves,
 * munmap of middles, mprotect toggles, file maps), so QEMU's mmap lock and the page
 * table allocations of one thread race with the others' mappings. Each thread's result
 * depends only on its seed: the output is deterministic. Usage: g_threads [ROUNDS [DIR]] */
#include "guest.h"
#include <pthread.h>

#define NT 4

static int rounds;
static const char *dir;
static uint64_t result[NT];

static void *run(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    uint64_t h = FNV0;
    for (int r = 0; r < rounds; r++) {
        uint32_t seed = 100u * (id + 1) + (uint32_t)r;
        /* the in-place growth and the fault checks need an address space nobody else
           changes: not here */
        h = fnv_u(h, w_mremap(seed, 12, 0));
        h = fnv_u(h, w_munmap(seed, 12, 0));
        h = fnv_u(h, w_mprotect(seed, 40, 0));
        h = fnv_u(h, w_filemap(seed, 6, dir));
    }
    result[id] = h;
    return NULL;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atoi(argv[1]) : 6;
    dir = argc > 2 ? argv[2] : ".";
    setvbuf(stdout, NULL, _IOLBF, 0);
    probe_init();
    pthread_t t[NT];
    for (int i = 0; i < NT; i++)
        CHECK(pthread_create(&t[i], NULL, run, (void *)(uintptr_t)i) == 0, "pthread_create");
    for (int i = 0; i < NT; i++)
        CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
    for (int i = 0; i < NT; i++)
        printf("thread %d rounds=%d sum=%016llx\n", i, rounds, (unsigned long long)result[i]);
    printf("OK\n");
    return 0;
}
