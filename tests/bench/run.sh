#!/usr/bin/env bash
# tests/bench/run.sh — the benchmarks (make bench). Prints figures; never
# passes or fails on timing. Servers run on loopback only and are stopped by PID.
#
# usage: tests/bench/run.sh BUILD_DIR [VISITS_AGENT] [VISITS_INGEST]
set -eu
build=$1
visits=${2:-10000}
ingest_visits=${3:-50000}
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d /tmp/hearth-bench.XXXXXX)
pids=""
trap 'for p in $pids; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$dir"' EXIT
hearth="$build/bin/hearth" hearthd="$build/bin/hearthd"

echo "== the agent binary"
strip -o "$dir/hearth.stripped" "$hearth"
stat -c %s "$dir/hearth.stripped" | awk '{ printf "hearth stripped: %d bytes (%.2f MiB)\n", $1, $1 / 1048576 }'
echo "shared libraries:"; ldd "$hearth" | sed 's/^/  /'
if ldd "$hearth" | grep -Eq 'libcurl|libmbed'; then
  echo "WARNING: curl or mbedTLS linked dynamically"
fi
echo
echo "== recording visits on the device"
mkdir -p "$dir/visits"
"$build/bin/bench_visits" "$visits" "$dir/visits"

# serve DIR [SETTINGS]: a fresh collector on a free loopback port; sets URL and PID.
serve() {
  "$hearthd" --dir "$1" init --listen 127.0.0.1:0 >/dev/null
  if [ -n "${2:-}" ]; then printf '%s\n' "$2" >>"$1/hearthd.conf"; fi
  "$hearthd" --dir "$1" serve 2>"$1.log" &
  PID=$!
  pids="$pids $PID"
  for _ in $(seq 1 100); do [ -s "$1/hearthd.url" ] && break; sleep 0.1; done
  URL=$(cat "$1/hearthd.url")
}
stop() { kill -TERM "$1"; wait "$1" 2>/dev/null || true; }

# ingest LABEL DEVICES PER_VILLAGE: DEVICES devices, PER_VILLAGE of them
# sharing each village (1: every device its own), push $ingest_visits visits.
ingest() {
  c="$dir/ingest-$1"
  serve "$c" "per_ip_connection_limit = 1000
connection_limit = 1024
enrol_attempts_total = 100000"
  for i in $(seq 0 $(($2 - 1))); do
    village=$(printf '51182310%04d' $((i / $3 + 1)))
    code=$("$hearthd" --dir "$c" device add --officer "bench-$i" --villages "$village" --json |
      sed 's/.*"code": "\([^"]*\)".*/\1/')
    echo "$code $village $((i % $3))"
  done >"$c.codes"
  mkdir -p "$c.work"
  "$build/bin/bench_ingest" "$URL" "$c/ca.crt" "$c.codes" "$ingest_visits" "$c.work" "$PID" ||
    echo "            (bench_ingest reported failures)"
  rss=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
  stored=$(sqlite3 "$c/collector.db" "SELECT count(*) FROM visits")
  printf '             collector peak RSS %.1f MiB; visits stored %s\n' "$(echo "$rss" | awk '{ print $1 / 1024 }')" "$stored"
  stop "$PID"
}

echo
echo "== the floor: the rows a visit writes, through plain SQLite (WAL, synchronous=FULL), one transaction per batch"
"$build/bin/bench_floor" "$dir/floor.db" "$ingest_visits"
echo
echo "== ingest over mutual TLS: 250 households of 4 members per device, every visit to another household"
for n in 1 8 32 200; do ingest "$n" "$n" 1; done
echo "== worst case: 32 devices, 8 to a village"
ingest shared 32 8

echo
echo "== one device's sync of 500 visits (after its households are synced)"
c="$dir/wire"
serve "$c"
json=$("$hearthd" --dir "$c" device add --officer bench --villages 511823101201,511823101202 --json)
code=$(printf '%s' "$json" | sed 's/.*"code": "\([^"]*\)".*/\1/')
pin=$(printf '%s' "$json" | sed 's/.*"ca_pin": "\([^"]*\)".*/\1/')
db="$dir/wire.db"
"$hearth" --db "$db" init >/dev/null
"$hearth" --db "$db" enroll --server "$URL" --code "$code" --ca-pin "$pin" >/dev/null
grep -v '511823102203' "$root/tests/data/sample.jsonl" | grep '"household"' | sed 's/, "visit": {.*}}$/}/' >"$dir/households.jsonl"
"$hearth" --db "$db" import "$dir/households.jsonl" >/dev/null
"$hearth" --db "$db" sync --quiet >/dev/null
/usr/bin/python3 - "$dir/visits.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(500):
        village = "511823101201" if i % 2 else "511823101202"
        reg = "%s%04d" % (village, (i % 16) * 3 + (1 if village.endswith("01") else 2))
        f.write(json.dumps({"visit": {"registry_no": reg, "visited_on": "2026-%02d-%02d" % (1 + i % 9, 1 + i % 28),
            "officer": "officer-017", "household_size": 4, "income_yuan": {"wages": 9000 + i, "operating": 2000,
            "property": 0, "transfer": 1500}, "expenditure_yuan": {"medical": 0, "education": 0, "disaster": 0},
            "shocks": ["illness"] if i % 9 == 0 else [], "guarantees": {"food": True, "clothing": True,
            "education": True, "medical": True, "housing": True, "water": True}, "notes": ""}}) + "\n")
PY
"$hearth" --db "$db" import "$dir/visits.jsonl" >/dev/null
"$build/bin/peak_rss" "$hearth" --db "$db" sync --quiet >"$dir/sync.out" 2>"$dir/sync.err"
/usr/bin/python3 - "$dir/sync.out" "$dir/sync.err" <<'PY'
import re, sys
out, err = open(sys.argv[1]).read(), open(sys.argv[2]).read()
m = re.search(r"(\d+) sent.*?; (\d+) requests, (\d+) bytes up, (\d+) bytes down", out)
sent, requests, up, down = (int(x) for x in m.groups())
rss_kib = int(re.search(r"peak_rss_kib (\d+)", err).group(1))
print(out.strip())
print("visits %d: %.0f bytes/visit on the wire (requests + responses, headers included; %.0f up, %.0f down)"
      % (sent, (up + down) / sent, up / sent, down / sent))
print("round trips: %d; agent peak RSS during the sync: %.1f MiB" % (requests, rss_kib / 1024))
PY
stop "$PID"
