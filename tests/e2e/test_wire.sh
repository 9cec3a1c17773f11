#!/usr/bin/env bash
# tests/e2e/test_wire.sh — protocol 2 on the wire (sync/wire.h): the agent
# syncs compact, deflated batches on /v2/sync; a protocol-1 device is still
# served; a batch first carried by one protocol and replayed by the other is
# recognised as the same (no 409); a body that inflates past the limit (a zip
# bomb), one that is not zlib, and an encoded protocol-1 body are refused; an
# idle device's cursor moves to the collector's change number.
. "$(dirname "$0")/lib.sh"

C="$WORK/collector"
A="$WORK/a.db"
B="$WORK/b.db"
SQL() { sqlite3 "$C/collector.db" "$@"; }
CURL() { curl -s -o "$WORK/resp" -w '%{http_code}' --cacert "$C/ca.crt" --cert "$A.keys/device.crt" \
  --key "$A.keys/device.key" -H 'Content-Type: application/x-protobuf' "$@"; }
deflate() { /usr/bin/python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))'; }

start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
enrol "$A" "$C" 511823101201,511823101202 || not_ok "A enrols"
enrol "$B" "$C" 511823102203 || not_ok "B enrols"

# ---- the agent speaks protocol 2 ---------------------------------------------------------------
grep -v 511823102203 "$ROOT/tests/data/sample.jsonl" >"$WORK/sample.jsonl"
check "A imports households and visits" "$HEARTH" --db "$A" import "$WORK/sample.jsonl"
check "A syncs" "$HEARTH" --db "$A" sync --quiet
contains "…on /v2/sync" "$C/serve.log" "POST /v2/sync 200 .* v2 changes=[1-9]"
if grep -q "POST /v1/sync" "$C/serve.log"; then not_ok "…and not on /v1/sync" "$(grep /v1/sync "$C/serve.log")"
else ok "…and not on /v1/sync"; fi
expect "every visit reached the collector" "$(SQL "SELECT count(*) FROM visits")" \
  "$(sqlite3 "$A" "SELECT count(*) FROM visits")"
expect "every household has the collector's tier on A (tiers named by 16-byte keys)" \
  "$(sqlite3 "$A" "SELECT count(*) FROM tiers WHERE source = 'collector'")" "$(SQL "SELECT count(*) FROM tiers")"
expect "…with the rulebook version the answer gave once for all" \
  "$(sqlite3 "$A" "SELECT count(DISTINCT rulebook) FROM tiers WHERE source = 'collector'")" "1"
# Batches: a sync starts with at most 32 changes; an idle collector then asks for up to 1024.
sizes=$(grep -o "POST /v2/sync 200 .* v2 changes=[0-9]*" "$C/serve.log" | sed 's/.*changes=//' | tr '\n' ' ')
first=${sizes%% *}
if [ -n "$first" ] && [ "$first" -ge 1 ] && [ "$first" -le 32 ]; then ok "a sync's first batch carries at most 32 changes ($sizes)"
else not_ok "a sync's first batch carries at most 32 changes" "$sizes"; fi
contains "…and the answer asks for up to 1024 next (one device syncing)" "$C/serve.log" "POST /v2/sync 200 .* next=1024"
second=$(echo "$sizes" | cut -d' ' -f2)
if [ -n "$second" ] && [ "$second" -gt 32 ]; then ok "…which the agent sends ($second changes)"
else not_ok "…which the agent sends" "$sizes"; fi
bytes=$(grep "POST /v2/sync 200 .* v2 changes=[1-9]" "$C/serve.log" | head -1 | sed 's/.* in=\([0-9]*\) .*/\1/')
changes=$(grep "POST /v2/sync 200 .* v2 changes=[1-9]" "$C/serve.log" | head -1 | sed 's/.*changes=\([0-9]*\).*/\1/')
if [ -n "$bytes" ] && [ "$bytes" -lt $((changes * 120)) ]; then ok "a batch is deflated ($bytes bytes for $changes changes)"
else not_ok "a batch is deflated" "$bytes bytes for $changes changes"; fi

