#!/usr/bin/env bash
# tests/e2e/test_link_cut.sh — a sync through a link that drops mid-answer (a
# TCP proxy of ours resets both sides once the collector's answers pass a byte
# count): the device sends again at most one batch, and nothing is lost or
# stored twice.
. "$(dirname "$0")/lib.sh"

C="$WORK/collector"
A="$WORK/a.db"
SQL() { sqlite3 "$C/collector.db" "$@"; }

start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
port=${COLLECTOR_URL##*:}
enrol "$A" "$C" 511823101201,511823101202 || not_ok "the device enrols"
grep -v 511823102203 "$SAMPLE" >"$WORK/sample.jsonl"
"$HEARTH" --db "$A" import "$WORK/sample.jsonl" >/dev/null
"$ROOT/tests/data/make_visits.py" "$WORK/more.jsonl" 1200
check "1,200 more visits are recorded" "$HEARTH" --db "$A" import "$WORK/more.jsonl"
total=$(sqlite3 "$A" "SELECT count(*) FROM outbox WHERE state = 'pending'")

# The link: every byte through the proxy; the first connection is reset once
# 6,000 bytes of answers have gone down (past the TLS handshake, inside an answer).
/usr/bin/python3 "$ROOT/tests/e2e/link_proxy.py" 127.0.0.1 0 127.0.0.1 "$port" 120 \
  --cut-down-after 6000 --cut-once --stats "$WORK/link.stats" --ready "$WORK/link.port" &
proxy=$!
PIDS_TO_STOP="$PIDS_TO_STOP $proxy"
for _ in $(seq 1 100); do [ -s "$WORK/link.port" ] && break; sleep 0.1; done
sqlite3 "$A" "UPDATE meta SET value = 'https://127.0.0.1:$(cat "$WORK/link.port")' WHERE key = 'server_url'"

run "$HEARTH" --db "$A" sync --quiet --retries 0
expect "the sync through the dropped link stops as a network failure (exit 10)" "$rc" "10"
applied=$(SQL "SELECT count(*) FROM applied")
if [ "$applied" -gt 0 ] && [ "$applied" -lt "$total" ]; then ok "…after the collector applied part of the outbox ($applied of $total)"
else not_ok "…after the collector applied part of the outbox" "$applied of $total applied"; fi
check "the next sync, over the same link, completes" "$HEARTH" --db "$A" sync --quiet --retries 0
kill -TERM "$proxy"; wait "$proxy" 2>/dev/null
contains "the link was cut once" "$WORK/link.stats" "cuts 1$"
expect "every change is acknowledged" "$(sqlite3 "$A" "SELECT count(*) FROM outbox WHERE state = 'pending'")" "0"
expect "every visit is on the collector once" "$(SQL "SELECT count(*) FROM visits")" \
  "$(sqlite3 "$A" "SELECT count(*) FROM visits")"
expect "…and every change applied once" "$(SQL "SELECT count(*) FROM applied")" "$total"
# Changes the collector received in answered requests, against the distinct ones:
# the difference is what was sent again, at most one batch.
received=$(grep -o "POST /v2/sync 200 .* v2 changes=[0-9]*" "$C/serve.log" | sed 's/.*changes=//' | awk '{ s += $1 } END { print s + 0 }')
batch=$(grep -o "POST /v2/sync 200 .* v2 changes=[0-9]*" "$C/serve.log" | sed 's/.*changes=//' | sort -n | tail -1)
again=$((received - total))
if [ "$again" -ge 0 ] && [ "$again" -le "$batch" ]; then ok "at most one batch was sent again ($again changes; a batch is up to $batch)"
else not_ok "at most one batch was sent again" "$again changes sent again; a batch is up to $batch"; fi

stop_collector "$COLLECTOR_PID"
finish
