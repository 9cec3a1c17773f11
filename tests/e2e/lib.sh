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

# ---- a collector for the test: started and stopped by PID ---------------------------

# start_collector DIR [LISTEN]: init (once) and serve in the background; sets
# COLLECTOR_URL and COLLECTOR_PID. LISTEN defaults to a free loopback port.
start_collector() {
  local dir=$1 listen=${2:-127.0.0.1:0} i
  : "${HEARTHD:?set HEARTHD to the hearthd binary}"
  [ -f "$dir/collector.db" ] || "$HEARTHD" --dir "$dir" init >/dev/null 2>"$WORK/init.err" || {
    cat "$WORK/init.err" >&2; return 1; }
  rm -f "$dir/hearthd.url"
  "$HEARTHD" --dir "$dir" serve --listen "$listen" 2>>"$dir/serve.log" &
  disown 2>/dev/null || true
  COLLECTOR_PID=$!
  for i in $(seq 1 100); do
    [ -s "$dir/hearthd.url" ] && break
    sleep 0.1
  done
  COLLECTOR_URL=$(cat "$dir/hearthd.url" 2>/dev/null)
  [ -n "$COLLECTOR_URL" ] || { echo "collector in $dir did not start" >&2; return 1; }
  PIDS_TO_STOP="${PIDS_TO_STOP:-} $COLLECTOR_PID"
}

# stop_collector PID: SIGTERM, and wait (at most 15 s) for it to exit.
stop_collector() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  return 1
}

stop_all() { local p; for p in ${PIDS_TO_STOP:-}; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$WORK"; }
trap stop_all EXIT

# enrol DB DIR VILLAGES: a device database at DB, enrolled with the collector in
# DIR for VILLAGES. Prints nothing; fails the test run if enrolment fails.
enrol() {
  local db=$1 dir=$2 villages=$3 json code pin
  json=$("$HEARTHD" --dir "$dir" device add --officer officer-test --villages "$villages" --json) || return 1
  code=$(printf '%s' "$json" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
  pin=$(printf '%s' "$json" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ca_pin"])')
  [ -f "$db" ] || "$HEARTH" --db "$db" init >/dev/null || return 1
  "$HEARTH" --db "$db" enroll --server "$COLLECTOR_URL" --code "$code" --ca-pin "$pin" >/dev/null
}

# code_for DIR VILLAGES: a fresh one-time code, as "CODE PIN".
code_for() {
  "$HEARTHD" --dir "$1" device add --officer officer-test --villages "$2" --json |
    /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["code"], j["ca_pin"])'
}
