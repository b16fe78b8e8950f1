#!/bin/sh
# check-symbols.sh BUILD_DIR
# Checks that the static and shared libraries in BUILD_DIR export exactly mmap.c's symbols
# and import exactly what mmap.c imports from the emulator, plus only libc/libpthread/
# libgcc/libm/libdl/librt symbols. A "-noguestbase" build must not import guest_base or
# reserved_va.
set -eu
dir=$1
a=$dir/libqemu_user_mmap.a
so=$dir/libqemu_user_mmap.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '%s\n' target_mprotect target_mmap target_munmap target_mremap target_msync \
    mmap_find_vma mmap_lock mmap_unlock mmap_fork_start mmap_fork_end mmap_next_start last_brk \
    | sort > "$tmp/exports.want"
case "$dir" in
  *noguestbase*) extra="" ;;
  *) extra="guest_base reserved_va" ;;
esac
printf '%s\n' page_get_flags page_set_flags tb_invalidate_phys_range qemu_host_page_size \
    qemu_host_page_mask qemu_real_host_page_size mmap_min_addr $extra | sort > "$tmp/imports.want"

# What the system libraries define (the allowed "other" imports).
for lib in libc.so.6 libpthread.so.0 libgcc_s.so.1 libm.so.6 libdl.so.2 librt.so.1 ld-linux-x86-64.so.2; do
  path=$(gcc -print-file-name="$lib")
  [ -e "$path" ] || path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
  [ -n "$path" ] && [ -e "$path" ] && nm -D --defined-only "$path" 2>/dev/null | awk '{ print $NF }'
done | sed 's/@.*//' | sort -u > "$tmp/system"
# libgcc.a's helpers (e.g. __udivti3) count as libgcc too.
nm --defined-only "$(gcc -print-libgcc-file-name)" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u >> "$tmp/system"
sort -u -o "$tmp/system" "$tmp/system"

fail=0
# Static library: C-visible globals defined by the archive, ignoring the Rust runtime's
# own (mangled, __rust_*, rust_* and compiler-builtins __* names).
# readelf, not nm: binutils' nm reads no symbols from some of the Rust runtime's objects.
readelf -sW "$a" 2>/dev/null | awk '$5 == "GLOBAL" || $5 == "WEAK" { print $5, $7, $8 }' > "$tmp/a.syms"
awk '$2 != "UND" { print $3 }' "$tmp/a.syms" | sort -u > "$tmp/a.defined"
# Strong globals only: compiler-builtins' weak math fallbacks (fabs, fmod, ...) yield to libm.
awk '$1 == "GLOBAL" && $2 != "UND" { print $3 }' "$tmp/a.syms" | sort -u \
  | grep -Ev '^(_ZN|_R|__rust|rust_|__|anon\.)' > "$tmp/a.exports" || true
awk '$1 == "GLOBAL" && $2 == "UND" { print $3 }' "$tmp/a.syms" | sed 's/@.*//' | sort -u \
  | comm -23 - "$tmp/a.defined" > "$tmp/a.undef"
comm -23 "$tmp/a.undef" "$tmp/system" > "$tmp/a.imports"

nm -D --defined-only "$so" | awk '{ print $NF }' | sort -u > "$tmp/so.exports"
nm -D --undefined-only "$so" | awk '$1 == "U" { print $2 }' | sed 's/@.*//' | sort -u \
  | comm -23 - "$tmp/system" > "$tmp/so.imports"

check() { # what want got
  if ! cmp -s "$2" "$3"; then
    echo "FAIL $dir: $1 differ (- expected, + found):"
    diff "$2" "$3" | grep '^[<>]' | sed 's/^</  -/; s/^>/  +/'
    fail=1
  fi
}
check "static exports" "$tmp/exports.want" "$tmp/a.exports"
check "static imports" "$tmp/imports.want" "$tmp/a.imports"
check "shared exports" "$tmp/exports.want" "$tmp/so.exports"
check "shared imports" "$tmp/imports.want" "$tmp/so.imports"
soname=$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = "libqemu_user_mmap.so.0" ] || { echo "FAIL $dir: SONAME is '$soname'"; fail=1; }
if [ $fail -eq 0 ]; then
  echo "symbols OK: $dir ($(wc -l < "$tmp/exports.want") exports, $(wc -l < "$tmp/imports.want") emulator imports)"
fi
exit $fail
