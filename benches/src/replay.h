/* replay.h -- replay a recorded program's mmap-family calls (see replay.c). */
#ifndef BENCH_REPLAY_H
#define BENCH_REPLAY_H

#include <stdint.h>

struct replay;

/* Load a numeric trace (strace2trace.py output); exits on error. */
struct replay *replay_load(const char *path);
/* Number of calls in the trace. */
unsigned long replay_calls(const struct replay *r);
/* Replay every call on target_* in the guest window.  Returns the number of
   calls made (calls whose addresses cannot be translated are skipped) and
   folds every result into *checksum. */
unsigned long replay_run(struct replay *r, uint64_t *checksum);
/* Unmap everything the last replay left mapped and restore mmap_next_start
   (not part of the measurement). */
void replay_cleanup(struct replay *r);
/* Calls skipped by the last replay (address outside any recorded mapping). */
unsigned long replay_skipped(const struct replay *r);

#endif
