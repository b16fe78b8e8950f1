/* g_munmap.c: one guest program of c-tests/qemu (see guest.h). Usage: g_munmap [ITERS [DIR]] */
#include "guest.h"

GUEST_MAIN("munmap", 150, w_munmap(seed, iters, 1))
