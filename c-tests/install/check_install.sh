#!/usr/bin/env bash
# make check-install: `make install` into temporary prefixes (PREFIX=..., and DESTDIR
# staging), then a program compiled and linked with only `pkg-config --cflags --libs
# qemu-user-mmap` (shared, with the SONAME symlinks) and `pkg-config --static` (static).
# Run from the repository's top directory. Needs pkg-config.
set -u
MAKE=${MAKE:-make}
CC=${CC:-gcc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qum-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { echo "PASS $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
command -v pkg-config >/dev/null || { echo "check-install: pkg-config is missing (Debian package pkg-config)" >&2; exit 2; }

prefix=$tmp/prefix
if $MAKE -s install PREFIX="$prefix" > "$tmp/install.log" 2>&1; then ok "make install PREFIX=$prefix"
else bad "make install"; cat "$tmp/install.log"; exit 1; fi
lib=$prefix/lib
for f in lib/libqemu_user_mmap.a lib/libqemu_user_mmap.so lib/libqemu_user_mmap.so.0 include/qemu_user_mmap.h lib/pkgconfig/qemu-user-mmap.pc; do
    [ -e "$prefix/$f" ] && ok "installed $f" || bad "missing $f"
done
soname=$(readelf -d "$lib/libqemu_user_mmap.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libqemu_user_mmap.so.0 ] && ok "SONAME $soname" || bad "SONAME '$soname'"
[ "$(readlink "$lib/libqemu_user_mmap.so.0")" != "" ] && [ -f "$(readlink -f "$lib/libqemu_user_mmap.so")" ] \
    && ok "symlinks: libqemu_user_mmap.so -> $(readlink "$lib/libqemu_user_mmap.so") -> $(readlink "$lib/libqemu_user_mmap.so.0")" \
    || bad "SONAME symlinks"

export PKG_CONFIG_PATH=$lib/pkgconfig
cflags=$(pkg-config --cflags qemu-user-mmap) && libs=$(pkg-config --libs qemu-user-mmap) \
    && ok "pkg-config --cflags --libs qemu-user-mmap: $cflags $libs" || bad "pkg-config"
# Shared: the executable exports the emulator side the library imports (-rdynamic).
if $CC -Wall -Werror $cflags -o "$tmp/t_shared" c-tests/install/install_test.c $libs -rdynamic \
        -Wl,-rpath,"$lib" > "$tmp/cc.log" 2>&1 && out=$("$tmp/t_shared") && [ "$out" = "install_test: ok" ]; then
    ok "compiled, linked (shared) and ran: $out ($(ldd "$tmp/t_shared" | grep -o 'libqemu_user_mmap.so.0 => [^ ]*'))"
else
    bad "shared link/run"; cat "$tmp/cc.log"
fi
slibs=$(pkg-config --static --libs qemu-user-mmap)
if $CC -Wall -Werror $cflags -o "$tmp/t_static" c-tests/install/install_test.c "$lib/libqemu_user_mmap.a" \
        $(pkg-config --static --libs-only-other --libs-only-l qemu-user-mmap | sed 's/-lqemu_user_mmap//') > "$tmp/cc2.log" 2>&1 \
        && out=$("$tmp/t_static") && [ "$out" = "install_test: ok" ] && ! ldd "$tmp/t_static" | grep -q qemu_user_mmap; then
    ok "compiled, linked (static, pkg-config --static: $slibs) and ran: $out"
else
    bad "static link/run"; cat "$tmp/cc2.log"
fi

# DESTDIR staging: everything under DESTDIR, the .pc file naming the final prefix.
dest=$tmp/stage
$MAKE -s install PREFIX=/opt/qum DESTDIR="$dest" > "$tmp/install2.log" 2>&1 \
    && [ -f "$dest/opt/qum/lib/libqemu_user_mmap.a" ] && grep -q '^prefix=/opt/qum$' "$dest/opt/qum/lib/pkgconfig/qemu-user-mmap.pc" \
    && ok "make install DESTDIR=... PREFIX=/opt/qum stages under DESTDIR, .pc says prefix=/opt/qum" \
    || { bad "DESTDIR install"; cat "$tmp/install2.log"; }
$MAKE -s uninstall PREFIX="$prefix" > /dev/null 2>&1
left=$(find "$prefix" -type f -o -type l | wc -l)
[ "$left" = 0 ] && ok "make uninstall removes every installed file" || bad "make uninstall left $left files"

echo "install: $passed passed, $failed failed"
[ "$failed" = 0 ]
