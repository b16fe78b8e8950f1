#!/usr/bin/env bash
# run.sh -- the differential harness runner.  No python needed.
#
#   run.sh check CONFIG            corpus + DIFF_SEEDS random scripts, oracle vs ours
#   run.sh check-all               the whole matrix
#   run.sh soak CONFIG SEEDS       SEEDS = N (seeds 1000001..1000000+N) or A-B
#   run.sh build CONFIG            only build the two drivers
#   run.sh trace CONFIG SCRIPT [oracle|ours]   print one trace
#   run.sh minimise CONFIG SCRIPT  shrink a diverging script (delta debugging)
#   run.sh mutants [CONFIG]        prove the harness catches a mutated original
#
# Environment:
#   DIFF_SEEDS   random scripts per configuration for `check` (default 100)
#   DIFF_OPS     operations per random script (default 40)
#   DIFF_JOBS    parallel jobs (default: number of CPUs)
#   DIFF_OURS    path of the implementation to test (a .a or .o); default
#                ../../build/<target>[-noguestbase]/libqemu_user_mmap.a
#   DIFF_SELF=1  compare the oracle with itself even if our library exists
#   DIFF_REQUIRE_OURS=1   fail (instead of falling back to oracle-vs-oracle)
#                when our library is missing
#   ORACLE_DIR   oracle directory (mk/oracle.mk: default ../shared/oracle relative to
#                the repo; DIFF_ORACLE is the older name)
#   DIFF_KEEP=1  keep the per-run output directory
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ORACLE=$(MAKEFLAGS= make -s --no-print-directory -C "$REPO" -f mk/oracle.mk print-oracle-dir) || exit 2
CTESTS=$REPO/c-tests/harness
BUILD=${DIFF_BUILD:-$HERE/build}
MATRIX=$(MAKEFLAGS= make -s --no-print-directory -C "$REPO" -f mk/matrix.mk print-configs) || exit 2
SEEDS_DEFAULT=${DIFF_SEEDS:-100}
OPS=${DIFF_OPS:-40}
JOBS=${DIFF_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
CC=${CC:-gcc}
CFLAGS_COMMON="-O1 -g -Wall -D_GNU_SOURCE -fPIE"
LIBS="-lpthread -ldl -lm -lrt -lgcc_s -lc"

SETARCH=""
if setarch "$(uname -m)" -R true 2>/dev/null; then SETARCH="setarch $(uname -m) -R"; fi

die() { echo "run.sh: $*" >&2; exit 2; }

oracle_present() { [ -f "$ORACLE/mmap.c" ] && [ -f "$ORACLE/qemu.h" ]; }

skip_if_no_oracle() {
    if ! oracle_present; then
        echo "============================================================"
        echo "SKIP: oracle not found at $ORACLE"
        echo "SKIP: the differential tests did NOT run (they need ../shared/oracle beside the repo)"
        echo "============================================================"
        exit 0
    fi
}

# --- configurations -------------------------------------------------------
# sets TARGET, HOSTPAGE, NOGB, DFLAGS, LIBDIR for a configuration name
config() {
    local c=$1
    TARGET=$c HOSTPAGE="" NOGB=""
    case $c in
        *-64k) TARGET=${c%-64k}; HOSTPAGE=65536 ;;
        *-noguestbase) TARGET=${c%-noguestbase}; NOGB=1 ;;
    esac
    local row
    row=$(awk -v t="$TARGET" '!/^#/ && $1 == t { print $2, $3, $4, $5, $6 }' "$REPO/targets.tsv")
    [ -n "$row" ] || die "unknown configuration '$c' (target '$TARGET' not in targets.tsv)"
    set -- $row
    DFLAGS="-DTARGET_PAGE_BITS=$1 -DTARGET_LONG_BITS=$2 -DTARGET_ABI_BITS=$3 -DTARGET_VIRT_ADDR_SPACE_BITS=$4"
    if [ -n "$NOGB" ]; then
        DFLAGS="$DFLAGS -DNO_GUEST_BASE -DDEFAULT_RESERVED_VA=0"
        LIBDIR=$REPO/build/$TARGET-noguestbase
    else
        DFLAGS="$DFLAGS -DDEFAULT_RESERVED_VA=$5"
        LIBDIR=$REPO/build/$TARGET
    fi
    OURS_LIB=${DIFF_OURS:-$LIBDIR/libqemu_user_mmap.a}
    BDIR=$BUILD/$c
}

