#!/usr/bin/env bash
# tests/run.sh — run every test and end with one line "N passed, N failed".
#
#   unit   cmocka tests of each module, in the plain build and in the
#          AddressSanitizer + UndefinedBehaviorSanitizer build
#   wire   messages from our encoder decoded by python3-protobuf
#   e2e    the real `hearth` binary on temporary databases, plain and sanitized
#   crash  power cut at 10,000 random points in the device's and the
#          collector's writes (tests/crash/): every database opens whole, every
#          step reported durable is there once
#   fuzz   every committed fuzzing input (corpus and crashes) through its
#          libFuzzer target under ASan and UBSan (tests/fuzz/replay.sh)
#   tls    testssl.sh scans a running collector: AEAD suites, TLS 1.2/1.3 only
#   deps   the dependency fetch, offline, against a stand-in apt
#   cross  for each board build: its unit tests under qemu-user, and its static
#          agent end to end against the host collector
#
# Every runner prints TAP; this script counts "ok" and "not ok" lines, shows the
# failures, and counts a runner that dies without reporting as one failure.
#
# usage: tests/run.sh --build DIR --asan-build DIR [--fuzz-build DIR] [--cross DIR]...
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build="" asan="" fuzz=""
crosses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --asan-build) asan=$2; shift 2 ;;
    --fuzz-build) fuzz=$2; shift 2 ;;
    --cross) crosses+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$build" ] && [ -n "$asan" ] || { echo "usage: tests/run.sh --build DIR --asan-build DIR" >&2; exit 2; }

passed=0 failed=0
logs=$(mktemp -d /tmp/hearth-tests.XXXXXX)
trap 'rm -rf "$logs"' EXIT
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# suite LABEL CMD...: run one TAP-printing runner and count its results.
suite() {
  local label=$1; shift
  local log="$logs/$(echo "$label" | tr ' /' '__').log" ok bad rc
  "$@" >"$log" 2>&1
  rc=$?
  ok=$(grep -c '^ok ' "$log")
  bad=$(grep -c '^not ok ' "$log")
  if [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
    bad=1
    echo "not ok - $label: exited with status $rc without reporting a failure" >>"$log"
  fi
  passed=$((passed + ok))
  failed=$((failed + bad))
  printf '%-40s %4d passed, %d failed\n' "$label" "$ok" "$bad"
  if [ "$bad" != 0 ]; then
    grep -A12 '^not ok' "$log" | sed 's/^/    /' | head -60
    grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' -A8 "$log" | sed 's/^/    /' | head -40
  fi
}

for variant in "$build" "$asan"; do
  kind=plain; [ "$variant" = "$asan" ] && kind=asan
  for t in "$variant"/bin/test_*; do
    suite "unit/$kind $(basename "$t")" "$t"
  done
done

wire=$(mktemp -d "$logs/wire.XXXXXX")
if "$build/bin/encode_sample" "$wire"; then
  suite "wire python3-protobuf" /usr/bin/python3 "$root/tests/wire/check_decode.py" "$build/gen/hearth.desc" "$wire"
else
  suite "wire encode" false
fi

for variant in "$build" "$asan"; do
  kind=plain; [ "$variant" = "$asan" ] && kind=asan
  for t in "$root"/tests/e2e/test_*.sh; do
    suite "e2e/$kind $(basename "$t" .sh)" env HEARTH="$variant/bin/hearth" HEARTHD="$variant/bin/hearthd" \
      HEARTH_DESC="$build/gen/hearth.desc" bash "$t"
  done
done

# Power cuts (about 3 minutes): once, plain build. HEARTH_POWERCUT_RUNS changes the count.
suite "crash power cuts" "$build/bin/powercut" --runs "${HEARTH_POWERCUT_RUNS:-10000}" \
  "$root/tests/data/sample.jsonl"

[ -n "$fuzz" ] && suite "fuzz corpus replay" bash "$root/tests/fuzz/replay.sh" "$fuzz"

# An independent TLS scan of the collector (about a minute): once, plain build.
suite "tls testssl" env HEARTH="$build/bin/hearth" HEARTHD="$build/bin/hearthd" \
  bash "$root/tests/tls/test_testssl.sh"

for t in "$root"/tests/deps/test_*.sh; do
  suite "deps $(basename "$t" .sh)" bash "$t"
done

. "$root/cross/targets.sh"
for board in ${crosses[@]+"${crosses[@]}"}; do
  name=$(basename "$board")
  hh_target "$name" || { suite "cross/$name" false; continue; }
  for t in "$board"/bin/test_*; do
    suite "unit/$name $(basename "$t")" "$HH_QEMU" "$t"
  done
  suite "cross/$name board" env TARGET="$name" BOARD_HEARTH="$board/bin/hearth" \
    HEARTH="$board/bin/hearth" HEARTHD="$build/bin/hearthd" bash "$root/tests/cross/test_board.sh"
done

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