# ---- a replay across protocols is the same batch ----------------------------------------------
hh=$(sqlite3 "$A" "SELECT id FROM households ORDER BY registry_no LIMIT 1")
"$HEARTH" --db "$A" visit record "$hh" --date 2026-11-02 --officer officer-test --wages 3000 \
  --operating 0 --property 0 --transfer 0 --medical 0 --education 0 --disaster 0 >/dev/null
HEARTH_FAULT=sync-before-ack:1 "$HEARTH" --db "$A" sync --quiet --retries 0 >/dev/null 2>&1
expect "a v2 batch applied, its answer lost: the change is still unsent on A" \
  "$(sqlite3 "$A" "SELECT count(*) FROM outbox WHERE state = 'pending'")" "1"
check "A sends it again in protocol 1" "$HEARTH" --db "$A" sync --quiet --protocol 1
contains "…on /v1/sync, answered as before" "$C/serve.log" "POST /v1/sync 200 .* v1 changes=1 rejected=0"
if grep -q " 409 " "$C/serve.log"; then not_ok "…not refused as a changed replay" "$(grep ' 409 ' "$C/serve.log")"
else ok "…not refused as a changed replay"; fi
expect "…stored once" "$(SQL "SELECT count(*) FROM visits WHERE visited_on = '2026-11-02'")" "1"
expect "…and acknowledged" "$(sqlite3 "$A" "SELECT count(*) FROM outbox WHERE state = 'pending'")" "0"

# ---- hostile bodies ---------------------------------------------------------------------------
head -c 4194304 /dev/zero | deflate >"$WORK/bomb"
expect "a body that inflates to 4 MiB (a zip bomb of $(stat -c %s "$WORK/bomb") bytes) is refused" \
  "$(CURL -H 'Content-Encoding: deflate' --data-binary @"$WORK/bomb" "$COLLECTOR_URL/v2/sync")" "413"
printf 'this is not zlib' >"$WORK/junk"
expect "a body that does not inflate is refused" \
  "$(CURL -H 'Content-Encoding: deflate' --data-binary @"$WORK/junk" "$COLLECTOR_URL/v2/sync")" "400"
expect "an encoding other than deflate is refused" \
  "$(CURL -H 'Content-Encoding: br' --data-binary @"$WORK/junk" "$COLLECTOR_URL/v2/sync")" "415"
expect "a protocol-1 body that says it is encoded is refused" \
  "$(CURL -H 'Content-Encoding: deflate' --data-binary @"$WORK/junk" "$COLLECTOR_URL/v1/sync")" "415"
expect "the collector serves on" "$(curl -s --cacert "$C/ca.crt" "$COLLECTOR_URL/v1/health")" "ok"

# ---- an idle device's cursor moves ------------------------------------------------------------
check "B syncs with nothing to send" "$HEARTH" --db "$B" sync --quiet
expect "B's cursor is the collector's last change number, though none of it is B's" \
  "$(sqlite3 "$B" "SELECT value FROM meta WHERE key = 'pull_cursor'")" \
  "$(SQL "SELECT CAST(value AS INTEGER) - 1 FROM meta WHERE key = 'next_change'")"
expect "…and B received nothing" "$(sqlite3 "$B" "SELECT count(*) FROM tiers")" "0"

# ---- a pushing device's cursor moves past what its own push changed ---------------------------
# (its pull is read in its commit's transaction, before the change counter is stored)
reg=$(sqlite3 "$A" "SELECT registry_no FROM households ORDER BY registry_no LIMIT 1")
check "A records a visit" "$HEARTH" --db "$A" visit record "$reg" --date "$(date +%F)" --officer o-t \
  --size 2 --wages 0 --operating 0 --property 0 --transfer 0
run "$HEARTH" --db "$A" sync
contains "A syncs it, and pulls its household's new tier once, not again in a second round" "$WORK/out" \
  "1 sent, 1 acknowledged, 0 quarantined, 1 pulled"
expect "A's cursor is the collector's last change number, its own visit's tier included" \
  "$(sqlite3 "$A" "SELECT value FROM meta WHERE key = 'pull_cursor'")" \
  "$(SQL "SELECT CAST(value AS INTEGER) - 1 FROM meta WHERE key = 'next_change'")"
run "$HEARTH" --db "$A" sync
contains "…so its next sync pulls nothing again" "$WORK/out" " 0 pulled"

stop_collector "$COLLECTOR_PID"
finish
