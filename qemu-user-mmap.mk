# qemu-user-mmap.mk: link qemu-user-mmap into a QEMU 2.3 linux-user target instead of
# linux-user/mmap.o. No QEMU source file changes; one line per target build directory.
#
# Use (in QEMU 2.3's build directory, after ./configure, before or after a first build):
#
#     echo 'include /path/to/qemu-user-mmap/qemu-user-mmap.mk' >> arm-linux-user/config-target.mak
#     make
#
# (configure rewrites config-target.mak: add the line again after each configure. Without
# the line, the next make compiles mmap.c again and relinks.)
#
# What it does, when QEMU's Makefile.target reads config-target.mak:
#   * takes the target from the lines above it (TARGET_NAME, TARGET_ABI32,
#     CONFIG_LINUX_USER, CONFIG_USE_GUEST_BASE) and checks them against the preset in
#     targets.tsv (an unknown target or an ABI mismatch stops the build);
#   * builds the library for that target when it is missing or older than its sources
#     (`make -C <this directory> lib TARGET=<name> GUEST_BASE=yes|no`: needs cargo), in
#     <this directory>/build/<name>/ whatever variables QEMU passes to its sub-makes;
#   * replaces the object linux-user/mmap.o by a GNU ld script of the same name that pulls
#     in build/<name>/libqemu_user_mmap.a, so the link of qemu-<name> takes the library's
#     members and mmap.c is not compiled. An mmap.o that is not this script (compiled from
#     mmap.c by an earlier build, whatever its age, or a script for another library path)
#     is replaced on the next make; once replaced, a second make relinks nothing;
#   * adds to LIBS the libraries the Rust code needs, and a link-time guard: the link of
#     qemu-<name> fails ("required symbol `qemu_user_mmap_mk_replaced_mmap_o' not
#     defined") if the object linked as linux-user/mmap.o is not this script.
# Nothing else in QEMU's build changes, and this file adds no default goal.
#
# Variables: QEMU_USER_MMAP_DIR (default: the directory of this file).

qum_saved_goal := $(.DEFAULT_GOAL)
# Taken now: MAKEFILE_LIST grows as QEMU reads its other makefiles after this one.
qum_this_dir := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
QEMU_USER_MMAP_DIR ?= $(qum_this_dir)
qum_dir := $(abspath $(QEMU_USER_MMAP_DIR))

