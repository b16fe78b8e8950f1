#!/usr/bin/env bash
# c-tests/qemu/run.sh STOCK OURS [OUT]
#
# Runs real guest programs under the real QEMU 2.3.0 user-mode emulators, twice over:
# STOCK, QEMU as released (linux-user/mmap.c), and OURS, the same tree with qemu-user-mmap
# linked in its place. STOCK and OURS are build trees holding
# <target>-linux-user/qemu-<target> for i386, arm and x86_64 (a build-qemu.sh output
# directory, whose build/ holds them, is accepted too). OUT (default build/qemu) must have
# been prepared by prepare.sh.
#
# Each test runs at the default host page size and with `-p 65536`; its output is compared
# with the same program run natively on the host (i386 binaries run natively; for arm the
# amd64 build of the same program and data is the reference). OURS runs every test
# QEMU_OURS_RUNS times (3) under QEMU_OURS_TIMEOUT seconds (240): a wrong output, a
# non-zero exit, a crash or a hang in any run is a failure. STOCK runs once, after OURS,
# under a time-out of 2 x (+5 s) ours' slowest run of the same test, at least
# QEMU_STOCK_TIMEOUT seconds (20): its results are a baseline, recorded, never a failure.
# QEMU_JOBS runs go in parallel (default: the number of cores). QEMU_TESTS and
# QEMU_TARGETS (space-separated) select a subset.
#
# Writes OUT/results.tsv (one line per test, target, page size and emulator) and, when
# QEMU_DOC is set (a markdown file), replaces the table between its markers with the
# results. Exits non-zero when any OURS run failed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL_TESTS="bb-sha256sum bb-sort test-mmap sort sha256sum sqlite3 python3 g_mremap g_munmap g_mprotect g_filemap g_threads"
ALL_TARGETS="i386 arm x86_64"

arch_of() { case $1 in i386) echo i386 ;; arm) echo armhf ;; x86_64) echo amd64 ;; esac; }
# The host runs i386 and amd64 code itself; arm's reference is the amd64 program.
native_target() { case $1 in arm) echo x86_64 ;; *) echo "$1" ;; esac; }
ldso_of() {
    case $1 in
        i386) echo lib/ld-linux.so.2 ;; armhf) echo lib/ld-linux-armhf.so.3 ;;
        amd64) echo lib64/ld-linux-x86-64.so.2 ;;
    esac
}
triplet_of() { case $1 in i386) echo i386-linux-gnu ;; armhf) echo arm-linux-gnueabihf ;; amd64) echo x86_64-linux-gnu ;; esac; }

