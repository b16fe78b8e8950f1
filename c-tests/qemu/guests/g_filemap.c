/* g_filemap.c: one guest program of c-tests/qemu (see guest.h). Usage: g_filemap [ITERS [DIR]] */
#include "guest.h"

GUEST_MAIN("filemap", 60, w_filemap(seed, iters, dir))
