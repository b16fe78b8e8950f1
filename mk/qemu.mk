# mk/qemu.mk: real guest programs under the real QEMU 2.3.0, stock and with
# qemu-user-mmap swapped in (docs/real-qemu.md). Included from the top-level Makefile;
# adds no default goal.
#
#   make check-qemu     everything below, in order; skipped (loudly, exit 0) when
#                       ../shared/qemu-2.3.0 is absent
#   make qemu-stock     build the stock QEMU 2.3.0 (i386, arm, x86_64) with build-qemu.sh
#                       into $(QEMU_OUT)/stock (kept; a later make only checks it)
#   make qemu-ours      $(QEMU_OUT)/ours: a copy of the stock tree with the library swapped
#                       in as README.md says (tools/qemu-swap/real_swap.sh)
#   make qemu-prepare   sysroots, guest programs, data (c-tests/qemu/prepare.sh)
#   make qemu-run       the suite (c-tests/qemu/run.sh); writes $(QEMU_OUT)/results.tsv and,
#                       for a full run, the table of docs/real-qemu.md
#   make bench-qemu     guest timings and emulator memory, stock against ours
#                       (benches/qemu/run.py, ~25 min): rewrites the qemu-guest section of
#                       docs/BENCHMARKS.md, benches/qemu/results.json and plot.svg; skipped
#                       (loudly, exit 0) without a stock build and without $(QEMU_SHARED).
#                       QEMU_BENCH_ROUNDS (7), QEMU_BENCH_TARGETS, QEMU_BENCH_WORKLOADS
#                       (comma-separated) narrow it. `make bench` runs it when a stock
#                       build is already there (bench-qemu-if-built).
#
# Variables: QEMU_SHARED (../shared/qemu-2.3.0), QEMU_OUT (build/qemu), QEMU_STOCK (a
# build-qemu.sh output to use instead of building $(QEMU_OUT)/stock); run.sh reads
# QEMU_TESTS, QEMU_TARGETS (subsets: the doc is then left alone), QEMU_JOBS,
# QEMU_OURS_RUNS, QEMU_OURS_TIMEOUT, QEMU_STOCK_TIMEOUT.

qemu_saved_goal := $(.DEFAULT_GOAL)

QEMU_SHARED ?= ../shared/qemu-2.3.0
QEMU_OUT    ?= build/qemu
QEMU_STOCK  ?= $(QEMU_OUT)/stock
QEMU_DOC    := docs/real-qemu.md

.PHONY: check-qemu qemu-stock qemu-ours qemu-prepare qemu-run bench-qemu bench-qemu-if-built

check-qemu:
	@if [ ! -f $(QEMU_SHARED)/build-qemu.sh ] || [ ! -f $(QEMU_SHARED)/qemu-2.3.0.tar.xz ]; then \
		echo "check-qemu: SKIPPED: no real QEMU 2.3.0 at $(QEMU_SHARED) (build-qemu.sh and qemu-2.3.0.tar.xz);"; \
		echo "check-qemu: SKIPPED: the real-QEMU guest suite did not run"; \
		exit 0; \
	fi; \
	t0=$$(date +%s); \
	$(MAKE) --no-print-directory qemu-stock && t1=$$(date +%s) && \
	$(MAKE) --no-print-directory qemu-ours && t2=$$(date +%s) && \
	$(MAKE) --no-print-directory qemu-prepare && t3=$$(date +%s) && \
	{ $(MAKE) --no-print-directory qemu-run; st=$$?; t4=$$(date +%s); \
	  echo "check-qemu: times: stock build $$((t1 - t0)) s, swap $$((t2 - t1)) s, prepare $$((t3 - t2)) s, runs $$((t4 - t3)) s, total $$((t4 - t0)) s"; \
	  exit $$st; }

qemu-stock:
	@if [ -x $(QEMU_STOCK)/build/i386-linux-user/qemu-i386 ] && [ -x $(QEMU_STOCK)/build/arm-linux-user/qemu-arm ] \
		&& [ -x $(QEMU_STOCK)/build/x86_64-linux-user/qemu-x86_64 ]; then \
		echo "qemu-stock: using $(QEMU_STOCK)"; \
	else \
		echo "qemu-stock: building QEMU 2.3.0 into $(QEMU_STOCK) (build-qemu.sh)"; \
		bash $(QEMU_SHARED)/build-qemu.sh $(QEMU_STOCK); \
	fi

# real_swap.sh replaces an earlier output of its own: the library and the relink are
# always fresh.
qemu-ours: qemu-stock
	@mkdir -p $(QEMU_OUT)
	bash tools/qemu-swap/real_swap.sh $(QEMU_STOCK) $(QEMU_OUT)/ours > $(QEMU_OUT)/swap.out 2>&1 \
		|| { cat $(QEMU_OUT)/swap.out; echo "qemu-ours: real_swap.sh failed"; exit 1; }
	@grep -E '^(FAIL|real_swap:)' $(QEMU_OUT)/swap.out

qemu-prepare: qemu-stock
	bash c-tests/qemu/prepare.sh $(QEMU_OUT) $(QEMU_STOCK)/src

qemu-run:
	QEMU_DOC=$(if $(QEMU_TESTS)$(QEMU_TARGETS),,$(QEMU_DOC)) \
		bash c-tests/qemu/run.sh $(QEMU_STOCK) $(QEMU_OUT)/ours $(QEMU_OUT)

qemu_stock_built = [ -x $(QEMU_STOCK)/build/i386-linux-user/qemu-i386 ] && [ -x $(QEMU_STOCK)/build/arm-linux-user/qemu-arm ] \
	&& [ -x $(QEMU_STOCK)/build/x86_64-linux-user/qemu-x86_64 ]

bench-qemu:
	@if ! { $(qemu_stock_built); } && [ ! -f $(QEMU_SHARED)/build-qemu.sh ]; then \
		echo "bench-qemu: SKIPPED: no stock QEMU 2.3.0 build at $(QEMU_STOCK) and no $(QEMU_SHARED) to build one"; \
		exit 0; \
	fi; \
	$(MAKE) --no-print-directory qemu-ours && $(MAKE) --no-print-directory qemu-prepare && \
	python3 benches/qemu/run.py --stock $(QEMU_STOCK) --ours $(QEMU_OUT)/ours --prepared $(QEMU_OUT) \
		$(if $(QEMU_BENCH_ROUNDS),--rounds $(QEMU_BENCH_ROUNDS)) $(if $(QEMU_BENCH_TARGETS),--targets $(QEMU_BENCH_TARGETS)) \
		$(if $(QEMU_BENCH_WORKLOADS),--workloads $(QEMU_BENCH_WORKLOADS))

# `make bench`'s hook: no 10-minute build of the stock QEMU from here.
bench-qemu-if-built:
	@if $(qemu_stock_built); then \
		$(MAKE) --no-print-directory bench-qemu; \
	else \
		echo "bench: SKIPPED: the real-QEMU guest benchmarks (make bench-qemu) did not run: no stock QEMU 2.3.0"; \
		echo "bench: SKIPPED: build at $(QEMU_STOCK) (make qemu-stock, or QEMU_STOCK=<a build-qemu.sh output>)"; \
	fi

.DEFAULT_GOAL := $(qemu_saved_goal)
