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
trap 'for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT
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

# serve DIR [SETTINGS]: a collector (made if DIR has none) on a free loopback port; sets URL and PID.
serve() {
  if [ ! -f "$1/collector.db" ]; then
    "$hearthd" --dir "$1" init --listen 127.0.0.1:0 >/dev/null
    if [ -n "${2:-}" ]; then printf '%s\n' "$2" >>"$1/hearthd.conf"; fi
  fi
  rm -f "$1/hearthd.url"
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
  "$build/bin/bench_ingest" "$URL" "$c/ca.crt" "$c.codes" "$ingest_visits" "$c.work" "$PID" \
    >"$c.out" || echo "            (bench_ingest reported failures)"
  cat "$c.out"
  rate=$(sed -n 's/.* = \([0-9]*\) visits\/s.*/\1/p' "$c.out")
  rss=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
  stored=$(sqlite3 "$c/collector.db" "SELECT count(*) FROM visits")
  if [ -n "$rate" ] && [ -n "$floor_rate" ]; then
    printf '             ratio to the plain-SQLite floor of this run: %.2f\n' "$(echo "$rate / $floor_rate" | bc -l)"
  fi
  printf '             collector peak RSS %.1f MiB; visits stored %s\n' "$(echo "$rss" | awk '{ print $1 / 1024 }')" "$stored"
  stop "$PID"
}

echo
echo "== the floor: the rows a visit writes, through plain SQLite (WAL, synchronous=FULL), one transaction per batch"
"$build/bin/bench_floor" "$dir/floor.db" "$ingest_visits" | tee "$dir/floor.out"
floor_rate=$(sed -n 's/.* = \([0-9]*\) visits\/s.*/\1/p' "$dir/floor.out")
echo
echo "== ingest over mutual TLS: 250 households of 4 members per device, every visit to another household"
for n in 1 8 32 200; do ingest "$n" "$n" 1; done
echo "== worst case: 32 devices, 8 to a village"
ingest shared 32 8

# fill DIR VISITS: put VISITS visits (50 a household, 250 households a village,
# tiers for all) into the collector database in DIR with SQL, as if synced.
fill() {
  local households=$(($2 / 50))
  sqlite3 "$1/collector.db" <<SQL
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $households - 1)
INSERT INTO households (id, registry_no, village_code, category, relocated, resettlement_site,
  created_hlc, updated_hlc, change_no)
SELECT printf('01900000-0000-7000-8000-%012x', i), printf('F%011d', i), printf('5118231%05d', i / 250 + 2),
  'lifted', 0, '', 1, 1, i + 1 FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $2 - 1)
INSERT INTO visits (id, household_id, visited_on, officer, household_size, wages, operating, property,
  transfer, medical, education, disaster, shocks, guarantees_met, lat_microdeg, lon_microdeg, notes,
  supersedes, hlc)
SELECT printf('01900001-0000-7000-8000-%012x', i), printf('01900000-0000-7000-8000-%012x', i % $households),
  printf('2026-%02d-%02d', 1 + i % 11, 1 + i % 28), 'officer', 4, 9000 + i % 5000, 2000, 0, 1500, 400,
  800, 0, 0, 63, NULL, NULL, '', NULL, i + 1 FROM n;
INSERT INTO tiers (household_id, village_code, tier, reasons, rulebook, last_visit_on, per_capita_yuan,
  review, change_no, computed_ms, since_ms)
SELECT id, village_code, 1 + change_no % 4, '', (SELECT version FROM rulebooks WHERE current = 1),
  '2026-11-01', 3000, 'computed', $households + change_no, 0, 0 FROM households;
UPDATE meta SET value = CAST(2 * $households + 1 AS TEXT) WHERE key = 'next_change';
COMMIT;
SQL
}

echo
echo "== an idle device's sync (nothing to send, nothing to pull) against a collector holding N visits"
for n in 10000 1000000; do
  c="$dir/idle-$n"
  "$hearthd" --dir "$c" init --listen 127.0.0.1:0 >/dev/null
  fill "$c" "$n"
  serve "$c"
  code=$("$hearthd" --dir "$c" device add --officer idle --villages 511823100001 --json |
    sed 's/.*"code": "\([^"]*\)".*/\1/')
  echo "$code 511823100001 0" >"$c.codes"
  mkdir -p "$c.work"
  printf '%8s visits: ' "$n"
  "$build/bin/bench_ingest" "$URL" "$c/ca.crt" "$c.codes" idle:300 "$c.work" "$PID" ||
    echo "            (bench_ingest reported failures)"
  stop "$PID"
done

echo
echo "== one device's sync of 500 visits (after its households are synced)"
c="$dir/wire"
serve "$c"
db="$dir/wire.db"
"$root/tests/bench/prepare_device.sh" "$build" "$c" "$URL" "$db" "$dir"
# Bytes of the device database in use (pages not on the free list).
in_use() { sqlite3 "$1" "SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count)" |
  awk -v size="$(sqlite3 "$1" 'PRAGMA page_size')" '{ print $1 * size }'; }
used_before=$(in_use "$db")
"$build/bin/peak_rss" "$hearth" --db "$db" sync --quiet --keep-acked 0 >"$dir/sync.out" 2>"$dir/sync.err"
used_after=$(in_use "$db")
/usr/bin/python3 - "$dir/sync.out" "$dir/sync.err" <<'PY'
import re, sys
out, err = open(sys.argv[1]).read(), open(sys.argv[2]).read()
m = re.search(r"(\d+) sent.*?; (\d+) requests, (\d+) bytes up, (\d+) bytes down", out)
sent, requests, up, down = (int(x) for x in m.groups())
rss_kib = int(re.search(r"peak_rss_kib (\d+)", err).group(1))
print(out.strip())
print("visits %d: %.0f HTTP bytes per visit (requests and answers, headers included, deflated bodies;"
      " %.0f up, %.0f down)" % (sent, (up + down) / sent, up / sent, down / sent))
