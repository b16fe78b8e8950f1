# mk/preload.mk: the LD_PRELOAD tool (sources in tools/preload/) and its tests (c-tests/preload/:
# t_preload.c and the real-program runs).
#
# Included from the top-level Makefile (anywhere; it does not change the default goal),
# whose `check` runs `check-preload`:
#
#     include mk/preload.mk
#     check: ... check-preload
#
# Targets:
#   make preload                          build/preload/libqemu_user_mmap_preload.so
#   make run-preload PROG="ls -l /"       run a program under the tool
#   make run-preload PROG="..." PAGESIZE=65536    ... with 64 KiB host pages (QEMU's -p)
#   make check-preload                    the tool's own tests, then real programs (python3,
#                                         gcc, git, sqlite3, java + javac, node), each
#                                         compared with its output without the tool, on 4 KiB
#                                         and 64 KiB host pages, each required to have routed
#                                         calls through the library
#
# Needs (Debian packages): gcc make coreutils python3 git sqlite3 (and the Rust toolchain);
# optional, reported as SKIP when missing: openjdk-17-jdk-headless (java, javac), nodejs.
# Environment of the tool: QEMU_USER_MMAP_PAGESIZE, QEMU_USER_MMAP_PRELOAD_STATS (call
# counts appended at exit), QEMU_USER_MMAP_PRELOAD_LOG (one line per call), see tools/preload/preload.c.
# Variables: CARGO, CC (as in the top-level Makefile), PRELOAD_TIMEOUT (seconds per program
# run, default 300), PRELOAD_PAGESIZES (default "4096 65536").
#
# The tool is built for the host's own architecture as the guest (x86_64 on x86_64,
# aarch64 on aarch64, ...): the process is its own guest, with guest base 0 and no
# reserved guest space. Its library is built with the `preload` cargo feature (standalone
# emulator side + raw system calls) in its own cargo target directory.

PRELOAD_SAVED_GOAL := $(.DEFAULT_GOAL)

CARGO ?= cargo
CC    ?= gcc

PRELOAD_HOST_ARCH := $(shell uname -m)
PRELOAD_TARGET    := $(or $(filter x86_64 aarch64 ppc64le s390x,$(PRELOAD_HOST_ARCH)),unsupported)
PRELOAD_ROW       := $(shell awk -F'\t' -v t='$(PRELOAD_TARGET)' '$$1 == t { print $$2, $$5 }' targets.tsv)
PRELOAD_DIR       := build/preload
PRELOAD_CARGO_DIR := build/cargo/preload
PRELOAD_SO        := $(PRELOAD_DIR)/libqemu_user_mmap_preload.so
PRELOAD_CARGO_A   := $(PRELOAD_CARGO_DIR)/release/libqemu_user_mmap.a
PRELOAD_LIB_A     := $(PRELOAD_DIR)/libqemu_user_mmap_tool.a
OBJCOPY           ?= objcopy
PRELOAD_SRC       := tools/preload/preload.c tools/preload/preload.map
PRELOAD_RUST_SRC  := $(shell find src -name '*.rs') build.rs Cargo.toml targets.tsv
PRELOAD_TIMEOUT   ?= 300
PRELOAD_PAGESIZES ?= 4096 65536
PRELOAD_CFLAGS    := -std=gnu99 -O2 -g -Wall -Wextra -Werror -fPIC \
	-DTARGET_PAGE_BITS=$(word 1,$(PRELOAD_ROW)) -DTARGET_VIRT_ADDR_SPACE_BITS=$(word 2,$(PRELOAD_ROW))

.PHONY: preload run-preload check-preload check-preload-unit check-preload-real

preload: $(PRELOAD_SO)

$(PRELOAD_CARGO_A): $(PRELOAD_RUST_SRC)
	@if [ '$(PRELOAD_TARGET)' = unsupported ]; then \
		echo "preload: host architecture $(PRELOAD_HOST_ARCH) has no 64-bit preset" >&2; exit 1; fi
	QEMU_USER_MMAP_TARGET=$(PRELOAD_TARGET) QEMU_USER_MMAP_GUEST_BASE=yes \
		$(CARGO) build --release --lib --features preload --target-dir $(PRELOAD_CARGO_DIR)
	@touch $@

# The library's host calls (syscall(2) with the raw-syscalls feature) go through the tool's
# qum_host_syscall (tools/preload/preload.c says why); the build fails if no reference was renamed.
$(PRELOAD_LIB_A): $(PRELOAD_CARGO_A)
	mkdir -p $(PRELOAD_DIR)
	$(OBJCOPY) --redefine-sym syscall=qum_host_syscall $< $@.tmp
	@if readelf -sW $@.tmp 2>/dev/null | awk '$$7 == "UND" && $$8 == "syscall"' | grep -q .; then \
		echo "preload: a reference to syscall was left in $@" >&2; rm -f $@.tmp; exit 1; fi
	@if ! readelf -sW $@.tmp 2>/dev/null | awk '$$7 == "UND" && $$8 == "qum_host_syscall"' | grep -q .; then \
		echo "preload: the library makes no syscall(2) call: is raw-syscalls on?" >&2; rm -f $@.tmp; exit 1; fi
	mv $@.tmp $@

$(PRELOAD_SO): $(PRELOAD_SRC) $(PRELOAD_LIB_A)
	mkdir -p $(PRELOAD_DIR)
	$(CC) $(PRELOAD_CFLAGS) -shared -o $@ tools/preload/preload.c $(PRELOAD_LIB_A) \
		-Wl,--version-script=tools/preload/preload.map -Wl,-z,defs \
		-lpthread -ldl -lm -lrt -lgcc_s -lc
	@# The tool must export exactly the six interposed functions.
	@exp=$$(nm -D --defined-only $@ | awk '$$2 ~ /^[TWiV]$$/ { print $$3 }' | sed 's/@.*//' | sort | tr '\n' ' '); \
	if [ "$$exp" != "mmap mmap64 mprotect mremap msync munmap " ]; then \
		echo "preload: unexpected exports: $$exp" >&2; rm -f $@; exit 1; fi

run-preload: $(PRELOAD_SO)
	@if [ -z '$(PROG)' ]; then echo 'usage: make run-preload PROG="command args" [PAGESIZE=65536]' >&2; exit 2; fi
	QEMU_USER_MMAP_PAGESIZE=$(PAGESIZE) LD_PRELOAD=$(abspath $(PRELOAD_SO)) $(PROG)

check-preload: check-preload-unit check-preload-real

check-preload-unit: $(PRELOAD_SO)
	$(CC) -std=gnu99 -O1 -g -Wall -Wextra -Werror -pthread \
		-o $(PRELOAD_DIR)/t_preload c-tests/preload/t_preload.c
	@for ps in $(PRELOAD_PAGESIZES); do \
		echo "== t_preload, host page $$ps"; \
		QEMU_USER_MMAP_PAGESIZE=$$ps LD_PRELOAD=$(abspath $(PRELOAD_SO)) \
			timeout 120 ./$(PRELOAD_DIR)/t_preload || exit 1; \
	done

check-preload-real: $(PRELOAD_SO)
	PRELOAD_SO=$(abspath $(PRELOAD_SO)) PRELOAD_TIMEOUT=$(PRELOAD_TIMEOUT) \
		PRELOAD_PAGESIZES='$(PRELOAD_PAGESIZES)' CC=$(CC) \
		timeout 3600 bash c-tests/preload/run_real.sh $(abspath $(PRELOAD_DIR))/real

.DEFAULT_GOAL := $(PRELOAD_SAVED_GOAL)
