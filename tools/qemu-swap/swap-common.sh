# swap-common.sh: shell functions shared by real_swap.sh and run_real_kit.sh (sourced).
#
# How a linked qemu-<target> tells which mmap it has (QEMU 2.3.0 is built unstripped,
# --disable-strip, as build-qemu.sh does):
#   library:  Rust symbols of the crate (_ZN14qemu_user_mmap...), and the absolute symbol
#             qemu_user_mmap_mk_replaced_mmap_o that only the kit's linux-user/mmap.o script
#             defines;
#   mmap.c:   its file-local symbols mmap_frag, mmap_reserve (static functions) and
#             mmap_mutex (static data), present in every stock build (the global names,
#             target_mmap and so on, are the same in both and tell nothing).

# qum_readme_steps README TARGET KIT_DIR: the swap-kit steps of README.md's section
# "Swapping it into a QEMU 2.3 build" (its first sh block, comments dropped), for TARGET
# and with KIT_DIR in place of /path/to/qemu-user-mmap, one command a line.
qum_readme_steps() {
    local readme=$1 t=$2 kit=$3
    awk '/^## Swapping it into a QEMU 2.3 build/ { s = 1; next }
         s && /^## / { exit }
         s && /^```sh/ { b = 1; next }
         b && /^```/ { exit }
         b && !/^[[:space:]]*#/ && NF { print }' "$readme" |
        sed -e "s|/path/to/qemu-user-mmap|$kit|g" -e "s|arm-linux-user|$t-linux-user|g"
}

# qum_check_steps STEPS: the steps are one `echo "include .../qemu-user-mmap.mk" >>
# <target>-linux-user/config-target.mak` line and one `make` line, nothing else.
qum_check_steps() {
    local steps=$1
    [ "$(wc -l <<< "$steps")" = 2 ] \
        && grep -Eq '^echo "include [^"]+/qemu-user-mmap\.mk" >> [a-z0-9_]+-linux-user/config-target\.mak$' <<< "$steps" \
        && grep -Eq '^make$' <<< "$steps"
}

# qum_mmap_origin BINARY: prints "library", "mmap.c", "both" or "neither".
qum_mmap_origin() {
    local syms lib=0 c=0
    syms=$(nm "$1" 2>/dev/null) || { echo neither; return; }
    grep -q '_ZN14qemu_user_mmap' <<< "$syms" \
        && grep -Eq ' A qemu_user_mmap_mk_replaced_mmap_o$' <<< "$syms" && lib=1
    grep -Eq ' [tTbBdD] (mmap_frag|mmap_reserve|mmap_mutex)$' <<< "$syms" && c=1
    case $lib$c in
        10) echo library ;; 01) echo mmap.c ;; 11) echo both ;; *) echo neither ;;
    esac
}

# qum_is_kit_script FILE: FILE is the kit's linker script (not an ELF object).
qum_is_kit_script() {
    [ -f "$1" ] && head -n 1 "$1" | grep -q 'a GNU ld script from qemu-user-mmap.mk'
}
