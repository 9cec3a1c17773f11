#!/usr/bin/env bash
# tests/e2e/test_history.sh — history on the device: a pull brings the latest
# visits (the tier engine's inputs, and the visits they correct) of the
# households a device holds, never the visits it sent itself, so a device
# that takes over a village judges its next visit as the collector would.
. "$(dirname "$0")/lib.sh"

C="$WORK/collector"
A="$WORK/a.db"
B="$WORK/b.db"
SQL() { sqlite3 "$C/collector.db" "$@"; }
H=5118231012016001
start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
enrol "$A" "$C" 511823101201 || not_ok "A enrols"

"$HEARTH" --db "$A" household add --village 511823101201 --category lifted --registry-no $H >/dev/null
"$HEARTH" --db "$A" member add $H --name 赵大 --id-number 511823198001010039 --relation head --sex m \
  --birth-year 1980 --labour full --health healthy --school none --insurance yes --employment migrant >/dev/null
check "…with two members" "$HEARTH" --db "$A" member add $H --name 钱二 --id-number 511823198201010025 \
  --relation spouse --sex f --birth-year 1982 --labour full --health healthy --school none --insurance yes \
  --employment local
for v in "2026-03-01 9000" "2026-06-01 16000" "2026-09-01 20000"; do
  set -- $v
  "$HEARTH" --db "$A" visit record $H --date "$1" --officer 甲 --wages "$2" --operating 0 --property 0 \
    --transfer 0 --failed none >/dev/null
done
check "A syncs its household and three visits" "$HEARTH" --db "$A" sync
check "A syncs again" "$HEARTH" --db "$A" sync
expect "A is not sent back the visits it sent" \
  "$(grep -c 'earlier visits pulled' "$WORK/out") $(sqlite3 "$A" 'SELECT count(*) FROM visits')" "0 3"

# B takes the village over: a fresh device.
enrol "$B" "$C" 511823101201 || not_ok "B enrols"
check "B syncs" "$HEARTH" --db "$B" sync
contains "…and is told of the visits of history it pulled" "$WORK/out" "; 2 earlier visits pulled"
expect "B holds the two latest visits, as the collector holds them" \
  "$(sqlite3 "$B" "SELECT group_concat(visited_on || ':' || wages, ' ') FROM (SELECT * FROM visits ORDER BY visited_on)")" \
  "2026-06-01:16000 2026-09-01:20000"
expect "…stored as records, not as changes to send" "$(sqlite3 "$B" "SELECT count(*) FROM outbox WHERE entity = 'visit'")" "0"
expect "B's provisional tier from them equals the collector's" \
  "$(sqlite3 "$B" "SELECT tier, reasons, per_capita_yuan FROM tiers WHERE source = 'device'")" \
  "$(SQL "SELECT t.tier, t.reasons, t.per_capita_yuan FROM tiers t JOIN households h ON h.id = t.household_id WHERE h.registry_no = '$H'")"

# B's first visit: income fell by more than the rulebook's 30% against the visit before.
run "$HEARTH" --db "$B" visit record $H --date 2026-11-20 --officer 乙 --wages 12000 --operating 0 \
  --property 0 --transfer 0 --failed none
contains "B judges income_drop from the pulled history" "$WORK/out" "income fell by 30% or more since the visit before"
check "B syncs its visit" "$HEARTH" --db "$B" sync
expect "the collector judges it the same" \
  "$(SQL "SELECT t.reasons FROM tiers t JOIN households h ON h.id = t.household_id WHERE h.registry_no = '$H'")" \
  "$(sqlite3 "$B" "SELECT reasons FROM tiers WHERE source = 'device'")"

# A correction travels with the visit it corrects, in that order.
old=$(sqlite3 "$B" "SELECT id FROM visits WHERE visited_on = '2026-11-20'")
check "B corrects its visit" "$HEARTH" --db "$B" visit record $H --supersedes "$old" --date 2026-11-20 \
  --officer 乙 --wages 13000 --operating 0 --property 0 --transfer 0 --failed none
check "B syncs the correction" "$HEARTH" --db "$B" sync
check "A syncs" "$HEARTH" --db "$A" sync
expect "A holds the correction and the visit it corrects" \
  "$(sqlite3 "$A" "SELECT count(*) FROM visits WHERE id = '$old'") $(sqlite3 "$A" "SELECT wages FROM visits WHERE supersedes = '$old'")" \
  "1 13000"
expect "…and its tier follows the correction, as the collector's" \
  "$(sqlite3 "$A" "SELECT per_capita_yuan FROM tiers WHERE source = 'device'") $(SQL "SELECT per_capita_yuan FROM tiers")" \
  "6500 6500"

# A device that pushes is answered in its push's own transaction: the history
# it pulls there is the one the tier was just computed from, less its own visit.
check "B visits again and syncs" "$HEARTH" --db "$B" visit record $H --date 2026-11-25 --officer 乙 \
  --wages 14000 --operating 0 --property 0 --transfer 0 --failed none
check "…and syncs" "$HEARTH" --db "$B" sync
check "A visits too" "$HEARTH" --db "$A" visit record $H --date 2026-11-28 --officer 甲 --wages 15000 \
  --operating 0 --property 0 --transfer 0 --failed none
check "A syncs its visit" "$HEARTH" --db "$A" sync
contains "…and pulls one visit of history with it" "$WORK/out" "; 1 earlier visits pulled"
expect "A holds B's visit, once" "$(sqlite3 "$A" "SELECT count(*) FROM visits WHERE wages = 14000")" "1"
expect "…and its own, once" "$(sqlite3 "$A" "SELECT count(*) FROM visits WHERE wages = 15000")" "1"

stop_collector "$COLLECTOR_PID"
finish
