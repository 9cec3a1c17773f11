#!/usr/bin/env bash
# tests/e2e/test_restore.sh — a device restored from a backup (or any copy of a
# device database) reuses change numbers the collector has seen with other
# content. It detects it from the collector's 409, starts a new device epoch,
# re-sends what the collector lacks under new numbers, and loses and duplicates
# nothing — also when the original and the restored copy both go on recording.
. "$(dirname "$0")/lib.sh"

C="$WORK/collector"
A="$WORK/a.db"
R="$WORK/restored.db"
H=5118231012010001
SQL() { sqlite3 "$C/collector.db" "$@"; }
visit() {   # visit DB DATE WAGES
  "$HEARTH" --db "$1" visit record "$H" --date "$2" --officer o-r --size 2 --wages "$3" \
    --operating 0 --property 0 --transfer 0 | head -n 1
}

start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
enrol "$A" "$C" 511823101201 || not_ok "A enrols"
"$HEARTH" --db "$A" household add --village 511823101201 --category lifted --registry-no "$H" >/dev/null
visit "$A" 2026-10-01 1000 >>"$WORK/ids"
check "the device syncs" "$HEARTH" --db "$A" sync

# The backup: a consistent copy of the database and its keys.
sqlite3 "$A" ".backup '$R'"
cp -a "$A.keys" "$R.keys"

# The original goes on: two visits, synced (they take the next seqs).
visit "$A" 2026-10-02 1100 >>"$WORK/ids"
visit "$A" 2026-10-03 1200 >>"$WORK/ids"
check "the original syncs its new visits" "$HEARTH" --db "$A" sync
# The device is lost; the backup is restored and the officer records two more
# visits, which take the same seqs with other content.
visit "$R" 2026-10-04 1300 >>"$WORK/ids"
visit "$R" 2026-10-05 1400 >>"$WORK/ids"
epoch_before=$(sqlite3 "$R" "SELECT value FROM meta WHERE key = 'device_epoch'")
run "$HEARTH" --db "$R" sync
if [ "$rc" = 0 ]; then ok "the restored device syncs (exit 0), not stuck on 409"
else not_ok "the restored device syncs (exit 0), not stuck on 409" "exit $rc" "$(cat "$WORK/err")"; fi
contains "…saying what happened" "$WORK/err" "restored from a backup\?\): new epoch [0-9]+, 2 unsent changes sent again"
expect "…in a new device epoch" "$(sqlite3 "$R" "SELECT value FROM meta WHERE key = 'device_epoch'")" "$((epoch_before + 1))"
expect "the 409 is audited" "$(SQL "SELECT count(*) FROM audit WHERE kind = 'seq_mismatch'")" "1"

# Both go on recording and syncing.
visit "$A" 2026-10-06 1500 >>"$WORK/ids"
visit "$R" 2026-10-07 1600 >>"$WORK/ids"
check "the original syncs again (its seqs now collide with the copy's: a new epoch too)" "$HEARTH" --db "$A" sync
check "the restored copy syncs again" "$HEARTH" --db "$R" sync
check "…and the original once more" "$HEARTH" --db "$A" sync

expect "every visit recorded on either is at the collector" "$(SQL 'SELECT count(*) FROM visits')" "$(sort -u "$WORK/ids" | wc -l)"
expect "…exactly those" "$(SQL 'SELECT id FROM visits ORDER BY id' | md5sum)" "$(sort -u "$WORK/ids" | md5sum)"
expect "…none twice" "$(SQL 'SELECT count(*) - count(DISTINCT id) FROM visits')" "0"
expect "nothing quarantined on the restored copy" "$(sqlite3 "$R" "SELECT count(*) FROM outbox WHERE state <> 'acked'")" "0"
expect "nothing quarantined on the original" "$(sqlite3 "$A" "SELECT count(*) FROM outbox WHERE state <> 'acked'")" "0"
expect "no seq applied twice" "$(SQL "SELECT count(*) - count(DISTINCT seq) FROM applied")" "0"
stop_collector "$COLLECTOR_PID"
finish
