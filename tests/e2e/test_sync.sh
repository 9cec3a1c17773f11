#!/usr/bin/env bash
# tests/e2e/test_sync.sh — one collector, two devices with overlapping villages,
# real processes and real mutual TLS on loopback: enrolment, offline records,
# sync, tiers back to both, scope, a concurrent edit and its conflict.
. "$(dirname "$0")/lib.sh"

C="$WORK/collector"
A="$WORK/a.db"
B="$WORK/b.db"
SQL() { sqlite3 "$C/collector.db" "$@"; }

start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
ok "collector starts and writes its URL"
run curl -s --cacert "$C/ca.crt" "$COLLECTOR_URL/v1/health"
expect "health over TLS, verified with the collector CA" "$(cat "$WORK/out")" "ok"

# Device A: villages 201 and 202; device B: villages 202 and 203. A took the
# whole sample before it was enrolled (village 203 is outside its scope: an
# enrolled device would refuse it at entry, so the collector refuses it at sync).
"$HEARTH" --db "$A" init >/dev/null
"$HEARTH" --db "$A" import "$SAMPLE" >/dev/null
enrol "$A" "$C" 511823101201,511823101202 && ok "device A enrols" || not_ok "device A enrols"
enrol "$B" "$C" 511823101202,511823102203 && ok "device B enrols" || not_ok "device B enrols"
expect "the key never leaves the device: mode 0600" "$(stat -c %a "$A.keys/device.key")" "600"
expect "device add gives the URL the collector serves, not the configured port 0" \
  "$("$HEARTHD" --dir "$C" device add --officer x --villages 511823101201 --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')" \
  "$COLLECTOR_URL"
expect "two devices listed" "$("$HEARTHD" --dir "$C" device list --json | wc -l)" "2"

# Offline records. B has village 202 and 203 households, with the same
# identities as A's (exported from A), as after a hand-over.
"$HEARTH" --db "$A" export --json --out "$WORK/a.jsonl" 2>/dev/null
grep -v '"village_code": "511823101201"' "$WORK/a.jsonl" | grep '"household"' >"$WORK/b.jsonl"
"$HEARTH" --db "$B" import "$WORK/b.jsonl" >/dev/null
# A concurrent edit of the same field on both devices, neither having seen the other.
"$HEARTH" --db "$A" household edit 5118231012020002 --category marginal >/dev/null
"$HEARTH" --db "$B" household edit 5118231012020002 --category unstable >/dev/null
# And one visit recorded on each device only.
"$HEARTH" --db "$A" visit record 5118231012010001 --date 2026-11-20 --officer o-a --wages 1000 \
  --operating 0 --property 0 --transfer 0 >/dev/null
"$HEARTH" --db "$B" visit record 5118231022030003 --date 2026-11-21 --officer o-b --wages 90000 \
  --operating 0 --property 0 --transfer 0 >/dev/null

# And a household B registers in the shared village 202 that A has never seen.
bh=$("$HEARTH" --db "$B" household add --village 511823101202 --category marginal --registry-no 5118231012029999)
"$HEARTH" --db "$B" member add "$bh" --name 赵六 --id-number 511823198505050018 --relation head --sex m \
  --birth-year 1985 --labour full --health healthy --school none --insurance yes --employment none >/dev/null
"$HEARTH" --db "$B" visit record "$bh" --date 2026-11-21 --officer o-b --wages 3000 --operating 0 \
  --property 0 --transfer 0 >/dev/null

