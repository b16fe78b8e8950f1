#!/usr/bin/env bash
# The swap kit against the real QEMU 2.3.0 (part of make check-kit). Run from the
# repository's top directory. Needs ../shared/qemu-2.3.0 (build-qemu.sh and the tarball):
# without it the test is skipped, loudly (QEMU_KIT_REAL=require makes that a failure).
#
# A stock tree for i386, arm and x86_64 is built once with build-qemu.sh into
# build/qemu-kit-real/stock (kept between runs; or QEMU_STOCK=<a build-qemu.sh output for
# those three targets> to use one built elsewhere, which is only read). Then, each time
# from a fresh `git clone` of this repository (HEAD, plus the working tree's uncommitted
# changes to tracked files; no build/), README.md's steps ("Swapping it into a QEMU 2.3
# build", read from the README itself) are followed literally on:
#   (a) a freshly configured, never built tree (configured by the stock tree's config.status);
#   (b) a copy of the built stock tree (linux-user/mmap.o compiled from mmap.c);
#   (c) a copy of the built stock tree whose mmap.o files are newer than the library, built
#       beforehand in the clone with `make lib TARGET=<target>` (the library older than the
#       QEMU tree's objects: the case where make would keep mmap.c's object).
# QEMU_KIT_REAL_CASES="a b c" (default) selects the cases.
# Each qemu-i386, qemu-arm, qemu-x86_64 must link the library and not mmap.c (symbols, see
# swap-common.sh), have the kit's script as linux-user/mmap.o, and run QEMU's own
# tests/tcg/test-mmap.c built static for its guest (i386: gcc -m32; x86_64: gcc; arm:
# arm-linux-gnueabihf-gcc, skipped loudly when absent), all 7 checks passing. Also: a
# second make relinks nothing; after a change to the library's sources make rebuilds the
# library and relinks; and with the kit included, linking an mmap.o compiled from mmap.c
# (make -o linux-user/mmap.o in the target's directory) fails with the kit's message; with
# the line removed, make goes back to mmap.c.
set -u
top=$(pwd)
here=$top/tools/qemu-swap
. "$here/swap-common.sh"
shared=${QEMU_SHARED:-$top/../shared/qemu-2.3.0}
work=$top/build/qemu-kit-real
JOBS=${JOBS:-2}
targets=(i386 arm x86_64)
target_list=i386-linux-user,arm-linux-user,x86_64-linux-user
t0=$(date +%s)
passed=0
failed=0
ok() { echo "PASS $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
lap() { echo "== $* ($(( $(date +%s) - t0 )) s)"; }

if [ ! -f "$shared/build-qemu.sh" ] || [ ! -f "$shared/qemu-2.3.0.tar.xz" ]; then
    echo "################################################################################"
    echo "SKIP run_real_kit: no real QEMU 2.3.0 at $shared (build-qemu.sh, qemu-2.3.0.tar.xz):"
    echo "SKIP the swap kit was NOT tested against the real QEMU, only against the mini tree."
    echo "################################################################################"
    [ "${QEMU_KIT_REAL:-}" = require ] && exit 1
    exit 0
fi

mkdir -p "$work"
find "$work" -mindepth 1 -maxdepth 1 ! -name stock -exec rm -rf {} +

# ---- the stock tree -------------------------------------------------------------------
if [ -n "${QEMU_STOCK:-}" ]; then
    stock=$(cd "$QEMU_STOCK" && pwd) || exit 1
else
    stock=$work/stock
    lap "stock QEMU 2.3.0 ($target_list) with build-qemu.sh (kept in $stock)"
    s=$(date +%s)
    bash "$shared/build-qemu.sh" "$stock" "$target_list" > "$work/stock-build.log" 2>&1 \
        || { tail -n 30 "$work/stock-build.log"; echo "run_real_kit: build-qemu.sh failed"; exit 1; }
    echo "stock tree ready in $(( $(date +%s) - s )) s (log: $work/stock-build.log)"
fi
for t in "${targets[@]}"; do
    [ "$(qum_mmap_origin "$stock/build/$t-linux-user/qemu-$t")" = mmap.c ] \
        || { echo "run_real_kit: $stock/build/$t-linux-user/qemu-$t missing or without mmap.c's symbols"; exit 1; }
done

# ---- guests: QEMU's tests/tcg/test-mmap.c, static --------------------------------------
guests=$work/guests
mkdir -p "$guests"
tm=$stock/src/tests/tcg/test-mmap.c
declare -A guest=()
build_guest() { # target compiler...
    local t=$1; shift
    if "$@" -static -O1 -o "$guests/test-mmap-$t" "$tm" > "$guests/$t.log" 2>&1; then
        guest[$t]=$guests/test-mmap-$t
    else
        bad "guest for $t: '$* -static $tm' failed: $(tail -n 3 "$guests/$t.log")"
    fi
}
build_guest i386 gcc -m32       # needs libc6-dev-i386 and lib32gcc-12-dev
build_guest x86_64 gcc
if command -v arm-linux-gnueabihf-gcc > /dev/null; then
    build_guest arm arm-linux-gnueabihf-gcc
else
    echo "SKIP arm guest: no arm-linux-gnueabihf-gcc (qemu-arm is still checked by its symbols)"
fi
# The guests pass on the stock emulators (a baseline: a failure below is the library's).
for t in "${!guest[@]}"; do
    if "$stock/build/$t-linux-user/qemu-$t" "${guest[$t]}" > "$guests/$t.stock.out" 2>&1 \
        && [ "$(grep -c ' passed$' "$guests/$t.stock.out")" = 7 ]; then
        :
    else
        bad "baseline: test-mmap on the stock qemu-$t: $(tail -n 2 "$guests/$t.stock.out")"
    fi
done

# ---- helpers ---------------------------------------------------------------------------
# fresh_clone DIR: a clone of this repository at HEAD with the working tree's changes to
# tracked files, no build/.
fresh_clone() {
    local dir=$1 f
    git -c init.defaultBranch=main -c advice.detachedHead=false clone -q "$top" "$dir" \
        && git -C "$dir" -c advice.detachedHead=false checkout -q "$(git -C "$top" rev-parse HEAD)" || return 1
    git -C "$top" diff --name-only HEAD | while read -r f; do
        echo "  (clone $(basename "$dir"): the working tree's $f)"
        if [ -e "$top/$f" ]; then cp -p "$top/$f" "$dir/$f"; else rm -f "$dir/$f"; fi
    done
    [ ! -e "$dir/build" ]
}

# readme_swap BUILD KIT LOG: README.md's steps for each target, in BUILD; make's output in LOG.
readme_swap() {
    local b=$1 kit=$2 log=$3 t steps make_line=
    for t in "${targets[@]}"; do
        steps=$(qum_readme_steps "$kit/README.md" "$t" "$kit")
        if ! qum_check_steps "$steps"; then
            bad "README.md's swap steps are not one echo line and one make line: $steps"
            return 1
        fi
        (cd "$b" && bash -ec "$(head -n 1 <<< "$steps")") || return 1
        make_line=$(tail -n 1 <<< "$steps")
    done
    (cd "$b" && MAKEFLAGS="-j$JOBS" nice bash -ec "$make_line") > "$log" 2>&1
}

# check_tree NAME BUILD KIT LOG: each target links the library, runs its guest.
check_tree() {
    local name=$1 b=$2 kit=$3 log=$4 t bin origin out
    for t in "${targets[@]}"; do
        bin=$b/$t-linux-user/qemu-$t
        origin=$(qum_mmap_origin "$bin")
        [ "$origin" = library ] && ok "$name: qemu-$t links the library, not mmap.c" \
            || bad "$name: qemu-$t: mmap comes from: $origin"
        qum_is_kit_script "$b/$t-linux-user/linux-user/mmap.o" \
            && grep -q "^INPUT($kit/build/$t/libqemu_user_mmap.a)$" "$b/$t-linux-user/linux-user/mmap.o" \
            && ok "$name: $t-linux-user/linux-user/mmap.o is the kit's script for $kit/build/$t" \
            || bad "$name: $t-linux-user/linux-user/mmap.o is not the kit's script for $kit/build/$t"
        grep -q "CC    $t-linux-user/linux-user/mmap.o" "$log" \
            && bad "$name: make compiled $t-linux-user/linux-user/mmap.c" \
            || ok "$name: make did not compile $t-linux-user/linux-user/mmap.c"
        if [ -z "${guest[$t]:-}" ]; then
            echo "SKIP $name: qemu-$t runs no guest (no test-mmap for $t)"
            continue
        fi
        if out=$(cd "$guests" && timeout 120 "$bin" "${guest[$t]}" 2>&1) \
            && [ "$(grep -c ' passed$' <<< "$out")" = 7 ]; then
            ok "$name: qemu-$t runs test-mmap ($t, static): 7 checks passed"
        else
            bad "$name: qemu-$t test-mmap: $(tail -n 3 <<< "$out")"
        fi
    done
}

# make_again NAME BUILD: a second make relinks nothing and rebuilds nothing.
make_again() {
    local name=$1 b=$2 log
    log=$work/again-${name//[^a-z0-9]/}.log
    (cd "$b" && MAKEFLAGS="-j$JOBS" make) > "$log" 2>&1 || { bad "$name: second make failed"; return; }
    grep -Eq '  (LINK|GEN|CC) |cargo build' "$log" \
        && bad "$name: a second make with nothing changed did work: $(grep -E '  (LINK|GEN|CC) |cargo build' "$log" | head -n 5)" \
        || ok "$name: a second make with nothing changed relinks nothing"
}

cases=" ${QEMU_KIT_REAL_CASES:-a b c} "

# ---- (a) a freshly configured, unbuilt tree, a fresh clone -----------------------------
if [[ $cases == *" a "* ]]; then
lap "(a) fresh clone + freshly configured, unbuilt QEMU tree"
kit_a=$work/clone-a
fresh_clone "$kit_a" || { bad "(a): git clone"; exit 1; }
mkdir -p "$work/a/build"
(cd "$work/a/build" && sh "$stock/build/config.status") > "$work/a/configure.log" 2>&1 \
    || { tail -n 20 "$work/a/configure.log"; bad "(a): configure"; exit 1; }
ls "$work"/a/build/*-linux-user/linux-user/mmap.o > /dev/null 2>&1 && bad "(a): the configured tree already has an mmap.o"
s=$(date +%s)
if readme_swap "$work/a/build" "$kit_a" "$work/a.log"; then
    ok "(a): README steps + make on an unbuilt tree ($(( $(date +%s) - s )) s: the whole QEMU build)"
    check_tree "(a)" "$work/a/build" "$kit_a" "$work/a.log"
    make_again "(a)" "$work/a/build"
else
    tail -n 30 "$work/a.log"; bad "(a): make failed (log: $work/a.log)"
fi
fi

# ---- (b) an already-built tree (mmap.c's objects), a fresh clone -----------------------
if [[ $cases == *" b "* ]]; then
lap "(b) fresh clone + already-built QEMU tree"
kit_b=$work/clone-b
fresh_clone "$kit_b" || { bad "(b): git clone"; exit 1; }
mkdir -p "$work/b"
cp -a "$stock/build" "$work/b/build"
s=$(date +%s)
if readme_swap "$work/b/build" "$kit_b" "$work/b.log"; then
    ok "(b): README steps + make on a built tree ($(( $(date +%s) - s )) s: 3 libraries + 3 links)"
    check_tree "(b)" "$work/b/build" "$kit_b" "$work/b.log"
    make_again "(b)" "$work/b/build"

    # The library's sources change: make rebuilds the library and relinks, once.
    touch "$kit_b/src/lib.rs"
    (cd "$work/b/build" && MAKEFLAGS="-j$JOBS" nice make) > "$work/b.src.log" 2>&1 || bad "(b): make after a source change failed"
    for t in "${targets[@]}"; do
        grep -q "cargo build .*--target-dir build/cargo/$t\$" "$work/b.src.log" \
            && grep -q "LINK  $t-linux-user/qemu-$t" "$work/b.src.log" \
            && [ "$kit_b/build/$t/libqemu_user_mmap.a" -nt "$kit_b/src/lib.rs" ] \
            && ok "(b): after src/lib.rs changed, make rebuilt build/$t and relinked qemu-$t" \
            || bad "(b): after src/lib.rs changed, build/$t was not rebuilt or qemu-$t not relinked"
    done
    make_again "(b) after the rebuild" "$work/b/build"

    # The guard: with the kit included, an mmap.o compiled from mmap.c must not link.
    cp -p "$stock/build/i386-linux-user/linux-user/mmap.o" "$work/b/build/i386-linux-user/linux-user/mmap.o"
    touch "$work/b/build/i386-linux-user/linux-user/mmap.o"
    rm -f "$work/b/build/i386-linux-user/qemu-i386"
    # (QEMU's own make of the target, as its top Makefile runs it, told to keep mmap.o.)
    if make -C "$work/b/build/i386-linux-user" -o linux-user/mmap.o BUILD_DIR="$work/b/build" \
        TARGET_DIR=i386-linux-user/ all > "$work/b.guard.log" 2>&1; then
        bad "(b): with the kit included, qemu-i386 linked mmap.c's object (make -o linux-user/mmap.o in i386-linux-user): $(qum_mmap_origin "$work/b/build/i386-linux-user/qemu-i386")"
    elif grep -q "required symbol \`qemu_user_mmap_mk_replaced_mmap_o' not defined" "$work/b.guard.log" \
        && [ ! -e "$work/b/build/i386-linux-user/qemu-i386" ]; then
        ok "(b): linking mmap.c's object with the kit included fails: $(grep -o "required symbol.*not defined" "$work/b.guard.log")"
    else
        bad "(b): make -o linux-user/mmap.o failed, not with the kit's message: $(tail -n 5 "$work/b.guard.log")"
    fi
    (cd "$work/b/build" && make) > "$work/b.restore.log" 2>&1 \
        && [ "$(qum_mmap_origin "$work/b/build/i386-linux-user/qemu-i386")" = library ] \
        && ok "(b): the next plain make replaces that mmap.o again and links the library" \
        || bad "(b): the next plain make did not restore the library: $(tail -n 5 "$work/b.restore.log")"

    # The line removed again: the next make compiles mmap.c and relinks, on its own.
    sed -i '/qemu-user-mmap\.mk/d' "$work/b/build/i386-linux-user/config-target.mak"
    (cd "$work/b/build" && MAKEFLAGS="-j$JOBS" nice make) > "$work/b.revert.log" 2>&1 \
        && grep -q "CC    i386-linux-user/linux-user/mmap.o" "$work/b.revert.log" \
        && [ "$(qum_mmap_origin "$work/b/build/i386-linux-user/qemu-i386")" = mmap.c ] \
        && ok "(b): with the line removed, make compiles mmap.c again and qemu-i386 links it" \
        || bad "(b): with the line removed, make did not go back to mmap.c: $(tail -n 5 "$work/b.revert.log")"
else
    tail -n 30 "$work/b.log"; bad "(b): make failed (log: $work/b.log)"
fi
fi

# ---- (c) an already-built tree whose mmap.o files are newer than the library ----------
if [[ $cases == *" c "* ]]; then
lap "(c) library built first in a fresh clone, then a built QEMU tree with newer mmap.o files"
kit_c=$work/clone-c
fresh_clone "$kit_c" || { bad "(c): git clone"; exit 1; }
for t in "${targets[@]}"; do
    nice make -C "$kit_c" lib TARGET="$t" > "$work/c.lib-$t.log" 2>&1 || bad "(c): make lib TARGET=$t"
done
mkdir -p "$work/c"
cp -a "$stock/build" "$work/c/build"
for t in "${targets[@]}"; do
    touch "$work/c/build/$t-linux-user/linux-user/mmap.o"
    [ -f "$kit_c/build/$t/libqemu_user_mmap.a" ] \
        && [ "$work/c/build/$t-linux-user/linux-user/mmap.o" -nt "$kit_c/build/$t/libqemu_user_mmap.a" ] \
        || bad "(c): setup: $t's mmap.o is not newer than $kit_c/build/$t/libqemu_user_mmap.a"
done
if readme_swap "$work/c/build" "$kit_c" "$work/c.log"; then
    grep -q 'cargo build' "$work/c.log" && bad "(c): the library was rebuilt (nothing changed in it)"
    ok "(c): README steps + make on a built tree, library older than mmap.o"
    check_tree "(c)" "$work/c/build" "$kit_c" "$work/c.log"
    make_again "(c)" "$work/c/build"
else
    tail -n 30 "$work/c.log"; bad "(c): make failed (log: $work/c.log)"
fi
fi

lap "done"
echo "real kit: $passed passed, $failed failed ($(( $(date +%s) - t0 )) s)"
[ "$failed" = 0 ]
