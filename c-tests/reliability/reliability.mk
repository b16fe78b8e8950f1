# Reliability targets (issue 6), for the top-level Makefile.
#
# To wire them in, the top-level Makefile needs (after its `matrix-libs` rule):
#
#     include c-tests/reliability/reliability.mk
#
# and `check-reliability` in the prerequisites of `check` (it runs in about
# 45 s on 2 cores); optionally `check-sanitizers` and `fuzz-smoke` too (about
# 2 minutes and 1 minute; they need clang, libclang-rt-14-dev and
# cargo-fuzz, see RELIABILITY.md and .ci/run).
#
#   make check-reliability      bad-input matrix, fault injection, threads and
#                               fork, death tests: ours on the 9 configurations
#                               (must pass), then the original (recorded);
#                               writes c-tests/reliability/build/MATRIX.md
#   make check-sanitizers       the C tests and the reliability programs under
#                               ASan+UBSan, then TSan (clang from Debian)
#   make fuzz [FUZZ_SECONDS=600] [FUZZ_TARGET=ops] [FUZZ_QUM_TARGET=x86_64]
#                               cargo-fuzz, standalone mode, model-checked
#   make fuzz-smoke             the smoke fuzz targets for 25 s each on x86_64 and arm
#                               (bounded, for CI), seeded from the corpus
#   make miri                   the pure-Rust unit tests under Miri, when a
#                               toolchain with Miri exists (skips loudly
#                               otherwise: stable 1.95 has none)

REL_DIR       := c-tests/reliability
FUZZ_DIR      := fuzz
FUZZ_SECONDS  ?= 600
FUZZ_TARGET   ?= ops
FUZZ_QUM_TARGET ?= x86_64
FUZZ_TARGETS  := ops ops_64k
# the smoke run: ops_64k finds the open 64 KiB-host-page bugs (B14-B16,
# RELIABILITY.md) within seconds; add it here once they are fixed
FUZZ_SMOKE_TARGETS ?= ops
# cargo-fuzz needs nightly flags (-Zsanitizer, sancov passes): on the stable
# toolchain they are unlocked with RUSTC_BOOTSTRAP=1 (see RELIABILITY.md).
FUZZ_ENV      = RUSTC_BOOTSTRAP=1 QEMU_USER_MMAP_TARGET=$(1) CARGO_TARGET_DIR=$(CURDIR)/build/cargo/fuzz-$(1)
MIRI_TOOLCHAIN ?= nightly

.PHONY: check-reliability check-sanitizers fuzz fuzz-smoke fuzz-check-tools miri

check-reliability: matrix-libs
	$(MAKE) -C $(REL_DIR) check-all

check-sanitizers: matrix-libs
	$(MAKE) -C $(REL_DIR) check-san-all

fuzz-check-tools:
	@command -v cargo-fuzz >/dev/null 2>&1 || { \
	  echo "fuzz: cargo-fuzz is missing: cargo install cargo-fuzz --locked"; exit 1; }

fuzz: fuzz-check-tools
	mkdir -p $(FUZZ_DIR)/corpus/$(FUZZ_TARGET)
	cd $(FUZZ_DIR) && $(call FUZZ_ENV,$(FUZZ_QUM_TARGET)) cargo fuzz run $(FUZZ_TARGET) \
		corpus/$(FUZZ_TARGET) seeds/$(FUZZ_TARGET) -- -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1

# bounded: 25 s per target and guest target; the corpus grows in build/, the
# committed seeds stay as they are
fuzz-smoke: fuzz-check-tools
	@set -e; for t in x86_64 arm; do for f in $(FUZZ_SMOKE_TARGETS); do \
	  mkdir -p build/fuzz-corpus/$$t-$$f; log=build/fuzz-corpus/$$t-$$f.log; \
	  echo "=== fuzz-smoke $$f (QEMU_USER_MMAP_TARGET=$$t, 25 s)"; \
	  if (cd $(FUZZ_DIR) && $(call FUZZ_ENV,$$t) cargo fuzz run $$f \
	      ../build/fuzz-corpus/$$t-$$f seeds/$$f -- -max_total_time=25 -print_final_stats=1) > $$log 2>&1; then \
	    grep -E 'stat::number_of_executed_units|stat::peak_rss' $$log; \
	  else \
	    grep -E -A30 'invariant violated|panicked|ERROR' $$log | head -60; \
	    echo "fuzz-smoke: $$f on $$t FAILED (full log: $$log; the crash input is in fuzz/artifacts/$$f/)"; exit 1; \
	  fi; \
	done; done; echo "fuzz-smoke: passed"

miri:
	@if cargo +$(MIRI_TOOLCHAIN) miri --version >/dev/null 2>&1; then \
	  echo "miri: $$(cargo +$(MIRI_TOOLCHAIN) miri --version)"; \
	  MIRIFLAGS="-Zmiri-disable-isolation" PROPTEST_CASES=4 cargo +$(MIRI_TOOLCHAIN) miri test \
	    --target-dir build/cargo/miri --lib -- guest:: standalone::tests || exit 1; \
	else \
	  echo "##################################################################"; \
	  echo "### SKIP: Miri is not available (cargo +$(MIRI_TOOLCHAIN) miri --version failed)."; \
	  echo "### The stable toolchain has no Miri component; see RELIABILITY.md."; \
	  echo "##################################################################"; \
	fi