build() {
    local c=$1
    config "$c"
    mkdir -p "$BDIR"
    [ -f "$CTESTS/emu.c" ] || die "c-tests/harness/emu.c is missing"
    local inc="-I$CTESTS -I$REPO/include"
    $CC $CFLAGS_COMMON $DFLAGS $inc -c "$CTESTS/emu.c" -o "$BDIR/emu.o" || die "compiling emu.c failed"
    $CC $CFLAGS_COMMON $DFLAGS $inc -c "$HERE/driver.c" -o "$BDIR/driver.o" || die "compiling driver.c failed"
    # The original, compiled so that its calls to mmap_find_vma go through the symbol
    # (-fPIC), which is then made weak, the function keeping a second name: in
    # driver-oracle, oracle_hooks.c receives those calls and runs the original's search
    # or, at a step where expected.txt asks for it, Linux's (linux-search).
    $CC -O2 -g -D_GNU_SOURCE -fPIC -ffunction-sections $DFLAGS -I"$ORACLE" -c "$ORACLE/mmap.c" \
        -o "$BDIR/oracle-mmap-pic.o" || die "compiling the oracle failed"
    objcopy --weaken-symbol=mmap_find_vma \
        --add-symbol diff_orig_mmap_find_vma=.text.mmap_find_vma:0,function,global \
        "$BDIR/oracle-mmap-pic.o" "$BDIR/oracle-mmap.o" || die "objcopy of the oracle failed"
    $CC $CFLAGS_COMMON $DFLAGS $inc -c "$HERE/oracle_hooks.c" -o "$BDIR/oracle-hooks.o" || die "compiling oracle_hooks.c failed"
    $CC -pie -o "$BDIR/driver-oracle" "$BDIR/driver.o" "$BDIR/emu.o" "$BDIR/oracle-mmap.o" "$BDIR/oracle-hooks.o" $LIBS \
        || die "linking driver-oracle failed"
    MODE=ours
    if [ -n "${DIFF_OURS_SRC:-}" ]; then
        # a variant of the original (the mutation self-test): compiled like the oracle
        $CC -O2 -g -D_GNU_SOURCE -fPIE $DFLAGS -I"$ORACLE" -c "$DIFF_OURS_SRC" -o "$BDIR/ours-mmap.o" || die "compiling $DIFF_OURS_SRC failed"
        $CC -pie -o "$BDIR/driver-ours" "$BDIR/driver.o" "$BDIR/emu.o" "$BDIR/ours-mmap.o" $LIBS || die "linking failed"
        echo "variant" > "$BDIR/mode"
        return 0
    fi
    if [ -n "${DIFF_SELF:-}" ]; then
        MODE=self
    elif [ ! -f "$OURS_LIB" ]; then
        if [ -n "${DIFF_REQUIRE_OURS:-}" ]; then die "$OURS_LIB not found (DIFF_REQUIRE_OURS is set)"; fi
        MODE=self
        echo "NOTE [$c]: $OURS_LIB not found: comparing the oracle with itself (harness self-check only)"
    fi
    if [ "$MODE" = self ]; then
        $CC -pie -o "$BDIR/driver-ours" "$BDIR/driver.o" "$BDIR/emu.o" "$BDIR/oracle-mmap.o" $LIBS \
            || die "linking driver-ours (oracle copy) failed"
    else
        # The unwinder statically (libgcc_eh.a): the Rust library's references would
        # otherwise load libgcc_s.so, which the oracle does not, and shift every address
        # the kernel picks by its size (a length computed from such an address, "*" in
        # the trace, would then differ between the two runs)
        local gcc_eh
        gcc_eh=$($CC -print-file-name=libgcc_eh.a 2>/dev/null)
        [ -f "$gcc_eh" ] || gcc_eh=
        $CC -pie -o "$BDIR/driver-ours" "$BDIR/driver.o" "$BDIR/emu.o" "$OURS_LIB" $gcc_eh $LIBS \
            || die "linking driver-ours against $OURS_LIB failed"
    fi
    echo "$MODE" > "$BDIR/mode"
}

run_env() {
    # environment for one configuration's drivers
    if [ -n "$HOSTPAGE" ]; then export DIFF_HOST_PAGE_SIZE=$HOSTPAGE; else unset DIFF_HOST_PAGE_SIZE; fi
}

