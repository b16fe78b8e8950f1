# qemu-user-mmap.mk: link qemu-user-mmap into a QEMU 2.3 linux-user target instead of
# linux-user/mmap.o. No QEMU source file changes; one line per target build directory.
#
# Use (from QEMU 2.3's build directory, after ./configure):
#
#     echo 'include /path/to/qemu-user-mmap/qemu-user-mmap.mk' >> arm-linux-user/config-target.mak
#     make
#
# (configure rewrites config-target.mak: add the line again after each configure.)
#
# What it does, when QEMU's Makefile.target reads config-target.mak:
#   * takes the target from the lines above it (TARGET_NAME, TARGET_ABI32,
#     CONFIG_LINUX_USER, CONFIG_USE_GUEST_BASE) and checks them against the preset in
#     targets.tsv (an unknown target or an ABI mismatch stops the build);
#   * builds the library for that target when it is missing or older than its sources
#     (`make -C <this directory> lib TARGET=<name> GUEST_BASE=yes|no`: needs cargo);
#   * replaces the object linux-user/mmap.o by a linker script of the same name that pulls
#     in build/<name>/libqemu_user_mmap.a, so mmap.c is never compiled and the link of
#     qemu-<name> takes the library's members instead;
#   * adds the libraries the Rust code needs at link time to LIBS.
# Nothing else in QEMU's build changes, and this file adds no default goal.
#
# Variables: QEMU_USER_MMAP_DIR (default: the directory of this file).

qum_saved_goal := $(.DEFAULT_GOAL)
QEMU_USER_MMAP_DIR ?= $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

ifeq ($(strip $(TARGET_NAME)),)
$(error qemu-user-mmap.mk: include it from a target's config-target.mak, after TARGET_NAME)
endif
ifneq ($(CONFIG_LINUX_USER),y)
$(error qemu-user-mmap.mk: $(TARGET_NAME) is not a linux-user target (no CONFIG_LINUX_USER=y))
endif

qum_row := $(shell awk -F'\t' -v t='$(TARGET_NAME)' '$$1 == t { print $$2, $$3, $$4 }' $(QEMU_USER_MMAP_DIR)/targets.tsv)
ifeq ($(strip $(qum_row)),)
$(error qemu-user-mmap.mk: no preset for target '$(TARGET_NAME)' in $(QEMU_USER_MMAP_DIR)/targets.tsv)
endif
qum_abi_bits := $(word 3,$(qum_row))
ifneq ($(if $(filter y,$(TARGET_ABI32)),32,$(word 2,$(qum_row))),$(qum_abi_bits))
$(error qemu-user-mmap.mk: $(TARGET_NAME): TARGET_ABI32='$(TARGET_ABI32)' disagrees with the preset's $(qum_abi_bits)-bit abi_ulong)
endif

QEMU_USER_MMAP_GUEST_BASE := $(if $(filter y,$(CONFIG_USE_GUEST_BASE)),yes,no)
QEMU_USER_MMAP_NAME := $(TARGET_NAME)$(if $(filter no,$(QEMU_USER_MMAP_GUEST_BASE)),-noguestbase)
QEMU_USER_MMAP_LIB := $(QEMU_USER_MMAP_DIR)/build/$(QEMU_USER_MMAP_NAME)/libqemu_user_mmap.a
qum_sources := $(shell find $(QEMU_USER_MMAP_DIR)/src -name '*.rs') \
	$(addprefix $(QEMU_USER_MMAP_DIR)/,build.rs Cargo.toml targets.tsv)
# What mmap.o exports (CONTRACT.md section 1): the linker script asks for all of them.
qum_exports := target_mmap target_munmap target_mprotect target_mremap target_msync \
	mmap_find_vma mmap_lock mmap_unlock mmap_fork_start mmap_fork_end mmap_next_start last_brk

# The Rust standard library's own needs (libgcc_s for unwinding, libdl on older glibc).
LIBS += -lpthread -ldl -lrt -lm -lgcc_s

$(QEMU_USER_MMAP_LIB): $(qum_sources)
	+$(MAKE) --no-print-directory -C $(QEMU_USER_MMAP_DIR) lib TARGET=$(TARGET_NAME) \
		GUEST_BASE=$(QEMU_USER_MMAP_GUEST_BASE)

# An explicit rule beats QEMU's `%.o: %.c`, so linux-user/mmap.c is not compiled.
linux-user/mmap.o: $(QEMU_USER_MMAP_LIB)
	@mkdir -p $(@D)
	@rm -f $(@D)/mmap.d
	@printf '%s\n' \
		'/* linux-user/mmap.o: a GNU ld script from qemu-user-mmap.mk, not an object. */' \
		'/* The link takes qemu-user-mmap ($(QEMU_USER_MMAP_NAME)) instead of mmap.c. */' \
		'EXTERN($(qum_exports))' \
		'INPUT($(QEMU_USER_MMAP_LIB))' > $@
	@echo "  GEN   $(TARGET_DIR)$@ (qemu-user-mmap: $(QEMU_USER_MMAP_LIB))"

.DEFAULT_GOAL := $(qum_saved_goal)
