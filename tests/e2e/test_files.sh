#!/usr/bin/env bash
# tests/e2e/test_files.sh — damaged files are never written into, and a full
# disk says so. An empty file or another program's database is refused without
# a byte written; a database that fails its quick check refuses every write,
# and `hearth rescue` saves what it holds into a file a new database imports;
# on a full disk (a small tmpfs in a private mount namespace) a write fails
# with exit 6, the free space and "nothing was lost", and succeeds once there
# is room. Database files are their owner's alone (0600) whatever the umask.
. "$(dirname "$0")/lib.sh"

D="$WORK/d.db"
H=5118231012010001
visit() { "$HEARTH" --db "$1" visit record "$H" --date 2026-11-02 --officer o-f --size 2 --wages "$2" \
  --operating 0 --property 0 --transfer 0; }

# ---- not a device database ------------------------------------------------------------------
: >"$WORK/empty.db"
refuse "an empty file is refused, not filled with a schema" 5 "is an empty file, not a device database" \
  "$HEARTH" --db "$WORK/empty.db" household add --village 511823101201 --category lifted
expect "…and stays empty" "$(stat -c %s "$WORK/empty.db")" "0"
sqlite3 "$WORK/other.db" "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine')"
other_sum=$(md5sum <"$WORK/other.db")
refuse "another program's database is refused" 5 "not a Hearth device database.*nothing was written" \
  "$HEARTH" --db "$WORK/other.db" household add --village 511823101201 --category lifted
expect "…and is not changed by a byte (not even its journal mode)" "$(md5sum <"$WORK/other.db")" "$other_sum"

# ---- damaged ---------------------------------------------------------------------------------
"$HEARTH" --db "$D" init >/dev/null
"$HEARTH" --db "$D" import "$SAMPLE" >/dev/null
sqlite3 "$D" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
pages=$(( $(stat -c %s "$D") / 4096 ))
dd if=/dev/urandom of="$D" bs=4096 seek=$((pages / 2)) count=2 conv=notrunc status=none
if [ "$(sqlite3 "$D" "PRAGMA quick_check" 2>&1 | head -n 1)" != ok ]; then ok "the test damaged the database"
else not_ok "the test damaged the database"; fi
sum=$(md5sum <"$D")
refuse "a visit is not written into a damaged database" 5 "is damaged .*hearth rescue --out FILE" visit "$D" 1000
refuse "nor an import" 5 "is damaged" "$HEARTH" --db "$D" import "$SAMPLE"
refuse "nor a household" 5 "is damaged" "$HEARTH" --db "$D" household add --village 511823101201 --category lifted
expect "the damaged file is exactly as it was" "$(md5sum <"$D")" "$sum"
run "$HEARTH" --db "$D" rescue --out "$WORK/rescued.jsonl"
contains "rescue saves what can be read, and says what it found" "$WORK/out" "^rescued [1-9][0-9]* lines to .*households, .* visits, .* unsent changes"
contains "…and what to do next" "$WORK/out" "import .*rescued.jsonl"
"$HEARTH" --db "$WORK/new.db" init >/dev/null
check "the rescued file imports into a new database" "$HEARTH" --db "$WORK/new.db" import "$WORK/rescued.jsonl"
if [ "$(sqlite3 "$WORK/new.db" 'SELECT count(*) FROM households')" -gt 0 ]; then ok "…with its households"
else not_ok "…with its households"; fi
refuse "rescue needs --out" 2 "--out FILE is required" "$HEARTH" --db "$D" rescue

# ---- a full disk -----------------------------------------------------------------------------
cat >"$WORK/full.sh" <<'INNER'
set -u
small=$WORK/small
mkdir -p "$small"
mount -t tmpfs -o size=1m tmpfs "$small" || { echo "MOUNT-FAILED"; exit 0; }
db=$small/d.db
"$HEARTH" --db "$db" init >/dev/null
"$HEARTH" --db "$db" household add --village 511823101201 --category lifted --registry-no 5118231012010001 >/dev/null
"$HEARTH" --db "$db" visit record 5118231012010001 --date 2026-11-02 --officer o-f --size 2 --wages 1000 \
  --operating 0 --property 0 --transfer 0 >/dev/null
dd if=/dev/zero of="$small/filler" bs=4096 status=none 2>/dev/null
"$HEARTH" --db "$db" import "$SAMPLE" >"$WORK/full.out" 2>"$WORK/full.err"
echo "rc=$?" >>"$WORK/full.out"
rm -f "$small/filler"
sqlite3 "$db" "PRAGMA integrity_check; SELECT count(*) FROM visits;" >"$WORK/after.out" 2>&1
"$HEARTH" --db "$db" import "$SAMPLE" >/dev/null 2>"$WORK/again.err"
echo "again=$?" >>"$WORK/after.out"
umount "$small"
INNER
WORK="$WORK" HEARTH="$HEARTH" SAMPLE="$SAMPLE" unshare --mount --propagation private bash "$WORK/full.sh" >"$WORK/full.log" 2>&1
if grep -q MOUNT-FAILED "$WORK/full.log"; then not_ok "a small tmpfs can be mounted" "$(cat "$WORK/full.log")"; fi
contains "a full disk: the write fails with exit 6" "$WORK/full.out" "^rc=6$"
contains "…saying the disk is full, with the space left" "$WORK/full.err" "disk( holding .*)? is full \([0-9]+ bytes free\)"
contains "…and that nothing was lost" "$WORK/full.err" "nothing stored before was lost"
expect "the database is intact, its visit kept" "$(head -n 2 "$WORK/after.out" | tr '\n' ' ')" "ok 1 "
contains "with room again, the same write succeeds" "$WORK/after.out" "^again=0$"

# ---- modes: names, ID numbers and health are the owner's alone ---------------------------
P="$WORK/private"
mkdir -p "$P"
(
  umask 022
  "$HEARTH" --db "$P/p.db" init >/dev/null
  "$HEARTH" --db "$P/p.db" household add --village 511823101201 --category lifted --registry-no "$H" >/dev/null
  "$HEARTH" --db "$P/p.db" backup --out "$P/copy.db" >/dev/null
  "$HEARTHD" --dir "$P/c" init >/dev/null
)
expect "with umask 022: the database, its WAL and shared memory, a backup and the collector's database are 0600" \
  "$(cd "$P" && stat -c '%a %n' p.db p.db-wal p.db-shm copy.db c/collector.db | tr '\n' ' ')" \
  "600 p.db 600 p.db-wal 600 p.db-shm 600 copy.db 600 c/collector.db "
chmod 0644 "$P/p.db" "$P/p.db-wal"
"$HEARTH" --db "$P/p.db" status >/dev/null
expect "a database left readable by others is made private when next opened" \
  "$(stat -c '%a' "$P/p.db" "$P/p.db-wal" | tr '\n' ' ')" "600 600 "
refuse "a database that is not there is not created by a command that reads" 5 "no device database" \
  "$HEARTH" --db "$P/none.db" status
expect "…and no file is left behind" "$(ls "$P" | grep -c none)" "0"
finish
