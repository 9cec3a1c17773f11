#!/usr/bin/env bash
# tests/e2e/test_clock.sh — wrong clocks and wrong dates lose nothing and hide
# nothing. A device an hour or ten years off (faketime) keeps every change;
# once its clock is right it stamps honestly again by itself; its stamps never
# win a concurrent edit over an honest device's; sync reports the skew, and a
# TLS failure caused by the clock is reported as a clock problem with both
# times. Visits dated in the future or before 2014 are refused on entry and at
# the collector, and a stored future-dated visit does not decide the tier.
. "$(dirname "$0")/lib.sh"

C="$WORK/collector"
A="$WORK/a.db"
B="$WORK/b.db"
H=5118231012010001
SQL() { sqlite3 "$C/collector.db" "$@"; }
category() { SQL "SELECT category FROM households WHERE registry_no = '$H'"; }
hlc_ms() { echo $(( $(sqlite3 "$1" "SELECT value FROM meta WHERE key = 'hlc'") >> 16 )); }
now_ms() { echo $(( $(date +%s) * 1000 )); }
visit() {   # visit DB DATE WAGES [faketime offset]
  local db=$1 date=$2 wages=$3 off=${4:-}
  ${off:+faketime -f "$off"} "$HEARTH" --db "$db" visit record "$H" --date "$date" --officer o-t --size 2 \
    --wages "$wages" --operating 0 --property 0 --transfer 0
}
command -v faketime >/dev/null || { not_ok "faketime is installed (make deps)"; finish; exit 1; }
# faketime is an LD_PRELOAD library: under AddressSanitizer it comes before the
# ASan runtime, which is fine for these programs.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
enrol "$A" "$C" 511823101201 || not_ok "A enrols"
enrol "$B" "$C" 511823101201 || not_ok "B enrols"
"$HEARTH" --db "$A" household add --village 511823101201 --category lifted --registry-no "$H" >/dev/null
"$HEARTH" --db "$A" sync >/dev/null 2>&1
"$HEARTH" --db "$B" sync >/dev/null 2>&1
today=$(date +%F)
yesterday=$(date -d yesterday +%F)

# ---- dates ---------------------------------------------------------------------------------
D="$WORK/d.db"
"$HEARTH" --db "$D" init >/dev/null
"$HEARTH" --db "$D" household add --village 511823101201 --category lifted --registry-no "$H" >/dev/null
refuse "a visit dated 2099 is refused on entry" 3 "2099-12-31 is in the future" visit "$D" 2099-12-31 90000
refuse "a visit dated the day after tomorrow is refused" 3 "in the future" visit "$D" "$(date -d '+2 days' +%F)" 90000
refuse "a visit before 2014 is refused" 3 "2013-12-31 is before 2014-01-01" visit "$D" 2013-12-31 90000
check "tomorrow is within a day's slack" visit "$D" "$(date -d tomorrow +%F)" 90000
expect "only that one was stored" "$(sqlite3 "$D" 'SELECT count(*) FROM visits')" "1"
# A device whose clock is three days ahead takes a visit "today" by its calendar;
# the collector, judging by its own, refuses it.
check "a device three days ahead takes a visit dated by its calendar" \
  visit "$A" "$(date -d '+3 days' +%F)" 90000 +3d
run "$HEARTH" --db "$A" sync
contains "the collector refuses it: quarantined, with the reason" "$WORK/out" "1 quarantined"
run "$HEARTH" --db "$A" outbox --quarantined
contains "…the officer sees why" "$WORK/out" "is in the future"
# A future-dated visit stored by an older version must not decide the tier: the
# latest visit by date among valid ones does.
sqlite3 "$A" "INSERT INTO visits SELECT lower(hex(randomblob(4))) || substr(id, 9), household_id, '2099-12-31',
  officer, household_size, 900000, operating, property, transfer, medical, education, disaster, shocks,
  guarantees_met, lat_microdeg, lon_microdeg, notes, NULL, hlc
  FROM visits WHERE household_id = (SELECT id FROM households WHERE registry_no = '$H') LIMIT 1" 2>"$WORK/err" ||
  not_ok "a 2099 visit can be planted in the device database" "$(cat "$WORK/err")"
"$HEARTH" --db "$A" visit record "$H" --date "$today" --officer o-t --size 2 --wages 0 --operating 0 \
  --property 0 --transfer 0 --failed food,water >"$WORK/out" 2>&1
contains "after a planted 2099 visit, today's visit at zero income with food and water failing is red" \
  "$WORK/out" "red"
check "it syncs" "$HEARTH" --db "$A" sync
SQL "INSERT INTO visits SELECT lower(hex(randomblob(4))) || substr(id, 9), household_id, '2099-12-31',
  officer, household_size, 900000, operating, property, transfer, medical, education, disaster, shocks,
  guarantees_met, lat_microdeg, lon_microdeg, notes, NULL, hlc
  FROM visits WHERE visited_on = '$today' LIMIT 1"
visit "$A" "$today" 0 >/dev/null 2>&1 || true
"$HEARTH" --db "$A" sync >/dev/null 2>&1
expect "…and the collector, holding a 2099 visit too, says red" \
  "$(SQL "SELECT tier FROM tiers WHERE household_id = (SELECT id FROM households WHERE registry_no = '$H')")" "4"

