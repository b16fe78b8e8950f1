#!/bin/sh
# san_run.sh BUILD_DIR "ENV=VAL ..." prog...
# Runs sanitizer builds.  A program fails when a sanitizer reported anything
# (AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer, ThreadSanitizer:
# the report markers on its output, or the sanitizers' exit codes 86/66), or,
# for the reliability programs (r_*), when its own checks fail.  The C tests
# (t_*) are judged on the sanitizers only: their functional verdicts belong to
# `make check-c` and are shown for information.
build=$1; runenv=$2; shift 2
pass=0; fail=0; failed=""
for t in "$@"; do
  log="$build/$t.log"
  timeout -k 5 ${TEST_TIMEOUT:-300} env $runenv "$build/$t" >"$log" 2>&1
  rc=$?
  last=$(tail -n 1 "$log")
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer|ThreadSanitizer: (reported|FATAL)|SUMMARY: (Address|Thread|UndefinedBehavior)Sanitizer' "$log" \
     || [ $rc -eq 86 ] || [ $rc -eq 66 ] || [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    fail=$((fail + 1)); failed="$failed $t"
    printf '  FAIL %-24s rc=%s: sanitizer report\n' "$t" "$rc"
    grep -m 12 -E 'ERROR:|runtime error|WARNING:|SUMMARY:|#[0-9] ' "$log" | sed 's/^/       /'
    continue
  fi
  case "$t" in
    r_*)
      case "$last" in
        *" passed, 0 failed") ok=1 ;;
        *) ok=0 ;;
      esac
      if [ $rc -eq 0 ] && [ $ok -eq 1 ]; then
        pass=$((pass + 1)); printf '  PASS %-24s sanitizer-clean; %s\n' "$t" "$last"
      else
        fail=$((fail + 1)); failed="$failed $t"
        printf '  FAIL %-24s rc=%s: %s\n' "$t" "$rc" "$last"
      fi ;;
    *)
      [ $rc -gt 128 ] && last="died of signal $((rc - 128)) after: $last"
      pass=$((pass + 1)); printf '  PASS %-24s sanitizer-clean (its own checks: %s)\n' "$t" "$last" ;;
  esac
done
echo "CONFIG=$CONFIG IMPL=$IMPL: $pass programs sanitizer-clean, $fail failed${failed:+ (}${failed# }${failed:+)}"
[ $fail -eq 0 ]
