#!/usr/bin/env bash
# tests/fuzz/run.sh — `make fuzz`: run each libFuzzer target for a set time.
#
# Each target starts from the committed corpus (tests/fuzz/corpus/NAME) and
# grows a working copy under the build (BUILD/corpus/NAME), kept between runs.
# A crash, a leak, a hang past 30 s or a broken property is written to
# tests/fuzz/crashes/NAME/ — commit it with its fix: `make test` replays it for
# ever. With --merge, what the run found that covers new code is merged,
# minimised, into the committed corpus. One line per target: runs, coverage,
# corpus, crashes. Exits 1 when a target crashed.
#
# usage: tests/fuzz/run.sh --build DIR [--seconds N] [--merge] [TARGET...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
build="" seconds=60 merge=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --merge) merge=1; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz: unknown option $1 (try --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ -n "$build" ] || { echo "usage: tests/fuzz/run.sh --build DIR [--seconds N] [--merge] [TARGET...]" >&2; exit 2; }
case "$seconds" in ''|*[!0-9]*) echo "fuzz: --seconds takes a whole number" >&2; exit 2 ;; esac
if [ ${#targets[@]} = 0 ]; then
  for b in "$build"/bin/fuzz_*; do targets+=("${b##*/fuzz_}"); done
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

crashed=0
printf 'fuzz: %d target(s), %s s each\n' "${#targets[@]}" "$seconds"
for name in "${targets[@]}"; do
  bin="$build/bin/fuzz_$name"
  [ -x "$bin" ] || { echo "fuzz: no target '$name' (build it: make fuzz-build)" >&2; exit 2; }
  work="$build/corpus/$name" crashes="$here/crashes/$name"
  mkdir -p "$work" "$crashes"
  log="$build/fuzz-$name.log"
  before=$(find "$crashes" -type f | wc -l)
  echo "fuzz: $name for $seconds s (log: $log)"
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "$work" "$here/corpus/$name" >"$log" 2>&1
  rc=$?
  after=$(find "$crashes" -type f | wc -l)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  printf '  %-14s %8s runs  %-10s corpus %5d  new crashes %d\n' "$name" "${runs:-?}" "${cov:-cov: ?}" \
    "$(find "$work" -type f | wc -l)" $((after - before))
  if [ "$rc" != 0 ] || [ "$after" -gt "$before" ]; then
    crashed=1
    grep -E 'ERROR|runtime error|property does not hold|SUMMARY|Test unit written' "$log" | head -8 | sed 's/^/    /'
  fi
  if [ "$merge" = 1 ]; then
    "$bin" -merge=1 -rss_limit_mb=2048 -timeout=30 "$here/corpus/$name" "$work" >"$log.merge" 2>&1 ||
      echo "    merge failed: see $log.merge"
  fi
done
[ "$crashed" = 0 ] || { echo "fuzz: crashes found: see tests/fuzz/crashes/" >&2; exit 1; }
