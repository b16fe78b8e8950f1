#!/usr/bin/env bash
# c-tests/qemu/prepare.sh OUT QEMU_SRC
#
# Prepares the guest side of the real-QEMU suite (run.sh) under OUT (build/qemu):
#   OUT/sysroot/<arch>   Debian 12 packages unpacked with dpkg -x, per guest architecture
#                        (i386, armhf, amd64): busybox-static, libc6, coreutils, sqlite3,
#                        python3.11 and their run-time dependencies (apt-cache depends
#                        --recurse, kept to the architecture's own packages)
#   OUT/guests/<target>  static guest programs per QEMU target (i386, arm, x86_64):
#                        QEMU's tests/tcg/test-mmap.c (from QEMU_SRC) and
#                        c-tests/qemu/guests/g_*.c
#   OUT/data             the input files (multi-megabyte text for sort and sha256sum)
# Installs what it needs with apt-get when run as root (the i386 and armhf architectures,
# the arm cross compiler, the i386 multilib files). Idempotent: finished steps are kept
# (stamps record their inputs).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:?usage: prepare.sh OUT QEMU_SRC}
QSRC=${2:?usage: prepare.sh OUT QEMU_SRC}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
log() { printf '[qemu-prepare %s] %s\n' "$(date +%T)" "$*"; }
die() { printf 'qemu-prepare: %s\n' "$*" >&2; exit 1; }

ARCHES="i386 armhf amd64"
# The packages the suite runs; their dependencies are added by apt-cache.
ROOTS="busybox-static libc6 coreutils sqlite3 python3.11"
# Dependencies of no use to these programs (pulled in through dpkg and perl).
SKIP='dpkg|install-info|tar|perl.*|libperl.*|libdb5\.3|libgdbm.*|mailcap|mime-support|media-types|readline-common|libtirpc-common|gcc-12-base|tzdata|debconf.*'

