# mk/kit.mk: `make TARGET_CONFIG=<QEMU build>/<target>-linux-user/config-target.mak`,
# the swap-kit test (check-kit) and the packaging test (check-install).
#
# Included from the top-level Makefile right after the line `GUEST_BASE ?= yes` (it must
# come before TARGET is used to compute NAME and TARGET_ROW); `check` runs check-kit and
# check-install:
#
#     GUEST_BASE ?= yes
#     include mk/kit.mk
#     ...
#     check: ... check-kit check-install
#
# It adds no default goal.
#
#   make TARGET_CONFIG=path/to/config-target.mak [lib|demo|install|...]
#       takes TARGET from the file's TARGET_NAME and GUEST_BASE from CONFIG_USE_GUEST_BASE,
#       after checking CONFIG_LINUX_USER=y, that the target has a preset, and that
#       TARGET_ABI32 agrees with the preset (QEMU 2.3's configure writes TARGET_ABI32=y for
#       mipsn32, mipsn32el, ppc64abi32 and sparc32plus only). A TARGET or GUEST_BASE given
#       on the command line as well must agree.
#   make kit-print-target [TARGET_CONFIG=...]   prints "TARGET=... GUEST_BASE=..."
#   make check-kit      the QEMU-style tree in c-tests/qemu-kit/qemu-2.3-mini: configure,
#                       build each target with C mmap.o, then with qemu-user-mmap.mk, and
#                       prove the second link took the library (c-tests/qemu-kit/run_kit.sh);
#                       then, when ../shared/qemu-2.3.0 is there (skipped loudly otherwise),
#                       the real QEMU 2.3.0 (c-tests/qemu-kit/run_real_kit.sh; QEMU_STOCK=
#                       a build-qemu.sh output for i386, arm, x86_64 to reuse one)
#   make check-install  make install into a temporary prefix, then pkg-config --cflags
#                       --libs qemu-user-mmap, and compile, link (static and shared) and run a
#                       program against the installed library (c-tests/install/check_install.sh)

kit_saved_goal := $(.DEFAULT_GOAL)

ifdef TARGET_CONFIG
ifeq ($(wildcard $(TARGET_CONFIG)),)
$(error TARGET_CONFIG=$(TARGET_CONFIG): no such file)
endif
kit_cfg_name   := $(shell sed -n 's/^TARGET_NAME=//p' '$(TARGET_CONFIG)' | tail -n 1)
kit_cfg_user   := $(shell grep -c '^CONFIG_LINUX_USER=y' '$(TARGET_CONFIG)')
kit_cfg_abi32  := $(shell grep -c '^TARGET_ABI32=y' '$(TARGET_CONFIG)')
kit_cfg_gbase  := $(if $(filter 0,$(shell grep -c '^CONFIG_USE_GUEST_BASE=y' '$(TARGET_CONFIG)')),no,yes)
ifeq ($(kit_cfg_name),)
$(error TARGET_CONFIG=$(TARGET_CONFIG): no TARGET_NAME= line (not a QEMU config-target.mak?))
endif
ifeq ($(kit_cfg_user),0)
$(error TARGET_CONFIG=$(TARGET_CONFIG): $(kit_cfg_name) is not a linux-user target (no CONFIG_LINUX_USER=y))
endif
kit_cfg_row := $(shell awk -F'\t' -v t='$(kit_cfg_name)' '$$1 == t { print $$3, $$4 }' targets.tsv)
ifeq ($(kit_cfg_row),)
$(error TARGET_CONFIG=$(TARGET_CONFIG): no preset for target '$(kit_cfg_name)'; valid targets: $(shell awk -F'\t' '!/^#/ { printf "%s ", $$1 }' targets.tsv))
endif
ifneq ($(if $(filter 0,$(kit_cfg_abi32)),$(word 1,$(kit_cfg_row)),32),$(word 2,$(kit_cfg_row)))
$(error TARGET_CONFIG=$(TARGET_CONFIG): TARGET_ABI32 does not match the $(kit_cfg_name) preset's $(word 2,$(kit_cfg_row))-bit abi_ulong)
endif
ifeq ($(origin TARGET),command line)
ifneq ($(TARGET),$(kit_cfg_name))
$(error TARGET=$(TARGET) disagrees with TARGET_CONFIG ($(kit_cfg_name)))
endif
endif
ifeq ($(origin GUEST_BASE),command line)
ifneq ($(GUEST_BASE),$(kit_cfg_gbase))
$(error GUEST_BASE=$(GUEST_BASE) disagrees with TARGET_CONFIG (CONFIG_USE_GUEST_BASE: $(kit_cfg_gbase)))
endif
endif
TARGET     := $(kit_cfg_name)
GUEST_BASE := $(kit_cfg_gbase)
endif

.PHONY: kit-print-target check-kit check-install

kit-print-target:
	@echo "TARGET=$(TARGET) GUEST_BASE=$(GUEST_BASE)"

check-kit:
	timeout 1800 bash c-tests/qemu-kit/run_kit.sh
	timeout 3600 nice bash c-tests/qemu-kit/run_real_kit.sh

check-install:
	timeout 600 bash c-tests/install/check_install.sh

.DEFAULT_GOAL := $(kit_saved_goal)
