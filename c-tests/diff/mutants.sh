#!/usr/bin/env bash
# mutants.sh -- prove that the differential harness catches a wrong
# implementation.  Each mutant is a copy of the original mmap.c with one
# small, plausible porting mistake, made in a temporary directory OUTSIDE
# the repository (never committed) and linked as "ours".  A mutant is
# caught when at least one corpus or random script diverges.
#
#   mutants.sh [CONFIG...]      default: MUTANT_CONFIGS in mk/matrix.mk
#   DIFF_MUTANTS=REGEX          only the mutants whose name matches
#   DIFF_SEEDS (default 30) random scripts per configuration and mutant
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ORACLE=$(MAKEFLAGS= make -s --no-print-directory -C "$REPO" -f mk/oracle.mk print-oracle-dir) || exit 2
if [ ! -f "$ORACLE/mmap.c" ]; then
    echo "SKIP: oracle not found at $ORACLE: the mutation self-test did NOT run"
    exit 0
fi
CONFIGS=${*:-$(MAKEFLAGS= make -s --no-print-directory -C "$REPO" -f mk/matrix.mk print-MUTANT_CONFIGS)}
SEEDS=${DIFF_SEEDS:-30}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/diff-mutants.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# name | perl substitution applied to mmap.c (must change the file)
MUTANTS=$(cat <<'EOF'
frag-always-fresh|s/if \(prot1 == 0\) \{/if (1) {/
mprotect-drops-exec|s/prot &= PROT_READ \| PROT_WRITE \| PROT_EXEC;/prot &= PROT_READ | PROT_WRITE;/
next-start-off-by-page|s/mmap_next_start = addr \+ size;/mmap_next_start = addr + size + qemu_host_page_size;/
munmap-no-tb-invalidate|s/(page_set_flags\(start, start \+ len, 0\);\n\s*)tb_invalidate_phys_range\(start, start \+ len, 0\);/$1/
munmap-len0-succeeds|s/(len = TARGET_PAGE_ALIGN\(len\);\n\s*if \(len == 0\)\n\s*)return -EINVAL;(\n\s*mmap_lock\(\);\n\s*end = start \+ len;)/${1}return 0;$2/
mremap-forgets-prot|s/prot = page_get_flags\(old_addr\);/prot = PAGE_READ;/
mmap-offset-errno|s/(if \(offset & ~TARGET_PAGE_MASK\) \{\n\s*)errno = EINVAL;/${1}errno = ENOMEM;/
reserved-search-step|s/(if \(addr \+ size == end_addr\) \{\n\s*break;\n\s*\}\n\s*)addr -= qemu_host_page_size;/${1}addr -= 2 * qemu_host_page_size;/
msync-ignores-flags|s/return msync\(g2h\(start\), end - start, flags\);/return msync(g2h(start), end - start, MS_ASYNC);/
frag-pread-offset|s/pread\(fd, g2h\(start\), end - start, offset\)/pread(fd, g2h(start), end - start, offset + 1)/
mmap-flags-exec|s/the_end1:\n\s*page_set_flags\(start, start \+ len, prot \| PAGE_VALID\);/the_end1:\n    page_set_flags(start, start + len, (prot | PAGE_VALID) & ~PAGE_WRITE);/
mprotect-wrap-check|s/end = start \+ len;\n\s*if \(end < start\)\n\s*return -EINVAL;\n\s*prot &=/end = start + len;\n    prot &=/
reserve-keeps-neighbour|s/if \(prot != 0\)\n(\s*)real_end -= qemu_host_page_size;\n(\s*)\}\n(\s*)if \(real_start != real_end\)/if (prot == 0)\n$1real_end -= qemu_host_page_size;\n$2}\n$3if (real_start != real_end)/
EOF
)

caught=0 missed=0 total=0
printf '%-26s %s\n' "mutant" "result (failed scripts per configuration)"
while IFS='|' read -r name subst; do
    [ -n "$name" ] || continue
    if [ -n "${DIFF_MUTANTS:-}" ] && ! [[ $name =~ $DIFF_MUTANTS ]]; then continue; fi
    total=$((total + 1))
    mkdir -p "$TMP/$name"
    cp "$ORACLE"/*.h "$TMP/$name/"
    perl -0pe "$subst" "$ORACLE/mmap.c" > "$TMP/$name/mmap.c"
    if cmp -s "$ORACLE/mmap.c" "$TMP/$name/mmap.c"; then
        printf '%-26s %s\n' "$name" "BROKEN MUTANT (substitution did not apply)"
        missed=$((missed + 1))
        continue
    fi
    line="" any=0
    for c in $CONFIGS; do
        out=$(DIFF_BUILD="$TMP/build" DIFF_OURS_SRC="$TMP/$name/mmap.c" DIFF_SEEDS=$SEEDS \
              "$HERE/run.sh" check "$c" 2>&1 | tail -1)
        f=$(echo "$out" | sed -n 's/^[0-9]* passed, \([0-9]*\) failed$/\1/p')
        [ -n "$f" ] || f="?"
        line="$line $c:$f"
        [ "$f" != "?" ] && [ "$f" -gt 0 ] && any=1
    done
    if [ $any = 1 ]; then
        caught=$((caught + 1))
        printf '%-26s caught  %s\n' "$name" "$line"
    else
        missed=$((missed + 1))
        printf '%-26s MISSED  %s\n' "$name" "$line"
    fi
done <<< "$MUTANTS"
echo "mutants: $total, caught $caught, missed $missed"
[ $missed -eq 0 ]
