# mk/oracle.mk: where the original QEMU 2.3 mmap.c is (the oracle the C tests, the
# differential and reliability suites and the benchmarks compile at test time; never
# copied into this repository). The one place that names its path. Included by the
# top-level Makefile and by the Makefiles under c-tests/ and benches/; shell scripts ask
# make (from the repository root):
#
#     make -s --no-print-directory -f mk/oracle.mk print-oracle-dir   (an absolute path)
#
# ORACLE_DIR (command line or environment): the directory holding mmap.c, absolute or
# relative to the repository root; default ../shared/oracle, beside the repository.
# Whatever directory make runs in, ORACLE_DIR is then rewritten as the path from there
# to that directory (relative when it is beside the repository, as the default is: the
# path compiler messages quote), and sub-makes get it as ORACLE_DIR_ABS (absolute;
# internal). DIFF_ORACLE, the older name the differential scripts read, is still honoured
# when ORACLE_DIR is not set. Adds no default goal.

oracle_saved_goal := $(.DEFAULT_GOAL)
oracle_root := $(patsubst %/mk/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

oracle_from_root = $(abspath $(if $(filter /%,$(1)),$(1),$(oracle_root)/$(1)))
ifeq ($(origin ORACLE_DIR),command line)
oracle_abs := $(call oracle_from_root,$(ORACLE_DIR))
else ifneq ($(ORACLE_DIR_ABS),)
# set by a make above this one (a sub-make whose working directory differs)
oracle_abs := $(ORACLE_DIR_ABS)
else
oracle_abs := $(call oracle_from_root,$(or $(ORACLE_DIR),$(DIFF_ORACLE),../shared/oracle))
endif
# relative from here when it lies beside the repository (as the default does), else absolute
oracle_parent := $(patsubst %/,%,$(dir $(oracle_root)))
override ORACLE_DIR := $(if $(filter $(oracle_parent)/%,$(oracle_abs)),$(shell realpath -m --relative-to='$(CURDIR)' '$(oracle_abs)'),$(oracle_abs))
unexport ORACLE_DIR
export ORACLE_DIR_ABS := $(oracle_abs)

.PHONY: print-oracle-dir
print-oracle-dir:
	@echo $(oracle_abs)

.DEFAULT_GOAL := $(oracle_saved_goal)