run "$HEARTH" --db "$A" sync
expect "device A syncs, and exits 8: the collector refused its village-203 records" "$rc" "8"
contains "A's summary" "$WORK/out" "^sync: [0-9]+ sent, [0-9]+ acknowledged, [0-9]+ quarantined"
check "device B syncs" "$HEARTH" --db "$B" sync
outbox_before=$(sqlite3 "$A" "SELECT count(*) FROM outbox")
check "device A syncs again (pulls B's work)" "$HEARTH" --db "$A" sync
contains "A's summary counts the households it received" "$WORK/out" "pulled \([1-9][0-9]* households\)"
expect "what A pulled queued nothing to send back" "$(sqlite3 "$A" "SELECT count(*) FROM outbox")" "$outbox_before"
run "$HEARTH" --db "$A" household show 5118231012029999 --json
contains "A now holds B's new household in their shared village, members included" "$WORK/out" '"name": "赵六"'
run "$HEARTH" --db "$A" tiers --json --village 511823101202
contains "…with the collector's tier for it" "$WORK/out" '"registry_no": "5118231012029999".*"tier": "red".*"source": "collector"'
run "$HEARTH" --db "$A" household show 5118231012020002 --json
contains "A's copy of the conflicted household now has the merged value" "$WORK/out" '"category": "unstable"'
expect "A adopted the collector's version of the field" \
  "$(sqlite3 "$A" "SELECT hlc FROM field_versions WHERE field = 'category' AND entity_id = (SELECT id FROM households WHERE registry_no = '5118231012020002')")" \
  "$(SQL "SELECT hlc FROM field_versions WHERE field = 'category' AND entity_id = (SELECT id FROM households WHERE registry_no = '5118231012020002')")"

# Exactly once: every visit of the villages in scope, once, whoever sent it.
# The oracle: the distinct visit ids the two devices hold in their own villages.
sqlite3 "$A" "SELECT v.id FROM visits v JOIN households h ON h.id = v.household_id WHERE h.village_code <> '511823102203'" >"$WORK/ids"
sqlite3 "$B" "SELECT id FROM visits" >>"$WORK/ids"
expect "every in-scope visit arrived exactly once" "$(SQL 'SELECT count(*) FROM visits')" "$(sort -u "$WORK/ids" | wc -l)"
expect "the collector holds exactly those visits" "$(SQL 'SELECT id FROM visits ORDER BY id' | md5sum)" "$(sort -u "$WORK/ids" | md5sum)"
expect "no visit stored twice" "$(SQL 'SELECT count(*) - count(DISTINCT id) FROM visits')" "0"
expect "every change applied or refused once" \
  "$(SQL 'SELECT count(*) FROM applied')" "$(("$(sqlite3 "$A" 'SELECT count(*) FROM outbox')" + "$(sqlite3 "$B" 'SELECT count(*) FROM outbox')"))"
expect "A's outbox drained" "$(sqlite3 "$A" "SELECT count(*) FROM outbox WHERE state = 'pending'")" "0"

# Scope: A's village-203 households are quarantined, with the reason, on both sides.
run "$HEARTH" --db "$A" outbox --quarantined
contains "A's out-of-scope household quarantined with its reason" "$WORK/out" "village 511823102203 is not one of this device's villages"
run "$HEARTHD" --dir "$C" quarantine
contains "the collector lists what it refused" "$WORK/out" "not one of this device's villages"
expect "A receives no tier of a village outside its scope" \
  "$(sqlite3 "$A" "SELECT count(*) FROM tiers t JOIN households h ON h.id = t.household_id WHERE t.source = 'collector' AND h.village_code = '511823102203'")" "0"

# Tiers come back to both devices, marked as the collector's.
run "$HEARTH" --db "$A" tiers --json
contains "A shows collector tiers" "$WORK/out" '"source": "collector"'
run "$HEARTH" --db "$B" tiers --json
contains "B shows collector tiers" "$WORK/out" '"source": "collector"'
run "$HEARTH" --db "$B" tiers --village 511823102203
contains "B's rich visit made a green household" "$WORK/out" "^green .*5118231022030003"
# The collector keeps a red household red until a reviewer releases it (DESIGN 2):
# A's low-income visit made 0001 red; that stays.
run "$HEARTHD" --dir "$C" tiers --json
contains "collector: 0001 is red after A's visit" "$WORK/out" '"registry_no": "5118231012010001".*"tier": "red"'

# The concurrent edit: one winner, shown the same everywhere, and a conflict with both values.
run "$HEARTHD" --dir "$C" conflicts --json
contains "the conflict is recorded with both values" "$WORK/out" '"field": "category", "kept": "unstable".*"other": "marginal"'
expect "one conflict: the two edits (creating a record already held is not an edit)" \
  "$("$HEARTHD" --dir "$C" conflicts --json | wc -l)" "1"
