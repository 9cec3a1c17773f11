#!/usr/bin/env bash
# tests/fuzz/replay.sh — replay every committed fuzzing input under ASan and
# UBSan: the corpus (tests/fuzz/corpus/NAME) and every crash ever found
# (tests/fuzz/crashes/NAME), each through its libFuzzer target once, no
# mutation. Prints TAP: one line per target and kind.
#
# usage: tests/fuzz/replay.sh FUZZ_BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: tests/fuzz/replay.sh FUZZ_BUILD_DIR}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

n=0
for bin in "$build"/bin/fuzz_*; do
  name=${bin##*/fuzz_}
  for kind in corpus crashes; do
    files=()
    if [ -d "$here/$kind/$name" ]; then
      while IFS= read -r f; do files+=("$f"); done < <(find "$here/$kind/$name" -type f ! -name '.*' | sort)
    fi
    [ "$kind" = crashes ] && [ ${#files[@]} = 0 ] && continue    # none found yet
    n=$((n + 1))
    if [ ${#files[@]} = 0 ]; then
      echo "not ok $n - fuzz $name: no corpus in tests/fuzz/corpus/$name"
      continue
    fi
    log=$(mktemp)
    if "$bin" -rss_limit_mb=2048 -timeout=30 "${files[@]}" >"$log" 2>&1; then
      echo "ok $n - fuzz $name: ${#files[@]} $kind inputs replayed"
    else
      echo "not ok $n - fuzz $name: a $kind input fails"
      grep -E 'Running:|ERROR|runtime error|property does not hold|SUMMARY' "$log" | tail -8 | sed 's/^/#   /'
    fi
    rm -f "$log"
  done
done
echo "1..$n"