# ---- an hour ahead -------------------------------------------------------------------------
faketime -f +1h "$HEARTH" --db "$A" household edit "$H" --category unstable >/dev/null
check "a visit recorded an hour ahead" visit "$A" "$yesterday" 3000 +1h
run faketime -f +1h "$HEARTH" --db "$A" sync
if [ "$rc" = 0 ] && grep -q " 0 quarantined" "$WORK/out"; then ok "an hour ahead: the sync takes every change, nothing quarantined"
else not_ok "an hour ahead: the sync takes every change, nothing quarantined" "exit $rc" "$(cat "$WORK/out" "$WORK/err")"; fi
contains "sync reports the skew it saw" "$WORK/out" "clock \+3[56][0-9][0-9] s against the collector"
contains "…and says so in words, with both times" "$WORK/err" "clock is 1 h 0 min ahead of the collector's \(device .* UTC, collector .* UTC\)"
expect "the edit made an hour ahead is applied" "$(category)" "unstable"
skew=$(( $(hlc_ms "$A") - $(now_ms) ))
if [ "$skew" -gt 300000 ]; then not_ok "the device's stamps come back to the collector's clock" "still ${skew} ms ahead"
else ok "the device's stamps come back to the collector's clock"; fi
"$HEARTH" --db "$A" household edit "$H" --category marginal >/dev/null
run "$HEARTH" --db "$A" sync
contains "with the clock right again, the next edit syncs" "$WORK/out" " 0 quarantined"
expect "…and wins: it follows the hour-ahead edit it saw" "$(category)" "marginal"
expect "…without a conflict" "$(SQL 'SELECT count(*) FROM conflicts')" "0"

# ---- a wrong clock never wins a concurrent edit --------------------------------------------
"$HEARTH" --db "$B" sync >/dev/null 2>&1
"$HEARTH" --db "$B" household edit "$H" --category ordinary >/dev/null         # honest
faketime -f +1h "$HEARTH" --db "$A" household edit "$H" --category sudden_hardship >/dev/null
faketime -f +1h "$HEARTH" --db "$A" sync >/dev/null 2>&1                          # arrives first
"$HEARTH" --db "$B" sync >/dev/null 2>&1
expect "an honest concurrent edit beats one stamped an hour ahead, even arriving later" "$(category)" "ordinary"
expect "…and the pair is a conflict for a reviewer" "$(SQL "SELECT count(*) FROM conflicts WHERE kept_value = 'ordinary'")" "1"
"$HEARTH" --db "$B" household edit "$H" --category lifted >/dev/null
"$HEARTH" --db "$B" sync >/dev/null 2>&1
faketime -f +1h "$HEARTH" --db "$A" household edit "$H" --category unstable >/dev/null
faketime -f +1h "$HEARTH" --db "$A" sync >/dev/null 2>&1                          # arrives second
expect "…and one arriving later cannot overwrite an honest edit it never saw" "$(category)" "lifted"

# ---- ten years ahead, and behind: a clock problem, not a trust failure ----------------------
"$HEARTH" --db "$A" sync >/dev/null 2>&1
visits_before=$(SQL 'SELECT count(*) FROM visits')
faketime -f +10y "$HEARTH" --db "$A" household edit "$H" --category marginal >/dev/null
check "ten years ahead, a visit is still recorded (its date from the officer)" visit "$A" "$yesterday" 4000 +10y
refuse "ten years ahead: sync reports the clock, with both times" 15 \
  "clock is [0-9]+ d [0-9]+ h ahead of the collector's \(device 203[0-9]-.* UTC, collector 202[0-9]-.* UTC\)" \
  faketime -f +10y "$HEARTH" --db "$A" sync --retries 0
contains "…and says nothing was lost" "$WORK/err" "nothing was lost"
refuse "ten years behind: the same" 15 "behind the collector's" faketime -f -10y "$HEARTH" --db "$A" sync --retries 0
expect "…the outbox keeps both changes" "$(sqlite3 "$A" "SELECT count(*) FROM outbox WHERE state = 'pending'")" "2"
run "$HEARTH" --db "$A" sync
if [ "$rc" = 0 ] && grep -q " 0 quarantined" "$WORK/out"; then ok "corrected, the device syncs everything it recorded"
else not_ok "corrected, the device syncs everything it recorded" "exit $rc" "$(cat "$WORK/out" "$WORK/err")"; fi
expect "…the visit arrived" "$(SQL 'SELECT count(*) FROM visits')" "$((visits_before + 1))"
expect "…and the edit, its stamp replaced by the collector's" "$(category)" "marginal"
skew=$(( $(hlc_ms "$A") - $(now_ms) ))
if [ "$skew" -gt 300000 ]; then not_ok "ten years ahead, the device's stamps still come back" "still ${skew} ms ahead"
else ok "ten years ahead, the device's stamps still come back"; fi
max_version=$(SQL "SELECT max(hlc) >> 16 FROM field_versions")
if [ "$max_version" -le $(( $(now_ms) + 300000 )) ]; then ok "no field version at the collector is in the future"
else not_ok "no field version at the collector is in the future" "$max_version"; fi
"$HEARTH" --db "$B" sync >/dev/null 2>&1
"$HEARTH" --db "$B" household edit "$H" --category ordinary >/dev/null
"$HEARTH" --db "$B" sync >/dev/null 2>&1
expect "an honest device that has seen it edits the field afterwards as usual" "$(category)" "ordinary"
expect "…without a conflict" "$(SQL "SELECT count(*) FROM conflicts WHERE kept_value = 'ordinary' OR other_value = 'ordinary'")" "1"
stop_collector "$COLLECTOR_PID"
finish
