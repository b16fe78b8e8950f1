# qemu-user-mmap: build per guest target, test, install.
#
#   make                         library + header check + demo for TARGET (default x86_64)
#   make TARGET=arm              build/arm/libqemu_user_mmap.{a,so}
#   make TARGET=x86_64 GUEST_BASE=no   a --disable-guest-base build (build/x86_64-noguestbase)
#   make TARGET=arm PAGE_BITS=13 ...   explicit overrides (PAGE_BITS LONG_BITS ABI_BITS VIRT_BITS)
#   make run                     build and run the demo
#   make check                   cargo test + clippy + fmt + symbols + C tests on the matrix
#                                (+ the differential suite against ../shared/oracle when present)
#   make header                  regenerate include/qemu_user_mmap.h with cbindgen
#   make install PREFIX=/usr/local DESTDIR=
#
# Target parameters live in targets.tsv (read by build.rs and here).

TARGET     ?= x86_64
GUEST_BASE ?= yes
# `make TARGET_CONFIG=<QEMU build>/<target>-linux-user/config-target.mak`: the swap kit.
include mk/kit.mk
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR    ?=
CARGO      ?= cargo
CC         ?= gcc

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
SOVERSION := 0

OVERRIDES := $(if $(PAGE_BITS),-p$(PAGE_BITS))$(if $(LONG_BITS),-l$(LONG_BITS))$(if $(ABI_BITS),-a$(ABI_BITS))$(if $(VIRT_BITS),-v$(VIRT_BITS))
NAME       := $(TARGET)$(if $(filter no,$(GUEST_BASE)),-noguestbase)$(OVERRIDES)
BUILD_DIR  := build/$(NAME)
CARGO_DIR  := build/cargo/$(NAME)

# The environment build.rs reads.
BUILD_ENV := QEMU_USER_MMAP_TARGET=$(TARGET) QEMU_USER_MMAP_GUEST_BASE=$(GUEST_BASE) \
	QEMU_USER_MMAP_PAGE_BITS=$(PAGE_BITS) QEMU_USER_MMAP_LONG_BITS=$(LONG_BITS) \
	QEMU_USER_MMAP_ABI_BITS=$(ABI_BITS) QEMU_USER_MMAP_VIRT_BITS=$(VIRT_BITS)

# -D flags for C code built against this target (from targets.tsv, with the overrides).
TARGET_ROW := $(shell awk -F'\t' -v t='$(TARGET)' '$$1 == t { print $$2, $$3, $$4, $$5, $$6 }' targets.tsv)
ifeq ($(strip $(TARGET_ROW)),)
$(error unknown TARGET '$(TARGET)'; valid targets: $(shell awk -F'\t' '!/^#/ { printf "%s ", $$1 }' targets.tsv))
endif
T_PAGE_BITS := $(or $(PAGE_BITS),$(word 1,$(TARGET_ROW)))
T_LONG_BITS := $(or $(LONG_BITS),$(word 2,$(TARGET_ROW)))
T_ABI_BITS  := $(or $(ABI_BITS),$(word 3,$(TARGET_ROW)))
T_VIRT_BITS := $(or $(VIRT_BITS),$(word 4,$(TARGET_ROW)))
T_RESERVED  := $(word 5,$(TARGET_ROW))
TARGET_CFLAGS := -DTARGET_PAGE_BITS=$(T_PAGE_BITS) -DTARGET_LONG_BITS=$(T_LONG_BITS) \
	-DTARGET_ABI_BITS=$(T_ABI_BITS) -DTARGET_VIRT_ADDR_SPACE_BITS=$(T_VIRT_BITS) \
	-DDEFAULT_RESERVED_VA=$(T_RESERVED) $(if $(filter no,$(GUEST_BASE)),-DNO_GUEST_BASE) \
	$(if $(filter m68k,$(TARGET)),-DTARGET_M68K)

STATIC_LIB := $(BUILD_DIR)/libqemu_user_mmap.a
SHARED_LIB := $(BUILD_DIR)/libqemu_user_mmap.so
HEADER     := include/qemu_user_mmap.h
LINK_LIBS  := -lpthread -ldl -lm -lrt -lgcc_s -lc
RUST_SRC   := $(shell find src -name '*.rs') build.rs Cargo.toml targets.tsv

# The configurations of the C test matrix and their subsets (MATRIX, MATRIX_LIBS,
# MATRIX_BUILDS, ...; see docs/TESTING.md), and ORACLE_DIR, the original mmap.c.
include mk/matrix.mk
include mk/oracle.mk

.PHONY: all lib run demo check check-rust check-c check-diff check-symbols header header-check \
	install uninstall clean matrix-libs

all: lib header-check demo

lib: $(STATIC_LIB) $(SHARED_LIB)

$(STATIC_LIB) $(SHARED_LIB) &: $(RUST_SRC)
	$(BUILD_ENV) $(CARGO) build --release --lib --target-dir $(CARGO_DIR)
	mkdir -p $(BUILD_DIR)
	cp $(CARGO_DIR)/release/libqemu_user_mmap.a $(STATIC_LIB)
	cp $(CARGO_DIR)/release/libqemu_user_mmap.so $(SHARED_LIB)
	echo '$(TARGET_CFLAGS)' > $(BUILD_DIR)/cflags

