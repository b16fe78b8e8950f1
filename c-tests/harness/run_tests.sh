#!/bin/sh
# run_tests.sh BUILD_DIR "ENV=VAL ..." test...
# Runs each test binary, keeps its log in BUILD_DIR/<test>.log, prints one
# line per test and a summary; exits non-zero when any test failed.
# "KNOWN_BUG(n):" lines (expected failures of suspected library bugs, see
# tcommon.h and docs/TESTING.md) are counted and shown, and do not fail a test.
build=$1; runenv=$2; shift 2
pass=0; fail=0; skip=0; failed=""; known=0
for t in "$@"; do
  log="$build/$t.log"
  # a hang (e.g. a broken lock) must not stall the whole matrix
  if command -v timeout >/dev/null 2>&1; then
    timeout -k 5 ${TEST_TIMEOUT:-120} env $runenv "$build/$t" >"$log" 2>&1
  else
    env $runenv "$build/$t" >"$log" 2>&1
  fi
  rc=$?
  last=$(tail -n 1 "$log")
  nskip=$(grep -c '^SKIP:' "$log")
  nknown=$(grep -c '^KNOWN_BUG(' "$log")
  known=$((known + nknown))
  case "$last" in
    *" passed, 0 failed") ok=1 ;;
    *) ok=0 ;;
  esac
  if [ $rc -eq 0 ] && [ $ok -eq 1 ]; then
    npass=$(echo "$last" | sed 's/ passed.*//')
    if [ "$npass" -eq 0 ] && [ "$nskip" -gt 0 ]; then
      skip=$((skip + 1)); printf '  SKIP %-24s %s\n' "$t" "$(grep -m1 '^SKIP:' "$log" | sed 's/^SKIP: //')"
    else
      pass=$((pass + 1))
      if [ "$nskip" -gt 0 ]; then extra=" ($nskip parts skipped)"; else extra=""; fi
      if [ "$nknown" -gt 0 ]; then
        extra="$extra ($nknown known-bug checks: $(grep -o '^KNOWN_BUG([0-9]*)' "$log" | sort -u | tr '\n' ' ' | sed 's/ $//'))"
      fi
      printf '  PASS %-24s %s%s\n' "$t" "$last" "$extra"
    fi
  else
    fail=$((fail + 1)); failed="$failed $t"
    printf '  FAIL %-24s rc=%s: %s\n' "$t" "$rc" "$last"
    grep -E 'FAIL|Assertion|emu:' "$log" | head -n 20 | sed 's/^/       /'
  fi
done
echo "CONFIG=$CONFIG IMPL=$IMPL: $pass tests passed, $skip skipped, $fail failed${failed:+ (}${failed# }${failed:+)}$([ $known -gt 0 ] && echo "; $known known-bug checks")"
[ $fail -eq 0 ]
