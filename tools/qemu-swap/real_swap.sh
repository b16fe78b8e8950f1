#!/usr/bin/env bash
# real_swap.sh STOCK_OUT OURS_OUT
#
# STOCK_OUT: the output folder of ../shared/qemu-2.3.0/build-qemu.sh (STOCK_OUT/src, a built
# STOCK_OUT/build/<target>-linux-user/qemu-<target>). Makes OURS_OUT a copy of it (cp -a,
# timestamps kept; the copied build tree still refers to STOCK_OUT/src by absolute path,
# which it only reads), then swaps this repository's library into each linux-user target
# of OURS_OUT/build exactly as README.md ("Swapping it into a QEMU 2.3 build") tells users:
# its echo line appended to <target>-linux-user/config-target.mak, then its `make` in the
# build directory. Then checks each OURS_OUT/build/<target>-linux-user/qemu-<target>: the
# library linked (its Rust symbols and the kit script's marker), mmap.c's object not (its
# static mmap_frag, mmap_reserve, mmap_mutex absent, while present in the stock binary),
# linux-user/mmap.o is the kit's linker script, and `qemu-<target> -version` runs.
#
# OURS_OUT must not exist, or be the output of an earlier run (it is then replaced).
# Environment: JOBS (make -j, default 2). Log of the make: OURS_OUT/swap.log.
# Exit status 0 when every target passed. Prints one PASS/FAIL line per check.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/swap-common.sh"

[ $# = 2 ] || { echo "usage: real_swap.sh STOCK_OUT OURS_OUT" >&2; exit 2; }
stock=$(cd "$1" 2>/dev/null && pwd) || { echo "real_swap: no such directory: $1" >&2; exit 2; }
ours=$2
[ -d "$stock/build" ] && [ -d "$stock/src" ] \
    || { echo "real_swap: $stock is not a build-qemu.sh output (no build/, src/)" >&2; exit 2; }
marker=.qemu-user-mmap-real-swap
if [ -e "$ours" ]; then
    [ -f "$ours/$marker" ] || { echo "real_swap: $ours exists and is not an earlier real_swap output: not touching it" >&2; exit 2; }
    rm -rf "$ours"
fi
mkdir -p "$(dirname "$ours")"
cp -a "$stock" "$ours" || exit 1
ours=$(cd "$ours" && pwd)
touch "$ours/$marker"

passed=0
failed=0
ok() { echo "PASS $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }

targets=()
for d in "$ours"/build/*-linux-user; do
    [ -f "$d/config-target.mak" ] && targets+=("$(basename "$d" -linux-user)")
done
[ ${#targets[@]} -gt 0 ] || { echo "real_swap: no linux-user target in $ours/build" >&2; exit 1; }

cd "$ours/build" || exit 1
make_line=
for t in "${targets[@]}"; do
    if grep -q 'qemu-user-mmap.mk' "$t-linux-user/config-target.mak"; then
        echo "real_swap: $stock/build/$t-linux-user/config-target.mak already includes a qemu-user-mmap.mk" >&2
        exit 1
    fi
    steps=$(qum_readme_steps "$top/README.md" "$t" "$top")
    qum_check_steps "$steps" || { echo "real_swap: README.md's swap steps are not the expected echo + make:"; echo "$steps"; exit 1; } >&2
    echo "+ $(head -n 1 <<< "$steps")"
    bash -ec "$(head -n 1 <<< "$steps")" || exit 1
    make_line=$(tail -n 1 <<< "$steps")
done
echo "+ $make_line   (in $ours/build, MAKEFLAGS=-j${JOBS:-2}; log: $ours/swap.log)"
start=$(date +%s)
if ! MAKEFLAGS="-j${JOBS:-2}" bash -ec "$make_line" > "$ours/swap.log" 2>&1; then
    tail -n 30 "$ours/swap.log"
    bad "make in $ours/build failed (log: $ours/swap.log)"
    echo "real_swap: $passed passed, $failed failed"
    exit 1
fi
echo "real_swap: make took $(( $(date +%s) - start )) s"

for t in "${targets[@]}"; do
    bin=$ours/build/$t-linux-user/qemu-$t
    sbin=$stock/build/$t-linux-user/qemu-$t
    sorigin=$(qum_mmap_origin "$sbin")
    [ "$sorigin" = mmap.c ] || bad "$t: the stock $sbin does not show mmap.c's symbols ($sorigin): the check below would prove nothing"
    origin=$(qum_mmap_origin "$bin")
    [ "$origin" = library ] && ok "$t: qemu-$t links the library, not mmap.c" \
        || bad "$t: qemu-$t: mmap comes from: $origin"
    qum_is_kit_script "$ours/build/$t-linux-user/linux-user/mmap.o" \
        && ok "$t: linux-user/mmap.o is the kit's linker script" \
        || bad "$t: linux-user/mmap.o is not the kit's linker script"
    grep -Eq "GEN   $t-linux-user/linux-user/mmap.o \(qemu-user-mmap: $top/build/$t(-noguestbase)?/libqemu_user_mmap.a\)" "$ours/swap.log" \
        && grep -q "LINK  $t-linux-user/qemu-$t" "$ours/swap.log" \
        && ok "$t: the make generated the script from $top/build/$t and relinked qemu-$t" \
        || bad "$t: the make log does not show the script generated and qemu-$t relinked"
    if out=$("$bin" -version 2>&1) && grep -q 'version 2.3.0' <<< "$out"; then
        ok "$t: qemu-$t -version: $(head -n 1 <<< "$out")"
    else
        bad "$t: qemu-$t -version: $out"
    fi
done
echo "real_swap: $passed passed, $failed failed (targets: ${targets[*]})"
[ "$failed" = 0 ]