expect "the collector keeps the later write" \
  "$(SQL "SELECT category FROM households WHERE registry_no = '5118231012020002'")" "unstable"

# A new rulebook at the collector reaches the devices on their next sync, and
# the devices judge their provisional tiers by it.
sed -e 's/^version = .*/version = test-2027.1/' -e 's/^income.red_below_yuan = .*/income.red_below_yuan = 3900/' \
  "$ROOT/model/default.rulebook" >"$WORK/new.rulebook"
check "hearthd rulebook set" "$HEARTHD" --dir "$C" rulebook set "$WORK/new.rulebook"
sed 's/^income.orange_below_yuan = .*/income.orange_below_yuan = 3000/' "$WORK/new.rulebook" >"$WORK/bad.rulebook"
refuse "a rulebook whose bands are out of order is refused" 3 "the bands strictly increase" \
  "$HEARTHD" --dir "$C" rulebook set "$WORK/bad.rulebook"
check "device A syncs after the rulebook change" "$HEARTH" --db "$A" sync
run "$HEARTH" --db "$A" status --json
contains "device A now uses the new rulebook" "$WORK/out" '"rulebook": "test-2027.1"'
expect "A's provisional tiers were recomputed under it" \
  "$(sqlite3 "$A" "SELECT count(*) FROM tiers WHERE source = 'device' AND rulebook <> 'test-2027.1'")" "0"
expect "the collector's tiers too" "$(SQL "SELECT count(*) FROM tiers WHERE rulebook <> 'test-2027.1'")" "0"
# The running collector judges what arrives next by the new rulebook too, though
# it was set from another process.
"$HEARTH" --db "$B" visit record 5118231022030003 --date 2026-11-22 --officer o-b --wages 7700 \
  --operating 0 --property 0 --transfer 0 >/dev/null
check "device B syncs a visit after the rulebook change" "$HEARTH" --db "$B" sync
expect "the serving collector used the new rulebook for it" \
  "$(SQL "SELECT rulebook FROM tiers WHERE household_id = (SELECT id FROM households WHERE registry_no = '5118231022030003')")" \
  "test-2027.1"

# A visit on a synced device prints the tier it gives now, not the
# collector's from before it.
run "$HEARTH" --db "$A" visit record 5118231012010001 --date 2026-11-23 --officer o-a --wages 90000 \
  --operating 0 --property 0 --transfer 0
expect "a visit on a synced device prints the tier it computed, not the collector's red" \
  "$(grep '^tier' "$WORK/out") $("$HEARTH" --db "$A" tiers --json | grep -c '"registry_no": "5118231012010001".*"tier": "red"')" \
  "tier green (provisional, until the next sync) 1"

# The collector's export: the same exchange format, re-importable, and audited.
check "hearthd export --json" "$HEARTHD" --dir "$C" export --json --out "$WORK/merged.jsonl"
expect "one line per stored visit" "$(wc -l <"$WORK/merged.jsonl")" "$(SQL 'SELECT count(*) FROM visits')"
check "the collector's export imports into a fresh device" "$HEARTH" --db "$WORK/fresh.db" init
check "…and its lines are all accepted" "$HEARTH" --db "$WORK/fresh.db" import "$WORK/merged.jsonl"
contains "…with the merged category" "$WORK/out" "households [0-9]+ created"
run "$HEARTH" --db "$WORK/fresh.db" household show 5118231012020002 --json
contains "the merged value travels in the export" "$WORK/out" '"category": "unstable"'
check "hearthd export --csv" "$HEARTHD" --dir "$C" export --csv --out "$WORK/merged.csv"
expect "the CSV starts with a UTF-8 BOM" "$(head -c 3 "$WORK/merged.csv" | od -An -tx1 | tr -d ' ')" "efbbbf"
expect "every export is in the audit log" "$(SQL "SELECT count(*) FROM audit WHERE kind = 'export'")" "2"
refuse "an export needs a format" 2 "exactly one of --json and --csv" "$HEARTHD" --dir "$C" export

stop_collector "$COLLECTOR_PID" && ok "collector stops on SIGTERM" || not_ok "collector stops on SIGTERM"
finish
