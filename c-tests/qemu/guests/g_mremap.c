/* g_mremap.c: one guest program of c-tests/qemu (see guest.h). Usage: g_mremap [ITERS [DIR]] */
#include "guest.h"

GUEST_MAIN("mremap", 150, w_mremap(seed, iters, 1))