# ---- one test, one way: `run_one MODE TARGET PAGE TEST WORKDIR OUTFILE` -----------------
# MODE: native, or the path of a qemu binary. Prints the exit status of the program.
# The program's stdout (normalised, or its sha256 for the big ones) goes to OUTFILE.
run_one() {
    local mode=$1 t=$2 page=$3 test=$4 work=$5 outf=$6 tmo=$7
    local a sr g q=() cmd=() dyn= in= sqlite2= hash= merge_err=
    a=$(arch_of "$t")
    sr=$OUT/sysroot/$a
    g=$OUT/guests/$t
    if [ "$mode" != native ]; then
        q=("$mode")
        [ "$page" = 64k ] && q+=(-p 65536)
    fi
    case $test in
        bb-sha256sum) cmd=("$sr/bin/busybox" sha256sum "$OUT/data/blob-18m.bin" "$OUT/data/text-8m.txt") ;;
        bb-sort) cmd=("$sr/bin/busybox" sort "$OUT/data/text-2m.txt"); hash=1 ;;
        test-mmap) cmd=("$g/test-mmap" 4096); merge_err=1 ;;
        sort) cmd=("$sr/usr/bin/sort" "$OUT/data/text-8m.txt"); dyn=1; hash=1 ;;
        sha256sum) cmd=("$sr/usr/bin/sha256sum" "$OUT/data/blob-18m.bin" "$OUT/data/text-8m.txt"); dyn=1 ;;
        sqlite3) cmd=("$sr/usr/bin/sqlite3" "$work/t.db"); dyn=1; in=$HERE/scripts/sqlite.sql; sqlite2=1 ;;
        python3) cmd=("$sr/usr/bin/python3.11" "$HERE/scripts/py_mmap.py" "$work"); dyn=1 ;;
        g_threads) cmd=("$g/g_threads" 3 "$work") ;;
        g_*) cmd=("$g/$test" "" "$work"); cmd[1]=$(case $test in g_mprotect) echo 400 ;; g_filemap) echo 40 ;; *) echo 120 ;; esac) ;;
        *) echo "run.sh: unknown test $test" >&2; return 2 ;;
    esac
    if [ -n "$dyn" ]; then
        if [ "$mode" = native ]; then
            local tr
            tr=$(triplet_of "$a")
            cmd=("$sr/$(ldso_of "$a")" --library-path "$sr/lib/$tr:$sr/usr/lib/$tr" "${cmd[@]}")
        else
            q+=(-L "$sr")
        fi
    fi
    local envv=(env -i PATH=/usr/bin:/bin LC_ALL=C TZ=UTC HOME="$work" TMPDIR="$work"
        PYTHONHOME="$sr/usr" PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1)
    local rc raw=$work/stdout err=$work/stderr
    (
        cd "$work" || exit 99
        ulimit -c 0
        if [ -n "$in" ]; then
            "${envv[@]}" timeout -k 3 "$tmo" "${q[@]}" "${cmd[@]}" < "$in" > "$raw" 2> "$err"
            rc=$?
            [ "$rc" = 0 ] && [ -n "$sqlite2" ] || exit "$rc"
            "${envv[@]}" timeout -k 3 "$tmo" "${q[@]}" "${cmd[@]}" < "$HERE/scripts/sqlite2.sql" >> "$raw" 2>> "$err"
        else
            "${envv[@]}" timeout -k 3 "$tmo" "${q[@]}" "${cmd[@]}" < /dev/null > "$raw" 2> "$err"
        fi
    ) 2> "$work/shell.err" # (the shell's own "Segmentation fault" job notices)
    rc=$?
    if [ -n "$hash" ]; then
        printf 'lines=%s sha256=%s\n' "$(wc -l < "$raw")" "$(sha256sum < "$raw" | cut -c1-64)" > "$outf"
    elif [ -n "$merge_err" ]; then
        # test-mmap reports on stderr; addresses differ from run to run, QEMU's own
        # "Unsupported syscall" lines are not the guest's.
        cat "$raw" "$err" | grep -v '^qemu: ' | sed -E 's/addr=(0x)?[0-9a-fA-F]+/addr=X/' > "$outf"
    else
        cp "$raw" "$outf"
    fi
    grep -v '^qemu: Unsupported syscall' "$err" | head -c 2000 > "$outf.err"
    echo "$rc"
}

# Extra conditions a passing output must meet beyond matching the native one.
output_ok() {
    local test=$1 f=$2
    case $test in
        test-mmap) [ "$(grep -c ' passed$' "$f")" = 7 ] ;;
        g_*|python3) [ "$(tail -n 1 "$f")" = OK ] ;;
        sqlite3) [ "$(grep -c '^ok$' "$f")" = 1 ] ;;
        *) [ -s "$f" ] ;;
    esac
}