# one script: $1 config, $2 script path, $3 name, $4 outdir
one() {
    local c=$1 script=$2 name=$3 od=$4
    config "$c"
    run_env
    local mode expect=""
    mode=$(cat "$BDIR/mode")
    local exf=${DIFF_EXPECT:-$HERE/expected.txt}
    if [ "$mode" = ours ] && grep -qv '^[[:space:]]*\(#\|$\)' "$exf" 2>/dev/null; then
        expect="--expect $exf"
    fi
    $SETARCH "$BDIR/driver-oracle" run "$script" $expect > "$od/$name.oracle" 2> "$od/$name.oracle.err"
    $SETARCH "$BDIR/driver-ours" run "$script" > "$od/$name.ours" 2> "$od/$name.ours.err"
    compare "$od/$name.oracle" "$od/$name.ours" "$name" "$script" > "$od/$name.result"
}

# compare two traces; print "PASS ..." or "FAIL ..." plus details
compare() {
    local o=$1 u=$2 name=$3 script=$4
    local steps ops
    ops=$(grep -c '^@' "$u")
    if ! grep -q '^END$\|^!' "$o"; then
        echo "FAIL $name ops=$ops: the oracle driver did not finish (see $o.err)"; return
    fi
    local stopline
    stopline=$(grep -n '= STOP ' "$o" | head -1 | cut -d: -f1)
    local a=$o b=$u
    if [ -n "$stopline" ]; then
        # expected divergence that the oracle cannot model: compare up to it
        head -n $((stopline - 1)) "$o" > "$o.cut"
        head -n $((stopline - 1)) "$u" > "$u.cut"
        a=$o.cut b=$u.cut
        if grep -q '^!' "$u"; then
            echo "FAIL $name ops=$ops: ours died after an expected-divergence step: $(grep '^!' "$u")"
            return
        fi
    fi
    if cmp -s "$a" "$b"; then
        if [ -n "$stopline" ]; then
            echo "PASS $name ops=$ops stopped-at: $(sed -n "${stopline}p" "$o" | sed 's/.*= STOP //')"
        else
            echo "PASS $name ops=$ops"
        fi
        return
    fi
    local ln step
    ln=$(cmp "$a" "$b" 2>/dev/null | sed -n 's/.* line \([0-9]*\).*/\1/p')
    [ -n "$ln" ] || ln=$(( $(wc -l < "$a") + 1 ))
    step=$(head -n "$ln" "$b" | grep '^@' | tail -1 | cut -d' ' -f1)
    [ -n "$step" ] || step="(before the first step)"
    echo "FAIL $name ops=$ops first difference at step ${step#@} (trace line $ln); script: $script"
    # the step as both saw it: "<" oracle, ">" ours
    blk() { awk -v s="$1" '$1 == s {p = 1; print; next} p && /^[@!]|^END/ {exit} p {print}' "$2"; }
    if [ "$step" = "(before the first step)" ]; then
        diff <(head -n 1 "$a") <(head -n 1 "$b") | sed 's/^/  /' | head -8
    else
        diff <(blk "$step" "$a") <(blk "$step" "$b") | sed 's/^/  /' | head -16
        grep -q '^!' "$b" && ! grep -q '^!' "$a" && echo "  ours: $(grep '^!' "$b")"
        grep -q '^!' "$a" && ! grep -q '^!' "$b" && echo "  oracle: $(grep '^!' "$a")"
    fi
    [ -s "$u.err" ] && sed 's/^/  ours stderr: /' "$u.err" | head -3
    return 0
}

# run a list of "script name" pairs for a configuration; prints summary
run_list() {
    local c=$1 list=$2 od=$3
    export -f one compare config run_env die
    export HERE REPO ORACLE CTESTS BUILD SETARCH
    xargs -P "$JOBS" -L 1 bash -c 'one "$0" "$1" "$2" "$3"' "$c" < <(awk -v od="$od" '{print $1, $2, od}' "$list")
}

