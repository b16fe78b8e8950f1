# examples/demo/demo.mk -- build and run the demo (demo.c) against either
# implementation (the top-level `make run` builds it against the library for
# TARGET): a guest's start-up replayed on top of the mmap implementation, with
# the guest memory map after each step.
#
# It uses the variables of c-tests/Makefile (TARGET, TDEFS, CFLAGS_TEST,
# BUILD, HDRS, IMPL_OBJ, IMPL_LIBS, RUNENV, TSV), so read it after that file:
#
#   make -C c-tests -f Makefile -f ../examples/demo/demo.mk run-demo IMPL=rust CONFIG=x86_64
#   make -C c-tests -f Makefile -f ../examples/demo/demo.mk run-demo IMPL=rust CONFIG=arm-64k
#   make -C c-tests -f Makefile -f ../examples/demo/demo.mk run-demo IMPL=oracle CONFIG=arm
#
# or add `include ../examples/demo/demo.mk` at the end of c-tests/Makefile.  CONFIG and IMPL
# mean what they mean for `check` (a -64k CONFIG runs with
# EMU_HOST_PAGE_SIZE=65536).  DEMO_ARGS may name another host ELF file to
# load as the guest image (default: the demo binary itself).

DEMO := $(BUILD)/demo

# A guest with 8 KiB pages can only load an ELF whose file offsets are
# congruent to its addresses modulo 8 KiB: link the demo (its own default
# image) that way for those targets.
demo_comma := ,
DEMO_PAGE_BITS := $(shell awk -F'\t' -v t='$(TARGET)' '$$1 == t { print $$2 }' $(TSV))
DEMO_LDFLAGS := $(if $(filter 13,$(DEMO_PAGE_BITS)),-Wl$(demo_comma)-z$(demo_comma)max-page-size=0x2000,)

.PHONY: demo run-demo

demo: $(DEMO)

run-demo: $(DEMO)
	env $(RUNENV) $(DEMO) $(DEMO_ARGS)

$(BUILD)/demo.o: ../examples/demo/demo.c $(HDRS) | $(BUILD)/.dir
	$(CC) $(CFLAGS_TEST) $(TDEFS) -c $< -o $@

$(DEMO): $(BUILD)/demo.o $(BUILD)/emu.o $(IMPL_OBJ)
	$(CC) $(DEMO_LDFLAGS) -o $@ $< $(BUILD)/emu.o $(IMPL_OBJ) $(IMPL_LIBS)