# ---- one job: `run.sh --job IMPL TARGET PAGE TEST RUN` (IMPL: native, stock, ours) -------
if [ "${1:-}" = --job ]; then
    impl=$2 t=$3 page=$4 test=$5 n=$6
    id=$impl-$t-$page-$test-$n
    work=$OUT/runs/work/$id
    rm -rf "$work" && mkdir -p "$work"
    res=$OUT/runs/$id
    case $impl in
        native) mode=native; tmo=120; nt=$(native_target "$t") ;;
        stock)
            mode=$STOCK/$t-linux-user/qemu-$t; nt=$t
            # At least QEMU_STOCK_TIMEOUT, and 2 x (+5 s) the slowest of ours' runs of the
            # same test (stock runs after ours): a slow machine does not make it a hang.
            tmo=$(cat "$OUT/runs/ours-$t-$page-$test-"*.res 2>/dev/null | awk -F'\t' -v min="$QEMU_STOCK_TIMEOUT" \
                -v max="$QEMU_OURS_TIMEOUT" '{ if ($7 > m) m = $7 } END { t = int(2 * m + 5); if (t < min) t = min; if (t > max) t = max; print t }')
            ;;
        ours) mode=$OURS/$t-linux-user/qemu-$t; tmo=$QEMU_OURS_TIMEOUT; nt=$t ;;
    esac
    start=$(date +%s.%N)
    rc=$(run_one "$mode" "$nt" "$page" "$test" "$work" "$res.out" "$tmo")
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if [ "$impl" = native ]; then
        verdict=pass
        { [ "$rc" = 0 ] && output_ok "$test" "$res.out"; } || verdict="native-fail(rc=$rc)"
    elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        verdict="hang (killed after $tmo s)"
    elif [ "$rc" -gt 128 ] 2>/dev/null; then
        # QEMU reports a guest killed by a signal, then kills itself with it: without that
        # report it is QEMU itself that crashed.
        if grep -q 'uncaught target signal' "$res.out.err"; then
            verdict="guest killed by signal $((rc - 128))"
        else
            verdict="QEMU crashed (signal $((rc - 128)))"
        fi
    elif [ "$rc" != 0 ]; then
        verdict="exit $rc"
    elif ! cmp -s "$res.out" "$OUT/runs/native-$t-4k-$test-1.out" || ! output_ok "$test" "$res.out"; then
        verdict="wrong output"
    else
        verdict=pass
    fi
    # the first line of the guest's (or QEMU's) stderr says why, for the table
    note=
    if [ "$verdict" != pass ]; then
        note=$(cat "$res.out" "$res.out.err" | grep -a -m 1 -E 'FAIL|[Ee]rror|qemu: |uncaught|Assertion|Traceback|Aborted')
        [ -n "$note" ] || note=$(grep -a -v '^[[:space:]]*$' "$res.out.err" | tail -n 1)
        # directories dropped from paths (the table is read on another machine)
        note=$(printf '%s' "$note" | tr '\t|' '  ' | sed -E 's#[^ :]*/##g' | cut -c1-120)
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$test" "$t" "$page" "$impl" "$n" "$verdict" "$secs" "$note" > "$res.res"
    [ "$verdict" = pass ] && rm -rf "$work"
    printf '[qemu-run] %-7s %-6s %-3s %-13s #%s %s (%ss)\n' "$impl" "$t" "$page" "$test" "$n" "$verdict" "$secs"
    exit 0
fi

# ---- the whole suite --------------------------------------------------------------------
resolve() { # a build tree, or a build-qemu.sh output with build/ inside
    local d=$1
    [ -d "$d/build/i386-linux-user" ] && d=$d/build
    (cd "$d" 2>/dev/null && pwd)
}
STOCK=$(resolve "${1:?usage: run.sh STOCK OURS [OUT]}") || { echo "run.sh: no directory $1" >&2; exit 2; }
OURS=$(resolve "${2:?usage: run.sh STOCK OURS [OUT]}") || { echo "run.sh: no directory $2" >&2; exit 2; }
OUT=$(cd "${3:-build/qemu}" && pwd) || exit 2
export OUT STOCK OURS
export QEMU_OURS_RUNS=${QEMU_OURS_RUNS:-3} QEMU_OURS_TIMEOUT=${QEMU_OURS_TIMEOUT:-240}
export QEMU_STOCK_TIMEOUT=${QEMU_STOCK_TIMEOUT:-20}
JOBS=${QEMU_JOBS:-$(nproc)}
TESTS=${QEMU_TESTS:-$ALL_TESTS}
TARGETS=${QEMU_TARGETS:-$ALL_TARGETS}
for t in $TARGETS; do
    for impl in "$STOCK" "$OURS"; do
        [ -x "$impl/$t-linux-user/qemu-$t" ] || { echo "run.sh: no $impl/$t-linux-user/qemu-$t" >&2; exit 2; }
    done
    [ -d "$OUT/sysroot/$(arch_of "$t")" ] && [ -x "$OUT/guests/$t/test-mmap" ] \
        || { echo "run.sh: $OUT is not prepared for $t (run prepare.sh)" >&2; exit 2; }