# ---- demo ---------------------------------------------------------------
DEMO := $(BUILD_DIR)/demo
DEMO_SRC := examples/demo/demo.c c-tests/harness/emu.c
DEMO_HDR := c-tests/harness/emu.h c-tests/harness/qemu_style.h $(HEADER)
# The demo loads its own ELF image: on 8 KiB-page targets its segments must be 8 KiB aligned.
comma := ,
DEMO_LDFLAGS := $(if $(filter 13,$(T_PAGE_BITS)),-Wl$(comma)-z$(comma)max-page-size=0x2000)

demo: $(DEMO)

$(DEMO): $(DEMO_SRC) $(DEMO_HDR) $(STATIC_LIB)
	$(CC) -std=gnu99 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE $(TARGET_CFLAGS) -Ic-tests/harness -Iinclude \
		-o $@ $(DEMO_SRC) $(STATIC_LIB) $(LINK_LIBS) $(DEMO_LDFLAGS)

run: $(DEMO)
	./$(DEMO)

# ---- header -------------------------------------------------------------
header:
	UPDATE_HEADER=1 $(CARGO) test --test header

header-check:
	$(CARGO) test --quiet --test header

# ---- tests --------------------------------------------------------------
check: check-rust check-symbols check-c check-diff check-reliability check-sanitizers fuzz-smoke \
	qemu-stock-if-shared check-kit check-install check-preload check-qemu
	@echo "make check: all suites passed"

# The real QEMU 2.3.0 is built once (build/qemu/stock) for both check-kit and check-qemu.
check: export QEMU_STOCK = $(abspath $(QEMU_OUT)/stock)
.PHONY: qemu-stock-if-shared
qemu-stock-if-shared:
	@if [ -f $(QEMU_SHARED)/build-qemu.sh ]; then $(MAKE) --no-print-directory qemu-stock; fi

check-rust:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) test
	@for t in arm sparc32plus alpha; do \
		echo "== cargo test for $$t"; \
		QEMU_USER_MMAP_TARGET=$$t $(CARGO) test --target-dir build/cargo/test-$$t --quiet || exit 1; \
	done
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --quiet --features standalone

matrix-libs:
	@for t in $(MATRIX_LIBS); do $(MAKE) --no-print-directory lib TARGET=$$t || exit 1; done
	@$(MAKE) --no-print-directory lib TARGET=x86_64 GUEST_BASE=no

# Reliability (docs/RELIABILITY.md): check-reliability, check-sanitizers, fuzz, fuzz-smoke, miri.
include mk/reliability.mk

check-symbols: matrix-libs
	@for t in $(MATRIX_BUILDS); do \
		sh c-tests/check-symbols.sh build/$$t || exit 1; \
	done

check-c: matrix-libs
	$(MAKE) -C c-tests header-check
	$(MAKE) -C c-tests check-all IMPL=rust
	$(MAKE) -C c-tests check-all IMPL=oracle
	@for t in x86_64 arm; do $(MAKE) --no-print-directory demo TARGET=$$t && ./build/$$t/demo > /dev/null || exit 1; done
	EMU_HOST_PAGE_SIZE=65536 ./build/x86_64/demo > /dev/null

check-diff: matrix-libs
	@if [ -f c-tests/diff/Makefile ]; then $(MAKE) -C c-tests/diff check-all; \
	else echo "check-diff: no differential suite yet"; fi

# ---- the LD_PRELOAD tool (make preload, run-preload PROG=..., check-preload) ----
include mk/preload.mk

# ---- real guest programs under the real QEMU 2.3.0 (check-qemu; docs/real-qemu.md) ----
include mk/qemu.mk

# ---- install ------------------------------------------------------------
install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/libqemu_user_mmap.a
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/libqemu_user_mmap.so.$(VERSION)
	ln -sf libqemu_user_mmap.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libqemu_user_mmap.so.$(SOVERSION)
	ln -sf libqemu_user_mmap.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libqemu_user_mmap.so
	install -m 644 $(HEADER) $(DESTDIR)$(INCLUDEDIR)/qemu_user_mmap.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' -e 's|@TARGET@|$(NAME)|' \
		-e 's|@CFLAGS@|-DTARGET_ABI_BITS=$(T_ABI_BITS) -DTARGET_LONG_BITS=$(T_LONG_BITS)|' \
		-e 's|@LIBS_PRIVATE@|$(LINK_LIBS)|' \
		qemu-user-mmap.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/qemu-user-mmap.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libqemu_user_mmap.a $(DESTDIR)$(LIBDIR)/libqemu_user_mmap.so* \
		$(DESTDIR)$(INCLUDEDIR)/qemu_user_mmap.h $(DESTDIR)$(LIBDIR)/pkgconfig/qemu-user-mmap.pc

clean:
	rm -rf build target
	$(MAKE) -C c-tests clean

# ---- benchmarks (docs/BENCHMARKS.md) -------------------------------------------
.PHONY: bench bench-quick
bench bench-quick:
	$(MAKE) --no-print-directory lib TARGET=x86_64
	$(MAKE) --no-print-directory lib TARGET=arm
	$(MAKE) -C benches $@
	$(if $(filter bench,$@),@$(MAKE) --no-print-directory bench-qemu-if-built)
