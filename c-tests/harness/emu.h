/*
 * emu.h -- the QEMU-like emulator side used by the C tests.
 *
 * It plays the part of QEMU 2.3's translate-all.c (page flag table,
 * tb_invalidate_phys_range, host page size globals) and linux-user/main.c
 * (guest_base, reserved_va, mmap_min_addr, guest space reservation) for a
 * mmap implementation that is either the original linux-user/mmap.c (the
 * oracle) or the Rust library.  See CONTRACT.md sections 2, 6 and 8.
 */
#ifndef EMU_H
#define EMU_H

#include "qemu_style.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct emu_options {
    uintptr_t host_page_size;   /* 0 = real page size; like -p */
    long reserved_va;           /* -1 = target default (DEFAULT_RESERVED_VA -D flag), 0 = none */
    unsigned long guest_base;   /* like -B */
    int have_guest_base;
};

/* page_size_init + main.c guest-space setup (CONTRACT section 6) */
void emu_init(const struct emu_options *o);
/* defaults, overridden by env EMU_HOST_PAGE_SIZE, EMU_RESERVED_VA, EMU_GUEST_BASE */
void emu_init_from_env(void);

void *emu_g2h(abi_ulong guest);
/* real host PROT_* at g2h(guest) from /proc/self/maps, -1 if unmapped */
int emu_host_prot(abi_ulong guest);
/* 1 if a read of that guest byte succeeds, 0 if it faults (SIGSEGV/SIGBUS) */
int emu_can_read(abi_ulong guest);
/* same for a write (writes the byte's own value back) */
int emu_can_write(abi_ulong guest);

/* log of tb_invalidate_phys_range calls */
struct emu_tb_call { abi_ulong start, end; };
size_t emu_tb_count(void);
struct emu_tb_call emu_tb_get(size_t i);
void emu_tb_reset(void);

extern unsigned long emu_page_get_flags_calls, emu_page_set_flags_calls;

/* guest-visible map (like the guest's /proc/self/maps) built from page
   flags: ranges of equal flags, "start-end rwxp" */
void emu_dump_maps(FILE *f);

/* ---- extras ---- */

/* The options emu_init_from_env would use (defaults + environment). */
void emu_options_from_env(struct emu_options *o);

/* The reserved_va the emulator set up (0 when none or NO_GUEST_BASE). */
unsigned long emu_reserved_va(void);
/* The guest base (0 with NO_GUEST_BASE). */
unsigned long emu_guest_base(void);
/* 1 if the real host mapping at g2h(guest) is present in /proc/self/maps
   (any protection, including PROT_NONE reservations). */
int emu_host_mapped(abi_ulong guest);
/* 1 if no host mapping overlaps [g2h(guest), g2h(guest) + len) (len in
   host width, so a range may extend past 4 GiB of guest space). */
int emu_host_range_free(abi_ulong guest, unsigned long len);
/* Clear every page flag (does not touch host memory). */
void emu_flags_reset(void);
/* Create a temporary file of `size` bytes where byte i == emu_file_byte(i);
   returns an fd opened O_RDWR (file already unlinked). */
int emu_make_file(size_t size);
unsigned char emu_file_byte(size_t i);
/* Fork; in the child run fn(arg) and _exit with its return value.  Returns
   the raw wait status of the child. */
int emu_run_child(int (*fn)(void *), void *arg);

/* ---- the emulator-storage invariant checker (see emu.c) ----
 *
 * The page-table storage is allocated like QEMU 2.3's (mmap(NULL) at
 * page_set_flags time).  At the entry and exit of every callback the
 * checker verifies that, under reserved_va, the guest window has no hole,
 * and that every block the emulator mapped is still mapped and intact.  On
 * by default in the C tests of the Rust library (IMPL_RUST; off with the
 * original mmap.c, which breaks it itself); EMU_CHECK=0/1 overrides.  EMU_HOSTILE=1: at each
 * page_set_flags the emulator maps blocks into the window's holes (and the
 * unmapped parts of live host pages), so a library leaving a hole destroys
 * emulator memory, as in the real QEMU.  A violation prints a line starting
 * "emu: INVARIANT VIOLATED" and aborts, or calls the handler if one is set. */
int emu_check_enabled(void);
void emu_check_enable(int on);
int emu_hostile_enabled(void);
void emu_hostile_enable(int on);
void emu_check_set_handler(void (*fn)(const char *msg));
/* run the checks now ("at <where>") */
void emu_check(const char *where);
/* number of checks run so far */
unsigned long emu_check_count(void);
/* number of storage blocks the emulator has mapped */
size_t emu_storage_blocks(void);
/* 1 if [lo, hi) (host) overlaps or touches a storage block the emulator
   holds or released (the last 4096): host mappings the emulator itself
   changed (the kernel merges and splits neighbouring anonymous mappings) */
int emu_storage_touches(unsigned long lo, unsigned long hi);

#endif /* EMU_H */