done

rm -rf "$OUT/runs" && mkdir -p "$OUT/runs/work"
T0=$(date +%s)
# Native references first (one per test and target), then the emulated runs, longest
# first so that the parallel jobs finish together.
{
    for t in $TARGETS; do for test in $TESTS; do echo "native $t 4k $test 1"; done; done
} | xargs -P "$JOBS" -L 1 bash "$0" --job
weight() { case $1 in sqlite3) echo 9 ;; g_threads|python3) echo 5 ;; sort|bb-sort) echo 4 ;; *) echo 1 ;; esac; }
for impl in ours stock; do
    for test in $TESTS; do for t in $TARGETS; do for page in 4k 64k; do
        w=$(weight "$test")
        if [ $impl = ours ]; then
            for n in $(seq 1 "$QEMU_OURS_RUNS"); do echo "$w ours $t $page $test $n"; done
        else
            echo "$w stock $t $page $test 1"
        fi
    done; done; done | sort -s -k1,1nr | cut -d' ' -f2- | xargs -P "$JOBS" -L 1 bash "$0" --job
done
T1=$(date +%s)

# ---- results ------------------------------------------------------------------------------
RES=$OUT/results.tsv
{
    printf 'test\ttarget\tpage\timpl\trun\tverdict\tseconds\tnote\n'
    for test in $TESTS; do for t in $TARGETS; do
        cat "$OUT/runs/native-$t-4k-$test-1.res"
        for page in 4k 64k; do
            cat "$OUT/runs/stock-$t-$page-$test-1.res"
            for n in $(seq 1 "$QEMU_OURS_RUNS"); do cat "$OUT/runs/ours-$t-$page-$test-$n.res"; done
        done
    done; done
} > "$RES"

bad_native=$(awk -F'\t' 'NR > 1 && $4 == "native" && $6 != "pass"' "$RES")
bad_ours=$(awk -F'\t' 'NR > 1 && $4 == "ours" && $6 != "pass"' "$RES")
n_ours=$(awk -F'\t' 'NR > 1 && $4 == "ours"' "$RES" | wc -l)
n_ours_ok=$(awk -F'\t' 'NR > 1 && $4 == "ours" && $6 == "pass"' "$RES" | wc -l)
n_stock=$(awk -F'\t' 'NR > 1 && $4 == "stock"' "$RES" | wc -l)
n_stock_ok=$(awk -F'\t' 'NR > 1 && $4 == "stock" && $6 == "pass"' "$RES" | wc -l)
echo "[qemu-run] results: $RES ($((T1 - T0)) s)"
echo "[qemu-run] stock (baseline): $n_stock_ok of $n_stock runs pass"
echo "[qemu-run] ours: $n_ours_ok of $n_ours runs pass"
if [ -n "${QEMU_DOC:-}" ]; then
    bash "$HERE/report.sh" "$RES" "$QEMU_DOC" "$((T1 - T0))" && echo "[qemu-run] table written to $QEMU_DOC"
fi
status=0
if [ -n "$bad_native" ]; then
    echo "[qemu-run] native reference runs failed (the suite itself is broken):"
    printf '%s\n' "$bad_native"
    status=1
fi
if [ -n "$bad_ours" ]; then
    echo "[qemu-run] FAILED runs under qemu-user-mmap (outputs and stderr in $OUT/runs):"
    printf '%s\n' "$bad_ours"
    status=1
fi
echo "qemu-real: $n_ours_ok passed, $((n_ours - n_ours_ok)) failed"
exit $status