# ---- 1. host tools --------------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
need=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross libc6-dev-i386 lib32gcc-12-dev)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
foreign=$(dpkg --print-foreign-architectures)
need_arch=()
for a in i386 armhf; do grep -qx "$a" <<<"$foreign" || need_arch+=("$a"); done
updated=
if [ ${#need_arch[@]} -gt 0 ] || [ ${#missing[@]} -gt 0 ] \
    || ! apt-cache show libc6:armhf >/dev/null 2>&1 || ! apt-cache show libc6:i386 >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "run as root, or: dpkg --add-architecture i386; dpkg --add-architecture armhf; apt-get update; apt-get install ${need[*]}"
    for a in "${need_arch[@]}"; do log "dpkg --add-architecture $a"; dpkg --add-architecture "$a"; done
    log "apt-get update"
    apt-get update -qq
    updated=1
    if [ ${#missing[@]} -gt 0 ]; then
        log "apt-get install ${missing[*]}"
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

# ---- 2. sysroots ----------------------------------------------------------------------
pkglist() { # arch -> the packages of that architecture to unpack, one per line
    local a=$1 q=() r
    for r in $ROOTS; do q+=("$r:$a"); done
    apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances "${q[@]}" 2>/dev/null | grep -v '^ ' | grep -v '^<' |
        if [ "$a" = "$(dpkg --print-architecture)" ]; then grep -v ':'; else sed -n "s/:$a\$//p"; fi |
        grep -vxE "$SKIP" | sort -u
}
for a in $ARCHES; do
    SR=$OUT/sysroot/$a
    list=$(pkglist "$a")
    [ -n "$list" ] || die "apt-cache found no packages for $a (apt-get update needed?)"
    for r in $ROOTS; do grep -qx "$r" <<<"$list" || die "$a: $r missing from the dependency list"; done
    if [ "$(cat "$SR/.packages" 2>/dev/null)" = "$list" ]; then continue; fi
    log "$a: downloading $(wc -l <<<"$list") packages"
    D=$OUT/debs/$a
    rm -rf "$D" "$SR" && mkdir -p "$D" "$SR"
    dl=()
    while read -r p; do dl+=("$p:$a"); done <<<"$list"
    if ! (cd "$D" && apt-get download -qq "${dl[@]}" >/dev/null 2>"$D/download.err"); then
        if [ -z "$updated" ] && [ "$(id -u)" = 0 ]; then
            apt-get update -qq && updated=1
            (cd "$D" && apt-get download -qq "${dl[@]}" >/dev/null) || die "$a: apt-get download failed"
        else
            cat "$D/download.err" >&2; die "$a: apt-get download failed"
        fi
    fi
    for d in "$D"/*.deb; do dpkg -x "$d" "$SR"; done
    rm -f "$SR/.pyc-done"
    printf '%s\n' "$list" > "$SR/.packages"
    log "$a: sysroot $SR ($(du -sh "$SR" | cut -f1))"
done
# Byte-compile each sysroot's Python library once, with the amd64 python3.11 run natively
# (.pyc files do not depend on the architecture): the guests run with
# PYTHONDONTWRITEBYTECODE=1 and do not compile the modules they import under emulation.
PYSR=$OUT/sysroot/amd64
for a in $ARCHES; do
    SR=$OUT/sysroot/$a
    [ -f "$SR/.pyc-done" ] && continue
    log "$a: byte-compiling the Python library"
    PYTHONHOME=$PYSR/usr "$PYSR/lib64/ld-linux-x86-64.so.2" \
        --library-path "$PYSR/lib/x86_64-linux-gnu:$PYSR/usr/lib/x86_64-linux-gnu" \
        "$PYSR/usr/bin/python3.11" -m compileall -q -j 0 -x 'test|lib2to3|idlelib|tkinter' \
        "$SR/usr/lib/python3.11" > /dev/null || die "$a: compileall failed"
    touch "$SR/.pyc-done"
done

# ---- 3. guest programs ----------------------------------------------------------------
TM=$QSRC/tests/tcg/test-mmap.c
[ -f "$TM" ] || die "no $TM (QEMU 2.3.0 source)"
cc_for() {
    case $1 in
        i386) echo "gcc -m32 -isystem /usr/include/x86_64-linux-gnu" ;;
        arm) echo "arm-linux-gnueabihf-gcc" ;;
        x86_64) echo "gcc" ;;
    esac
}
for t in i386 arm x86_64; do
    G=$OUT/guests/$t
    mkdir -p "$G"
    CC=$(cc_for "$t")
    stamp="$CC|$(cat "$TM" "$HERE"/guests/*.c "$HERE"/guests/*.h | sha256sum | cut -c1-16)"
    [ "$(cat "$G/.stamp" 2>/dev/null)" = "$stamp" ] && continue
    log "$t: building guests with $CC"
    # test-mmap.c is QEMU's own (2015) code: no -Werror, as in its own Makefile.
    $CC -O2 -static -o "$G/test-mmap" "$TM"
    for c in "$HERE"/guests/g_*.c; do
        n=$(basename "$c" .c)
        $CC -O2 -Wall -Wextra -Werror -static -pthread -o "$G/$n" "$c"
    done
    file "$G/test-mmap" | grep -q 'statically linked' || die "$G/test-mmap is not static"
    echo "$stamp" > "$G/.stamp"
done

# ---- 4. data --------------------------------------------------------------------------
# Multi-megabyte text: 8-hex-digit keys in scrambled order, a counter and a filler.
DATA=$OUT/data
mkdir -p "$DATA"
if [ ! -s "$DATA/.done" ]; then
    log "generating input files"
    awk 'BEGIN { for (i = 0; i < 200000; i++) {
            k = (i * 2654435761) % 4294967296;
            printf "%08x %07d line-of-text-to-sort-%d\n", k, i, i % 977 } }' > "$DATA/text-8m.txt"
    awk 'BEGIN { for (i = 0; i < 60000; i++) {
            k = (i * 40503 + 12345) % 65536;
            printf "%05d %s\n", k, "abcdefghijklmnopqrstuvwxyz0123456789" } }' > "$DATA/text-2m.txt"
    cat "$DATA/text-8m.txt" "$DATA/text-2m.txt" "$DATA/text-8m.txt" > "$DATA/blob-18m.bin"
    ls -l "$DATA" | awk 'NR > 1 { print $5, $9 }' > "$DATA/.done"
fi
log "ready: $OUT"
