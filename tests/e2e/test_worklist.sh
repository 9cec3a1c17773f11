#!/usr/bin/env bash
# tests/e2e/test_worklist.sh — the officer's day on a fixed date: households
# due or overdue by their tier's interval (from the rulebook: changed at the
# collector, it changes the devices' due dates), sorted by tier then by days
# overdue; a household never visited is listed, due now, with the red ones.
. "$(dirname "$0")/lib.sh"

"$HEARTH" init >/dev/null
add() {   # add REGISTRY LAST-VISIT WAGES: a one-person household and its visit
  "$HEARTH" household add --village 511823101201 --category lifted --registry-no "$1" >/dev/null
  [ -n "$2" ] && "$HEARTH" visit record "$1" --date "$2" --officer o --size 1 --wages "$3" --operating 0 \
    --property 0 --transfer 0 --failed none >/dev/null
  true
}
add 5118231012010101 2026-11-01 3000    # red, due 11-08: 22 days overdue on 11-30
add 5118231012010102 2026-11-25 3000    # red, due 12-02: not yet
add 5118231012010103 2026-11-01 3800    # orange, due 11-15: 15 overdue
add 5118231012010104 2026-10-01 4500    # yellow, due 10-31: 30 overdue
add 5118231012010105 2026-06-01 6000    # green, due 08-30: 92 overdue
add 5118231012010106 "" ""              # never visited
add 5118231012010107 2026-11-20 6000    # green, due 2027-02-18
order() { /usr/bin/python3 -c '
import json, sys
print(" ".join("%s:%s:%s" % (r["registry_no"][-3:], r["tier"] or "-", r["overdue_days"]) for r in map(json.loads, sys.stdin)))'; }

run "$HEARTH" worklist --due --on 2026-11-30 --json
expect "--due on 2026-11-30: by tier, then days overdue; never visited with the red" "$(order <"$WORK/out")" \
  "101:red:22 106:-:0 103:orange:15 104:yellow:30 105:green:92"
run "$HEARTH" worklist --on 2026-11-30 --json
expect "without --due: every household, those not yet due after" "$(order <"$WORK/out")" \
  "101:red:22 106:-:0 102:red:-2 103:orange:15 104:yellow:30 105:green:92 107:green:-80"
run "$HEARTH" worklist --due --on 2026-11-30
contains "the text says when: overdue, and never visited" "$WORK/out" "^red +5118231012010101 .* overdue 22 d$"
contains "…never visited" "$WORK/out" "^- +5118231012010106 .* never visited$"
contains "…and counts what it lists" "$WORK/err" "^5 households: 1 red, 1 orange, 1 yellow, 1 green, 1 never visited; 5 due or overdue$"
run "$HEARTH" worklist --on 2026-12-02 --due --json
expect "two days on, the red household visited on 11-25 is due that day" \
  "$(order <"$WORK/out" | grep -o '102:red:[0-9-]*')" "102:red:0"
refuse "--on must be a date" 2 "--on must be a date" "$HEARTH" worklist --on 2026-13-01

# The intervals are the rulebook's: a collector's rulebook with red every 3 days.
C="$WORK/collector"
start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
enrol "$HEARTH_DB" "$C" 511823101201 || not_ok "the device enrols"
sed -e 's/^version = .*/version = test-visits.1/' -e 's/^visit.red_days = 7/visit.red_days = 3/' \
  "$ROOT/model/default.rulebook" >"$WORK/rules"
check "hearthd rulebook set with red every 3 days" "$HEARTHD" --dir "$C" rulebook set "$WORK/rules"
"$HEARTH" sync >/dev/null 2>&1
run "$HEARTH" worklist --due --on 2026-11-30 --json
expect "the device's due dates follow the collector's rulebook" \
  "$(order <"$WORK/out" | tr ' ' '\n' | grep -E '^10[12]:')" "$(printf '101:red:26\n102:red:2')"
stop_collector "$COLLECTOR_PID"
finish
