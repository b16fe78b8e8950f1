# Reliability targets, included by the top-level Makefile.
#
# To wire them in, the top-level Makefile needs (after its `matrix-libs` rule):
#
#     include mk/reliability.mk
#
# and `check-reliability` in the prerequisites of `check` (it runs in about
# 45 s on 2 cores); optionally `check-sanitizers` and `fuzz-smoke` too (about
# 2 minutes and 1 minute plus the fuzz builds; they need clang, libclang-rt-14-dev and
# cargo-fuzz, see docs/RELIABILITY.md and .ci/run).
#
#   make check-reliability      bad-input matrix, fault injection, threads and
#                               fork, death tests: ours on the 9 configurations
#                               (must pass), then the original (recorded);
#                               writes c-tests/reliability/build/MATRIX.md
#   make check-sanitizers       the C tests and the reliability programs under
#                               ASan+UBSan, then TSan (clang from Debian)
#   make fuzz [FUZZ_SECONDS=600] [FUZZ_TARGET=ops] [FUZZ_QUM_TARGET=x86_64] [FUZZ_SANITIZER=none]
#                               cargo-fuzz, standalone mode, model-checked, debug
#                               assertions and overflow checks on
#   make fuzz-smoke             both fuzz targets (ops, ops_64k) for 15 s each on
#                               x86_64 and arm (bounded, for CI), seeded from the
#                               committed corpus; fails on any crash
#   make miri                   the pure-Rust unit tests under Miri, when a
#                               toolchain with Miri exists (skips loudly
#                               otherwise: stable 1.95 has none)

REL_DIR       := c-tests/reliability
FUZZ_DIR      := fuzz
FUZZ_SECONDS  ?= 600
FUZZ_TARGET   ?= ops
FUZZ_QUM_TARGET ?= x86_64
FUZZ_TARGETS  := ops ops_64k
FUZZ_SMOKE_TARGETS ?= ops ops_64k
FUZZ_SMOKE_SECONDS ?= 15
# cargo fuzz run/build flags: overflow checks and debug assertions (also set in
# fuzz/Cargo.toml's release profile), libFuzzer's default -O build otherwise
FUZZ_BUILD_FLAGS ?= --debug-assertions
# `make fuzz` only: FUZZ_SANITIZER=none runs about 2.5 times as many inputs per
# second as AddressSanitizer (the smoke run keeps ASan)
FUZZ_SANITIZER ?= address
FUZZ_SAN_DIR   = $(if $(filter address,$(FUZZ_SANITIZER)),,-$(FUZZ_SANITIZER))
# cargo-fuzz needs nightly flags (-Zsanitizer, sancov passes): on the stable
# toolchain they are unlocked with RUSTC_BOOTSTRAP=1 (see docs/RELIABILITY.md).
FUZZ_ENV      = RUSTC_BOOTSTRAP=1 QEMU_USER_MMAP_TARGET=$(1) CARGO_TARGET_DIR=$(CURDIR)/build/cargo/fuzz-$(1)$(2)
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
	cd $(FUZZ_DIR) && $(call FUZZ_ENV,$(FUZZ_QUM_TARGET),$(FUZZ_SAN_DIR)) cargo fuzz run $(FUZZ_BUILD_FLAGS) \
		-s $(FUZZ_SANITIZER) $(FUZZ_TARGET) corpus/$(FUZZ_TARGET) seeds/$(FUZZ_TARGET) -- \
		-max_total_time=$(FUZZ_SECONDS) -timeout=20 -print_final_stats=1

# bounded: FUZZ_SMOKE_SECONDS per fuzz target and guest target (4 runs); the
# corpus grows in build/, the committed seeds stay as they are. Fails on a crash,
# a timeout or out-of-memory (libFuzzer's exit status), or a run that executed
# fewer than 100 inputs (a broken build or harness).
fuzz-smoke: fuzz-check-tools
	@set -e; for t in x86_64 arm; do for f in $(FUZZ_SMOKE_TARGETS); do \
	  mkdir -p build/fuzz-corpus/$$t-$$f; log=build/fuzz-corpus/$$t-$$f.log; \
	  (cd $(FUZZ_DIR) && $(call FUZZ_ENV,$$t) cargo fuzz build $(FUZZ_BUILD_FLAGS) $$f) || exit 1; \
	  echo "=== fuzz-smoke $$f (QEMU_USER_MMAP_TARGET=$$t, $(FUZZ_SMOKE_SECONDS) s)"; \
	  if (cd $(FUZZ_DIR) && $(call FUZZ_ENV,$$t) cargo fuzz run $(FUZZ_BUILD_FLAGS) $$f \
	      ../build/fuzz-corpus/$$t-$$f seeds/$$f -- -max_total_time=$(FUZZ_SMOKE_SECONDS) -timeout=20 \
	      -print_final_stats=1) > $$log 2>&1; then \
	    grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' $$log; \
	    n=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	    if [ "$${n:-0}" -lt 100 ]; then \
	      echo "fuzz-smoke: $$f on $$t executed only $${n:-0} inputs (full log: $$log)"; exit 1; fi; \
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
	  echo "### The stable toolchain has no Miri component; see docs/RELIABILITY.md."; \
	  echo "##################################################################"; \
	fi
