#!/usr/bin/env bash
# The swap-kit test (make check-kit): a QEMU-2.3-style build tree (qemu-2.3-mini/), built
# once with its own C linux-user/mmap.o and then, in the same built tree (its mmap.o newer
# than the library), with qemu-user-mmap.mk included from config-target.mak, for x86_64,
# arm (reserved_va), sparc32plus (ABI32, 8 KiB pages) and x86_64 --disable-guest-base;
# then checks that linking the C mmap.o with the kit included fails, and that removing the
# line brings the C mmap.o back. Also checks
# `make TARGET_CONFIG=...` on each config-target.mak.
# Run from the repository's top directory.
set -u
top=$(pwd)
src=$top/c-tests/qemu-kit/qemu-2.3-mini
work=$top/build/qemu-kit
MAKE=${MAKE:-make}
passed=0
failed=0
ok() { echo "PASS $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }

# The top-level Makefile with mk/kit.mk included (a patched copy when it is not).
mk=Makefile
if ! grep -q '^include mk/kit.mk' Makefile; then
    mkdir -p build
    sed '/^GUEST_BASE *?= *yes/a include mk/kit.mk' Makefile > build/Makefile.kit
    mk=build/Makefile.kit
    echo "run_kit: Makefile does not include mk/kit.mk yet: using $mk"
fi

rm -rf "$work"
mkdir -p "$work/gb" "$work/nogb"
(cd "$work/gb" && "$src/configure" --target-list=x86_64-linux-user,arm-linux-user,sparc32plus-linux-user) || exit 1
(cd "$work/nogb" && "$src/configure" --target-list=x86_64-linux-user --disable-guest-base) || exit 1

check_target() { # build-dir target expected-lib-name
    local dir=$1 t=$2 name=$3 bin=$1/$2-linux-user/qemu-$2 cfg=$1/$2-linux-user/config-target.mak

    # make TARGET_CONFIG=... picks the preset from the file.
    local got
    got=$($MAKE -s -f "$mk" kit-print-target TARGET_CONFIG="$cfg")
    local want="TARGET=$t GUEST_BASE=$([ "$name" = "$t" ] && echo yes || echo no)"
    [ "$got" = "$want" ] && ok "$name: make TARGET_CONFIG picks '$got'" || bad "$name: make TARGET_CONFIG gave '$got', want '$want'"
    if $MAKE -s -f "$mk" lib TARGET_CONFIG="$cfg" > "$work/$name.lib.log" 2>&1 && [ -f "build/$name/libqemu_user_mmap.a" ]; then
        ok "$name: make TARGET_CONFIG=... lib built build/$name/libqemu_user_mmap.a"
    else
        bad "$name: make TARGET_CONFIG=... lib"; tail -n 20 "$work/$name.lib.log"
    fi

    # 1. The tree as configured: the C stand-in mmap.o is linked (and refuses to run).
    if $MAKE -C "$dir/$t-linux-user" > "$work/$name.c.log" 2>&1 && nm "$bin" | grep -q qemu_kit_c_mmap_o_marker; then
        "$bin" > /dev/null 2>&1
        [ $? = 3 ] && ok "$name: control build links the C mmap.o" || bad "$name: control build does not behave as the C stand-in"
    else
        bad "$name: control build"; tail -n 20 "$work/$name.c.log"
    fi
    # Kept, newer than the library (built above): the kit must replace it all the same.
    cp -p "$dir/$t-linux-user/linux-user/mmap.o" "$work/$name.c-mmap.o"

    # 2. With the fragment included from config-target.mak, in the built tree.
    echo "include $top/qemu-user-mmap.mk" >> "$cfg"
    if ! $MAKE -C "$dir/$t-linux-user" > "$work/$name.kit.log" 2>&1; then
        bad "$name: build with qemu-user-mmap.mk"; tail -n 30 "$work/$name.kit.log"; return
    fi
    grep -q "GEN   linux-user/mmap.o (qemu-user-mmap: $top/build/$name/libqemu_user_mmap.a)" "$work/$name.kit.log" \
        && ! grep -q "CC    linux-user/mmap.o" "$work/$name.kit.log" \
        && ok "$name: linux-user/mmap.c not compiled; mmap.o is the library's link script" \
        || bad "$name: mmap.o was not replaced"
    local syms
    syms=$(nm "$bin")
    if ! grep -q qemu_kit_c_mmap_o_marker <<< "$syms" && grep -q ' T target_mmap$' <<< "$syms" \
        && grep -q '_ZN14qemu_user_mmap' <<< "$syms" && grep -q ' T page_set_flags$' <<< "$syms"; then
        ok "$name: qemu-$t contains the library (Rust symbols, target_mmap) and not the C mmap.o"
    else
        bad "$name: qemu-$t does not contain the library"
    fi
    local out
    for ps in 0 65536; do
        if out=$(QEMU_PAGESIZE=$([ $ps = 0 ] || echo $ps) timeout 60 "$bin" 2>&1); then
            ok "$name, host page ${ps/#0/real}: $out"
        else
            bad "$name, host page ${ps/#0/real}: $out"
        fi
    done
    # Rebuilding is a no-op (no phony step relinks every time).
    $MAKE -C "$dir/$t-linux-user" > "$work/$name.again.log" 2>&1
    grep -q LINK "$work/$name.again.log" && bad "$name: a second make relinks" || ok "$name: a second make does nothing"
    # With the kit included, a link that takes mmap.c's object fails loudly.
    cp -p "$work/$name.c-mmap.o" "$dir/$t-linux-user/linux-user/mmap.o"
    touch "$dir/$t-linux-user/linux-user/mmap.o"
    rm -f "$bin"
    if $MAKE -C "$dir/$t-linux-user" -o linux-user/mmap.o > "$work/$name.guard.log" 2>&1; then
        bad "$name: with the kit included, the C mmap.o was linked"
    else
        grep -q "required symbol \`qemu_user_mmap_mk_replaced_mmap_o' not defined" "$work/$name.guard.log" \
            && ok "$name: linking the C mmap.o with the kit included fails (required symbol not defined)" \
            || bad "$name: the link of the C mmap.o failed without the kit's message: $(tail -n 3 "$work/$name.guard.log")"
    fi
    $MAKE -C "$dir/$t-linux-user" > "$work/$name.restore.log" 2>&1 && ! nm "$bin" | grep -q qemu_kit_c_mmap_o_marker \
        && ok "$name: the next make replaces the C mmap.o again" || bad "$name: the next make kept the C mmap.o"
    # The line removed: the next make compiles mmap.c again.
    sed -i '/qemu-user-mmap\.mk/d' "$cfg"
    $MAKE -C "$dir/$t-linux-user" > "$work/$name.revert.log" 2>&1 && nm "$bin" | grep -q qemu_kit_c_mmap_o_marker \
        && ok "$name: with the line removed, make links the C mmap.o again" \
        || bad "$name: with the line removed, make kept the library"
}

check_target "$work/gb" x86_64 x86_64
check_target "$work/gb" arm arm
check_target "$work/gb" sparc32plus sparc32plus
check_target "$work/nogb" x86_64 x86_64-noguestbase

# Refusals: a config without TARGET_ABI32 for sparc32plus, an unknown target, a softmmu one.
bad_cfg=$work/bad.mak
sed '/TARGET_ABI32/d' "$work/gb/sparc32plus-linux-user/config-target.mak" > "$bad_cfg"
$MAKE -s -f "$mk" kit-print-target TARGET_CONFIG="$bad_cfg" > "$work/bad.log" 2>&1 \
    && bad "ABI mismatch accepted" || { grep -q 'TARGET_ABI32 does not match' "$work/bad.log" && ok "TARGET_CONFIG: ABI mismatch refused" || bad "ABI mismatch: $(cat "$work/bad.log")"; }
sed 's/^TARGET_NAME=.*/TARGET_NAME=tilegx/' "$work/gb/arm-linux-user/config-target.mak" > "$bad_cfg"
$MAKE -s -f "$mk" kit-print-target TARGET_CONFIG="$bad_cfg" > "$work/bad.log" 2>&1 \
    && bad "unknown target accepted" || { grep -q "no preset for target 'tilegx'" "$work/bad.log" && ok "TARGET_CONFIG: unknown target refused" || bad "unknown target: $(cat "$work/bad.log")"; }
sed '/CONFIG_LINUX_USER/d' "$work/gb/arm-linux-user/config-target.mak" > "$bad_cfg"
$MAKE -s -f "$mk" kit-print-target TARGET_CONFIG="$bad_cfg" > "$work/bad.log" 2>&1 \
    && bad "softmmu config accepted" || { grep -q 'not a linux-user target' "$work/bad.log" && ok "TARGET_CONFIG: non-linux-user config refused" || bad "softmmu: $(cat "$work/bad.log")"; }
$MAKE -s -f "$mk" kit-print-target TARGET_CONFIG="$work/gb/arm-linux-user/config-target.mak" TARGET=x86_64 > "$work/bad.log" 2>&1 \
    && bad "conflicting TARGET accepted" || ok "TARGET_CONFIG: a conflicting TARGET refused"

echo "kit: $passed passed, $failed failed"
[ "$failed" = 0 ]