ifneq ($(words $(wildcard $(qum_dir)/targets.tsv $(qum_dir)/Makefile)),2)
$(error qemu-user-mmap.mk: $(qum_dir) is not a qemu-user-mmap checkout (no targets.tsv, Makefile))
endif
ifeq ($(strip $(TARGET_NAME)),)
$(error qemu-user-mmap.mk: include it from a target's config-target.mak, after TARGET_NAME)
endif
ifneq ($(CONFIG_LINUX_USER),y)
$(error qemu-user-mmap.mk: $(TARGET_NAME) is not a linux-user target (no CONFIG_LINUX_USER=y))
endif

qum_row := $(shell awk -F'\t' -v t='$(TARGET_NAME)' '$$1 == t { print $$2, $$3, $$4 }' $(qum_dir)/targets.tsv)
ifeq ($(strip $(qum_row)),)
$(error qemu-user-mmap.mk: no preset for target '$(TARGET_NAME)' in $(qum_dir)/targets.tsv)
endif
qum_abi_bits := $(word 3,$(qum_row))
ifneq ($(if $(filter y,$(TARGET_ABI32)),32,$(word 2,$(qum_row))),$(qum_abi_bits))
$(error qemu-user-mmap.mk: $(TARGET_NAME): TARGET_ABI32='$(TARGET_ABI32)' disagrees with the preset's $(qum_abi_bits)-bit abi_ulong)
endif

qemu_user_mmap_mk_included := yes
QEMU_USER_MMAP_GUEST_BASE := $(if $(filter y,$(CONFIG_USE_GUEST_BASE)),yes,no)
QEMU_USER_MMAP_NAME := $(TARGET_NAME)$(if $(filter no,$(QEMU_USER_MMAP_GUEST_BASE)),-noguestbase)
QEMU_USER_MMAP_LIB := $(qum_dir)/build/$(QEMU_USER_MMAP_NAME)/libqemu_user_mmap.a
qum_sources := $(shell find $(qum_dir)/src -name '*.rs') \
	$(addprefix $(qum_dir)/,build.rs Cargo.toml targets.tsv)
# What mmap.o exports (CONTRACT.md section 1): the linker script asks for all of them.
qum_exports := target_mmap target_munmap target_mprotect target_mremap target_msync \
	mmap_find_vma mmap_lock mmap_unlock mmap_fork_start mmap_fork_end mmap_next_start last_brk
# Defined by the linker script only: the guard below requires it.
qum_guard := qemu_user_mmap_mk_replaced_mmap_o
qum_mmap_o := linux-user/mmap.o
qum_input := INPUT($(QEMU_USER_MMAP_LIB))

# The Rust standard library's own needs (libgcc_s for unwinding, libdl on older glibc),
# and the guard: no link of this target without the script as linux-user/mmap.o.
LIBS += -lpthread -ldl -lrt -lm -lgcc_s -Wl,--require-defined=$(qum_guard)

# QEMU runs every target's make with BUILD_DIR=... TARGET_DIR=... V=... on the command
# line; make would hand them down to the library's make as command-line variables too
# (through MAKEFLAGS), where BUILD_DIR would override the library's own. Not passed on.
$(QEMU_USER_MMAP_LIB): MAKEOVERRIDES :=
$(QEMU_USER_MMAP_LIB): $(qum_sources)
	+$(MAKE) --no-print-directory -C $(qum_dir) lib TARGET=$(TARGET_NAME) \
		GUEST_BASE=$(QEMU_USER_MMAP_GUEST_BASE)
	@test -f $@ || { echo "qemu-user-mmap.mk: $@ was not built" >&2; exit 1; }

# An mmap.o that is not this script (the object of an earlier build from mmap.c, newer than
# the library or not) is replaced now, whatever its age.
ifneq ($(shell grep -qsF '$(qum_input)' $(qum_mmap_o) && echo ours),ours)
$(qum_mmap_o): qum-replace-mmap-o
endif
.PHONY: qum-replace-mmap-o
qum-replace-mmap-o: ;

# An explicit rule beats QEMU's `%.o: %.c`, so linux-user/mmap.c is not compiled.
# linux-user/mmap.d (QEMU's makefiles read every linux-user/*.d) takes the place of the
# compiler's dependency file: once this file is no longer included (the line removed, or
# config-target.mak rewritten by configure), it makes the script out of date, so QEMU
# compiles mmap.c again and relinks.
$(qum_mmap_o): $(QEMU_USER_MMAP_LIB)
	@mkdir -p $(@D)
	@printf '%s\n' \
		'# linux-user/mmap.d: from qemu-user-mmap.mk, for its linker script linux-user/mmap.o.' \
		'ifneq ($$(qemu_user_mmap_mk_included),yes)' \
		'$@: qum-kit-not-included' \
		'.PHONY: qum-kit-not-included' \
		'qum-kit-not-included: ;' \
		'endif' > $(@D)/mmap.d
	@printf '%s\n' \
		'/* linux-user/mmap.o: a GNU ld script from qemu-user-mmap.mk, not an object. */' \
		'/* The link takes qemu-user-mmap ($(QEMU_USER_MMAP_NAME)) instead of mmap.c. */' \
		'$(qum_guard) = 1;' \
		'EXTERN($(qum_exports))' \
		'$(qum_input)' > $@
	@echo "  GEN   $(TARGET_DIR)$@ (qemu-user-mmap: $(QEMU_USER_MMAP_LIB))"

.DEFAULT_GOAL := $(qum_saved_goal)