print("%d HTTP requests on one TLS connection; agent peak RSS during the sync: %.1f MiB"
      % (requests, rss_kib / 1024))
PY
printf 'device database in use: %d bytes before the sync, %d after (acknowledged changes pruned: %+.0f bytes per visit); outbox rows left: %s\n' \
  "$used_before" "$used_after" "$(echo "($used_after - $used_before) / 500" | bc -l)" \
  "$(sqlite3 "$db" "SELECT count(*) FROM outbox")"
stop "$PID"

echo
echo "== hearth visit record, one process per visit as the officer runs it"
rdb="$dir/record.db"
"$hearth" --db "$rdb" init >/dev/null
grep '"household"' "$root/tests/data/sample.jsonl" | sed 's/, "visit": {.*}}$/}/' >"$dir/record-households.jsonl"
"$hearth" --db "$rdb" import "$dir/record-households.jsonl" >/dev/null
regs=$(sqlite3 "$rdb" "SELECT registry_no FROM households ORDER BY registry_no")
# record N FIRST: N visit record processes, one after the other.
record() {
  local i day r=($regs)
  for ((i = $2; i < $2 + $1; i++)); do
    printf -v day '2026-11-%02d' $((i % 28 + 1))
    "$hearth" --db "$rdb" visit record "${r[$((i % ${#r[@]}))]}" --date "$day" \
      --officer bench --wages $((5000 + i)) --operating 0 --property 0 --transfer 1500 >/dev/null
  done
}
record 20 0    # warm up
t0=$(date +%s%N)
record 200 100
per_ms=$(echo "($(date +%s%N) - $t0) / 200 / 1000000" | bc -l)
t0=$(date +%s%N)
for i in $(seq 1 200); do "$hearth" --db "$rdb" status >/dev/null; done
status_ms=$(echo "($(date +%s%N) - $t0) / 200 / 1000000" | bc -l)
# The fsyncs of 200 more, each process's counted by strace: the visit's commit,
# and the fold of the WAL into the database (past 1 MiB, about 35 visits without
# a sync) in the process that passes it and the WAL's new start in the next.
export -f record
export hearth rdb regs
strace -f -o "$dir/fsyncs.trace" -e trace=fsync,fdatasync bash -c 'record 200 400' >/dev/null 2>&1
fsyncs=$(grep -cE '^[0-9]+ +f(data)?sync\(' "$dir/fsyncs.trace" || true)
printf '%.1f ms per visit recorded (200 processes; a read-only `status` takes %.1f ms); %.2f fsyncs per visit (%d over 200, strace)\n' \
  "$per_ms" "$status_ms" "$(echo "$fsyncs / 200" | bc -l)" "$fsyncs"
printf '  processes by their fsyncs:'
awk '$2 ~ /^f(data)?sync\(/ { n[$1]++ } END { for (p in n) k[n[p]]++; for (c in k) printf " %d did %d;", k[c], c }' \
  "$dir/fsyncs.trace"
echo

echo
echo "== the PIN: visit record on a sealed database, and what unlocking costs"
sdb="$dir/sealed.db"
"$hearth" --db "$sdb" init >/dev/null
"$hearth" --db "$sdb" import "$dir/record-households.jsonl" >/dev/null
printf '482916\n' | "$hearth" --db "$sdb" pin set --pin-stdin >/dev/null
plain_rdb=$rdb
rdb=$sdb
record 20 0
t0=$(date +%s%N)
record 200 100
sealed_ms=$(echo "($(date +%s%N) - $t0) / 200 / 1000000" | bc -l)
rdb=$plain_rdb
printf '%.1f ms per visit recorded sealed (200 processes), %.2f x the plain database above\n' \
  "$sealed_ms" "$(echo "$sealed_ms / $per_ms" | bc -l)"
# unlock_ms BINARY [RUNNER]: ms for one unlock (PBKDF2-HMAC-SHA256, 200,000 rounds), best of 3.
unlock_ms() {
  local best="" t i
  for i in 1 2 3; do
    "$hearth" --db "$sdb" lock >/dev/null
    t0=$(date +%s%N)
    printf '482916\n' | ${2:+$2} "$1" --db "$sdb" unlock --pin-stdin >/dev/null || { echo "failed"; return; }
    t=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
  done
  echo "$best"
}
printf 'unlock on this machine: %s ms\n' "$(unlock_ms "$hearth")"
. "$root/cross/targets.sh"
for board in armhf arm64; do
  bin="$root/build/$board/bin/hearth"
  if [ -x "$bin" ] && hh_target "$board" && command -v "$HH_QEMU" >/dev/null; then
    printf 'unlock on %s under %s (emulated, not a board): %s ms\n' "$board" "$HH_QEMU" "$(unlock_ms "$bin" "$HH_QEMU")"
  else
    echo "unlock on $board: not measured (make cross TARGET=$board first)"
  fi
done

echo
echo "== 500 visits over a 2G-like link, beside an ODK-style client"
bash "$root/tests/bench/link.sh" "$build" "$dir" || echo "(the link benchmark failed)"