summarise() {
    local c=$1 od=$2
    local pass fail ops scripts mode
    mode=$(cat "$BUILD/$c/mode")
    pass=$(cat "$od"/*.result 2>/dev/null | grep -c '^PASS')
    fail=$(cat "$od"/*.result 2>/dev/null | grep -c '^FAIL')
    ops=$(cat "$od"/*.result 2>/dev/null | sed -n 's/.* ops=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
    scripts=$((pass + fail))
    cat "$od"/*.result 2>/dev/null | grep -A14 '^FAIL' | head -n "${DIFF_SHOW:-400}"
    local stopped
    stopped=$(cat "$od"/*.result 2>/dev/null | grep -c 'stopped-at')
    local label="oracle vs ours"
    [ "$mode" = self ] && label="oracle vs oracle (self-check: our library not linked)"
    if [ "$stopped" -gt 0 ]; then stopped=", $stopped stopped at an expected divergence"; else stopped=""; fi
    # steps where the oracle ran a Linux model (expected.txt); one step may use several
    local modelled
    modelled=$(for f in "$od"/*.oracle.err; do [ -f "$f" ] && sed -n 's/^expect step=\([0-9]*\) .*/\1/p' "$f" | sort -u | sed "s|^|$f |"; done | wc -l)
    if [ "$mode" = ours ]; then modelled=", $modelled with a Linux model (expected.txt)"; else modelled=""; fi
    echo "[$c] $label: $scripts scripts, $ops ops$modelled$stopped"
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}

seed_list() {
    # $1 = N or A-B ; $2 = base
    local spec=$1 base=$2
    if [[ $spec == *-* ]]; then seq "${spec%-*}" "${spec#*-}"; else [ "$spec" -gt 0 ] && seq $((base + 1)) $((base + spec)); fi
}

check() {
    local c=$1 seeds=$2 base=${3:-0} corpus=${4:-1}
    skip_if_no_oracle
    build "$c" > "$BUILD/.build-$c.log" 2>&1 || { cat "$BUILD/.build-$c.log"; echo "0 passed, 1 failed"; return 1; }
    grep NOTE "$BUILD/.build-$c.log"
    config "$c"
    local od=$BDIR/out
    rm -rf "$od"; mkdir -p "$od/gen"
    local list=$od/list
    : > "$list"
    if [ "$corpus" = 1 ]; then
        for s in "$HERE"/corpus/*.script; do
            [ -f "$s" ] && echo "$s corpus-$(basename "$s" .script)" >> "$list"
        done
    fi
    for seed in $(seed_list "$seeds" "$base"); do
        "$BDIR/driver-oracle" gen "$seed" "$OPS" > "$od/gen/seed-$seed.script"
        echo "$od/gen/seed-$seed.script seed-$seed" >> "$list"
    done
    run_list "$c" "$list" "$od"
    summarise "$c" "$od"
}

cmd=${1:-}
shift || true
mkdir -p "$BUILD"
case $cmd in
    check)
        [ $# -ge 1 ] || die "usage: run.sh check CONFIG"
        check "$1" "${2:-$SEEDS_DEFAULT}"
        ;;
    check-all)
        skip_if_no_oracle
        tp=0 tf=0 rc=0
        for c in $MATRIX; do
            echo "=== $c"
            out=$(check "$c" "${1:-$SEEDS_DEFAULT}") || rc=1
            echo "$out"
            p=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -1)
            f=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -1)
            tp=$((tp + ${p:-0})); tf=$((tf + ${f:-1}))
        done
        echo "=== matrix: $MATRIX"
        echo "$tp passed, $tf failed"
        exit $rc
        ;;
    soak)
        [ $# -ge 2 ] || die "usage: run.sh soak CONFIG SEEDS   (SEEDS = N or A-B)"
        check "$1" "$2" 1000000 0
        ;;
    build)
        skip_if_no_oracle
        build "$1"
        ;;
    trace)
        skip_if_no_oracle
        config "$1"; run_env
        [ -x "$BDIR/driver-oracle" ] || build "$1" >&2
        $SETARCH "$BDIR/driver-${3:-oracle}" run "$2"
        ;;
    minimise|minimize)
        skip_if_no_oracle
        [ $# -ge 2 ] || die "usage: run.sh minimise CONFIG SCRIPT"
        c=$1 src=$2
        config "$c"; run_env
        [ -x "$BDIR/driver-ours" ] || build "$c" >&2
        tmp=$(mktemp -d)
        grep -v '^[[:space:]]*\(#\|$\)' "$src" > "$tmp/cur"
        fails() { one "$c" "$1" t "$tmp"; grep -q '^FAIL' "$tmp/t.result"; }
        fails "$tmp/cur" || { echo "the script does not diverge"; rm -rf "$tmp"; exit 1; }
        changed=1
        while [ $changed = 1 ]; do
            changed=0
            n=$(wc -l < "$tmp/cur")
            i=$n
            while [ "$i" -ge 1 ]; do
                sed "${i}d" "$tmp/cur" > "$tmp/try"
                if [ -s "$tmp/try" ] && fails "$tmp/try"; then cp "$tmp/try" "$tmp/cur"; changed=1; fi
                i=$((i - 1))
            done
        done
        cat "$tmp/cur"
        one "$c" "$tmp/cur" t "$tmp"; sed 's/^/# /' "$tmp/t.result" | head -12 >&2
        rm -rf "$tmp"
        ;;
    mutants)
        exec "$HERE/mutants.sh" "$@"
        ;;
    *)
        sed -n '2,25p' "$0"
        exit 2
        ;;
esac
