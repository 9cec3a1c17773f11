# tests/e2e/lib.sh — a few helpers for end-to-end tests of the real binaries.
#
# Each test script sources this, runs `hearth` ($HEARTH) on databases in its own
# temporary directory, and prints TAP ("ok N - name" / "not ok N - name").
# Checks assert on exit statuses, stdout and stderr, never on timing.
set -u

: "${HEARTH:?set HEARTH to the hearth binary}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SAMPLE="$ROOT/tests/data/sample.jsonl"
WORK=$(mktemp -d /tmp/hearth-e2e.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export HEARTH_DB="$WORK/device.db"
unset HEARTH_OFFICER
_n=0
_failed=0

ok()     { _n=$((_n + 1)); echo "ok $_n - $1"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# run CMD...: run it, keeping status in $rc, output in $WORK/out and $WORK/err.
run() { "$@" >"$WORK/out" 2>"$WORK/err"; rc=$?; }

# check NAME CMD...: passes when CMD exits 0.
check() {
  local name=$1; shift
  run "$@"
  if [ "$rc" = 0 ]; then ok "$name"; else not_ok "$name" "exit $rc: $*" "$(head -c 600 "$WORK/err")"; fi
}

# refuse NAME STATUS PATTERN CMD...: passes when CMD exits with STATUS and its
# stderr matches the extended regex PATTERN.
refuse() {
  local name=$1 want=$2 pattern=$3; shift 3
  run "$@"
  if [ "$rc" = "$want" ] && grep -Eq -- "$pattern" "$WORK/err"; then
    ok "$name"
  else
    not_ok "$name" "exit $rc (want $want): $*" "stderr: $(head -c 600 "$WORK/err")" "want /$pattern/"
  fi
}

# expect NAME ACTUAL EXPECTED: passes when the two strings are equal.
expect() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}

# contains NAME FILE PATTERN: passes when FILE matches the extended regex.
contains() {
  if grep -Eq -- "$3" "$2"; then ok "$1"; else not_ok "$1" "/$3/ not in $2:" "$(head -c 600 "$2")"; fi
}

finish() { echo "1..$_n"; [ "$_failed" = 0 ]; }
