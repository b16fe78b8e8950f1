# mk/matrix.mk: the configurations the tests run on, and their subsets. The one place
# that lists them: the top-level Makefile and the Makefiles under c-tests/ include this
# file; shell scripts ask make:
#
#     make -s --no-print-directory -f mk/matrix.mk print-configs   (from the repository root)
#     make -s --no-print-directory -f mk/matrix.mk print-MATRIX_LIBS
#
# A configuration is a target of targets.tsv, optionally with a suffix: -64k (the
# emulator's host page is 64 KiB: EMU_HOST_PAGE_SIZE=65536) or -noguestbase (built like
# QEMU's --disable-guest-base: build/<target>-noguestbase). Adds no default goal.

matrix_saved_goal := $(.DEFAULT_GOAL)

# The C test matrix (c-tests, c-tests/diff, c-tests/reliability).
MATRIX := x86_64 i386 arm alpha sparc32plus mips x86_64-64k arm-64k x86_64-noguestbase
# The library builds it needs (a -64k configuration reuses its target's library), by
# target (make lib TARGET=...) and by build directory (build/<name>).
MATRIX_LIBS := x86_64 i386 arm alpha sparc32plus mips
MATRIX_BUILDS := $(MATRIX_LIBS) x86_64-noguestbase
# The threads test (c-tests/reliability): the main geometries (4K, reserved, 8K pages, 64K pages).
THREAD_CONFIGS := x86_64 arm alpha x86_64-64k arm-64k
# Sanitizers (c-tests/reliability): configurations with a reserved guest space, clear of the
# sanitizers' own shadow memory and allocator (without reserved_va a 64-bit guest's space
# is the whole host space: see docs/RELIABILITY.md).
SAN_CONFIGS := arm i386 mips arm-64k
# The differential suite's mutation self-test (c-tests/diff/mutants.sh), by default.
MUTANT_CONFIGS := i386 arm-64k x86_64-64k alpha
# Targets whose header declarations are compiled next to QEMU's (make -C c-tests header-check).
HEADER_CHECK_TARGETS := x86_64 arm alpha sparc32plus m68k mipsn32

.PHONY: print-configs
print-configs:
	@echo $(MATRIX)
print-%:
	@echo $($*)

.DEFAULT_GOAL := $(matrix_saved_goal)
