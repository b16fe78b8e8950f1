/* g_mprotect.c: one guest program of c-tests/qemu (see guest.h). Usage: g_mprotect [ITERS [DIR]] */
#include "guest.h"

GUEST_MAIN("mprotect", 400, w_mprotect(seed, iters, 1))
