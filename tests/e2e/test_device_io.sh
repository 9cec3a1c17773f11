#!/usr/bin/env bash
# tests/e2e/test_device_io.sh — what a recorded visit costs the device's storage
# and what stays on it: one fsync per visit (strace counts them), recent work in
# the WAL reaches a `hearth backup` copy (a copy of device.db alone can miss it),
# a backup never overwrites, and a sync forgets acknowledged changes older than
# --keep-acked while the records stay.
. "$(dirname "$0")/lib.sh"

C="$WORK/collector"
D="$WORK/d.db"
visit() { "$HEARTH" --db "$D" visit record 5118231012010001 --date "$1" --officer o-io --size 3 \
  --wages "$2" --operating 0 --property 0 --transfer 0 >/dev/null; }

"$HEARTH" --db "$D" init >/dev/null
grep -v 511823102203 "$SAMPLE" >"$WORK/sample.jsonl"
"$HEARTH" --db "$D" import "$WORK/sample.jsonl" >/dev/null
visit 2026-11-01 4000

# ---- one fsync -----------------------------------------------------------------------------------
if command -v strace >/dev/null; then
  for i in 1 2 3; do
    strace -f -c -o "$WORK/strace.$i" -e trace=fsync,fdatasync "$HEARTH" --db "$D" visit record \
      5118231012010001 --date 2026-11-0$((i + 1)) --officer o-io --size 3 --wages $((4000 + i)) \
      --operating 0 --property 0 --transfer 0 >/dev/null
  done
  expect "recording a visit costs one fsync (three processes, each counted)" \
    "$(awk '$NF == "total" { print $(NF-1) }' "$WORK"/strace.* | sort -u | paste -sd,)" "1"
else
  not_ok "strace is installed (make deps installs it)"
fi

# ---- backups ----------------------------------------------------------------------------------
# (No other program opens the database before the backup: the last connection
# to close would fold the WAL in.)
if [ -s "$D-wal" ]; then ok "recent visits wait in the WAL ($(stat -c %s "$D-wal") bytes), not folded in on close"
else not_ok "recent visits wait in the WAL, not folded in on close" "$(ls -l "$WORK")"; fi
check "hearth backup writes a copy" "$HEARTH" --db "$D" backup --out "$WORK/backup.db"
expect "…holding every visit, those still in the WAL included" \
  "$(sqlite3 "$WORK/backup.db" "SELECT count(*) FROM visits WHERE officer = 'o-io'")" "4"
expect "…that the device opens as its own" "$("$HEARTH" --db "$WORK/backup.db" status --json |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["device_id"])')" \
  "$(sqlite3 "$D" "SELECT value FROM meta WHERE key = 'device_id'")"
expect "…and the database still holds them all" \
  "$(sqlite3 "$D" "SELECT count(*) FROM visits WHERE officer = 'o-io'")" "4"
sum=$(md5sum <"$WORK/backup.db")
refuse "a backup never overwrites a file" 3 "already exists" "$HEARTH" --db "$D" backup --out "$WORK/backup.db"
expect "…which stays as it was" "$(md5sum <"$WORK/backup.db")" "$sum"
refuse "a backup needs --out" 2 "--out FILE is required" "$HEARTH" --db "$D" backup

# ---- the outbox forgets what was acknowledged -------------------------------------------------
start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
"$HEARTH" --db "$D" enroll --server "$COLLECTOR_URL" \
  $(code_for "$C" 511823101201,511823101202 | awk '{ print "--code " $1 " --ca-pin " $2 }') >/dev/null ||
  not_ok "the device enrols"
pending=$(sqlite3 "$D" "SELECT count(*) FROM outbox WHERE state = 'pending'")
check "a sync with the default keeps acknowledged changes listed" "$HEARTH" --db "$D" sync --quiet
expect "…all of them" "$(sqlite3 "$D" "SELECT count(*) FROM outbox WHERE state = 'acked'")" "$pending"
visit 2026-11-20 5000
check "a sync with --keep-acked 0 forgets them" "$HEARTH" --db "$D" sync --quiet --keep-acked 0
expect "…the outbox is empty" "$(sqlite3 "$D" "SELECT count(*) FROM outbox")" "0"
expect "…and the records stay" "$(sqlite3 "$D" "SELECT count(*) FROM visits WHERE officer = 'o-io'")" "5"
refuse "--keep-acked is bounded" 3 "keep-acked.*0\.\.3650" "$HEARTH" --db "$D" sync --keep-acked 99999
stop_collector "$COLLECTOR_PID"
finish
