#!/usr/bin/env bash
# tests/e2e/test_group_commit.sh — many devices at once share commits and lose
# nothing: eight devices sync in parallel while a ninth replays a seq with other
# content; the ninth alone is refused (409), every change of the eight is
# stored once and acknowledged, and the collector's log says how many pushes
# each commit carried.
. "$(dirname "$0")/lib.sh"

C="$WORK/collector"
SQL() { sqlite3 "$C/collector.db" "$@"; }
PB() { /usr/bin/python3 "$ROOT/tests/e2e/pb.py" "$HEARTH_DESC" "$@"; }

start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
# Each device its own village: 60 households without members, a visit each.
for i in 1 2 3 4 5 6 7 8; do
  village=5118231013$(printf %02d "$i")
  /usr/bin/python3 - "$WORK/d$i.jsonl" "$village" <<'PY'
import json, sys
out, village = sys.argv[1], sys.argv[2]
with open(out, "w") as f:
    for n in range(60):
        reg = "%s%04d" % (village, n + 1)
        f.write(json.dumps({"household": {"registry_no": reg, "village_code": village,
            "category": "lifted", "relocated": False, "members": []}}) + "\n")
        f.write(json.dumps({"visit": {"registry_no": reg, "visited_on": "2026-10-%02d" % (1 + n % 28),
            "officer": "officer-gc", "household_size": 3, "income_yuan": {"wages": 4000 + 97 * n,
            "operating": 0, "property": 0, "transfer": 600}, "expenditure_yuan": {"medical": 0,
            "education": 0, "disaster": 0}, "guarantees": {"food": True, "clothing": True,
            "education": True, "medical": True, "housing": True, "water": True}}}) + "\n")
PY
  enrol "$WORK/d$i.db" "$C" "$village" || not_ok "device $i enrols"
  "$HEARTH" --db "$WORK/d$i.db" import "$WORK/d$i.jsonl" >/dev/null || not_ok "device $i imports"
done
Z="$WORK/z.db"
enrol "$Z" "$C" 511823101299 || not_ok "device Z enrols"
z=$(sqlite3 "$Z" "SELECT value FROM meta WHERE key = 'device_id'")
ZCURL() { curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" --cert "$Z.keys/device.crt" \
  --key "$Z.keys/device.key" -H 'Content-Type: application/x-protobuf' "$@"; }
PB household-change "$z" 1 01a20000-0000-7000-8000-00000000aa01 511823101299 2 >"$WORK/z1"
PB household-change "$z" 1 01a20000-0000-7000-8000-00000000aa02 511823101299 2 >"$WORK/z1-other"
expect "Z's first change is applied" "$(ZCURL --data-binary @"$WORK/z1" "$COLLECTOR_URL/v1/sync")" "200"

# The burst: eight syncs and Z's changed replay, all at once.
for i in 1 2 3 4 5 6 7 8; do
  "$HEARTH" --db "$WORK/d$i.db" sync --quiet >"$WORK/s$i.out" 2>&1 &
  eval "p$i=\$!"
done
ZCURL --data-binary @"$WORK/z1-other" "$COLLECTOR_URL/v1/sync" >"$WORK/z.code" &
zp=$!
for i in 1 2 3 4 5 6 7 8; do
  eval "wait \$p$i" || not_ok "device $i's sync succeeds" "$(cat "$WORK/s$i.out")"
done
wait "$zp"
expect "Z's changed replay is refused alone" "$(cat "$WORK/z.code")" "409"
sent=0 stored=0
for i in 1 2 3 4 5 6 7 8; do
  sent=$((sent + $(sqlite3 "$WORK/d$i.db" "SELECT count(*) FROM outbox WHERE state = 'acked'")))
  [ "$(sqlite3 "$WORK/d$i.db" "SELECT count(*) FROM outbox WHERE state <> 'acked'")" = 0 ] ||
    not_ok "device $i has nothing left to send"
done
expect "every change of the eight devices is applied once" \
  "$(SQL "SELECT count(*) FROM applied WHERE device_id <> '$z'")" "$sent"
expect "…their visits all stored" "$(SQL "SELECT count(*) FROM visits")" \
  "$(for i in 1 2 3 4 5 6 7 8; do sqlite3 "$WORK/d$i.db" "SELECT count(*) FROM visits"; done | awk '{ s += $1 } END { print s }')"
expect "Z keeps only its first change" "$(SQL "SELECT count(*) FROM applied WHERE device_id = '$z'")" "1"
contains "every answered sync says how many pushes its commit carried" "$C/serve.log" "POST /v2/sync 200 .* group=[1-9]"
stop_collector "$COLLECTOR_PID"
finish
