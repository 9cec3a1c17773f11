#!/usr/bin/env bash
# tests/e2e/test_seal.sh — encryption at rest on the device, as the officer
# meets it. `hearth pin set` seals an existing plain database in place (every
# record kept); then no file of the device shows a name, an ID number or a
# note; a locked device refuses to open its records without the PIN and never
# reads it from the command line; wrong PINs are counted and the tenth
# destroys the key; a backup is sealed and opens with the same PIN; a sealed
# device enrols and syncs with a real collector. The session key lives in
# memory (/dev/shm) only.
. "$(dirname "$0")/lib.sh"

D="$WORK/device.db"
PIN=482916
NAME=马平                       # a head of household in the sample
IDNO=511823197801020038         # …and his ID number
h() { "$HEARTH" --db "$D" "$@"; }
# plain_anywhere TEXT: does any file of the device show TEXT?
plain_anywhere() { grep -rqa -- "$1" "$WORK"/device.db* ; }

sessions() { ls /dev/shm/hearth-"$(id -u)"-* 2>/dev/null | wc -l; }
sessions_before=$(sessions)
"$HEARTH" --db "$D" init >/dev/null
h import "$SAMPLE" >/dev/null
if plain_anywhere "$NAME" && plain_anywhere "$IDNO"; then ok "unsealed, the name and ID number are in the files (the check can see them)"
else not_ok "unsealed, the name and ID number are in the files (the check can see them)"; fi

run h status
contains "status warns that the records are not sealed" "$WORK/out" "NOT sealed: set a PIN"

# ---- setting the PIN ---------------------------------------------------------------------
refuse "without a terminal the PIN is not asked for on the command line" 2 "no terminal.*--pin-stdin" \
  h pin set </dev/null
refuse "a PIN of five characters is too short" 3 "at least 6 characters" \
  sh -c "printf '12345\n' | '$HEARTH' --db '$D' pin set --pin-stdin"
check "pin set seals the database in place" sh -c "printf '$PIN\n' | '$HEARTH' --db '$D' pin set --pin-stdin"
contains "…and says what it sealed" "$WORK/out" "sealed on this device"
if plain_anywhere "$NAME" || plain_anywhere "$IDNO"; then not_ok "no file of the device shows the name or the ID number"
else ok "no file of the device shows the name or the ID number"; fi
run sqlite3 "$D" "SELECT count(*) FROM members"
if [ "$rc" != 0 ]; then ok "sqlite3 cannot read the sealed file"; else not_ok "sqlite3 cannot read the sealed file" "$(cat "$WORK/out")"; fi
expect "the key file is the officer's alone" "$(stat -c %a "$D.keys/data.key")" "600"
expect "…in a directory that is too" "$(stat -c %a "$D.keys")" "700"
run h household list
expect "every household is still there" "$(grep -c '^01' "$WORK/out")" "50"
run h status
contains "…with every visit" "$WORK/out" "50 \(166 members, 56 visits\)"
contains "…and status says they are sealed" "$WORK/out" "records +sealed under the PIN"

# ---- locked and unlocked -----------------------------------------------------------------
[ "$(sessions)" -gt "$sessions_before" ] && ok "the session key is in memory (/dev/shm)" || not_ok "the session key is in memory (/dev/shm)"
check "lock" h lock
refuse "a locked device does not open its records" 7 "locked: run .hearth unlock." h household list </dev/null
refuse "a wrong PIN is refused, with the tries left" 1 "wrong PIN \(9 tries left" \
  sh -c "printf '000000\n' | '$HEARTH' --db '$D' unlock --pin-stdin"
check "the right PIN unlocks" sh -c "printf '$PIN\n' | '$HEARTH' --db '$D' unlock --pin-stdin --minutes 30"
contains "…and says until when" "$WORK/out" "unlocked until 20[0-9-]+ [0-9:]+ UTC"
check "a visit is recorded on the unlocked device" h visit record 5118231012010001 --date 2026-11-20 \
  --officer officer-seal --size 3 --wages 9000 --operating 0 --property 0 --transfer 0 --notes "独特的备注"
if plain_anywhere "独特的备注" || plain_anywhere "$NAME"; then not_ok "…and its notes are sealed too"
else ok "…and its notes are sealed too"; fi

# ---- personal values off the command line ------------------------------------------------
run sh -c "printf '李秀英\n511823198503150023\n' | '$HEARTH' --db '$D' member add 5118231012010001 \
  --name - --id-number - --relation spouse --sex f --birth-year 1985 --labour full --health healthy \
  --school none --insurance yes --employment local"
if [ "$rc" = 0 ]; then ok "member add takes the name and ID number from standard input (--name -)"
else not_ok "member add takes the name and ID number from standard input (--name -)" "$(cat "$WORK/err")"; fi
run h household show 5118231012010001
contains "…and stores them" "$WORK/out" "李秀英"
refuse "--name - with nothing on standard input is refused" 2 "no line on standard input" \
  h member add 5118231012010001 --name - --id-number - --relation child --sex f --birth-year 2010 \
  --labour none --health healthy --school enrolled --insurance yes --employment none </dev/null
if plain_anywhere "李秀英" || plain_anywhere 511823198503150023; then not_ok "…and seals them"
else ok "…and seals them"; fi

# ---- backup --------------------------------------------------------------------------------
check "backup of a sealed device" h backup --out "$WORK/copy.db"
if grep -qa -- "$NAME" "$WORK/copy.db"; then not_ok "the backup is sealed"; else ok "the backup is sealed"; fi
expect "…its key file beside it" "$(stat -c %a "$WORK/copy.db.keys/data.key" 2>&1)" "600"
refuse "…and it does not open locked" 7 "locked" "$HEARTH" --db "$WORK/copy.db" household list </dev/null
check "…but with the same PIN" sh -c "printf '$PIN\n' | '$HEARTH' --db '$WORK/copy.db' unlock --pin-stdin"
run "$HEARTH" --db "$WORK/copy.db" visit list 5118231012010001
contains "…holding the new visit" "$WORK/out" "2026-11-20"

# ---- a new PIN -------------------------------------------------------------------------------
refuse "changing the PIN needs the current one" 1 "wrong PIN" \
  sh -c "printf '111111\n222222\n' | '$HEARTH' --db '$D' pin set --pin-stdin"
check "the PIN is changed with the current one" sh -c "printf '$PIN\n735194\n' | '$HEARTH' --db '$D' pin set --pin-stdin"
h lock >/dev/null
refuse "…the old PIN no longer unlocks" 1 "wrong PIN" sh -c "printf '$PIN\n' | '$HEARTH' --db '$D' unlock --pin-stdin"
check "…the new one does" sh -c "printf '735194\n' | '$HEARTH' --db '$D' unlock --pin-stdin"

# ---- a sealed device syncs -------------------------------------------------------------------
if [ -n "${HEARTHD:-}" ]; then
  C="$WORK/collector"
  start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
  if enrol "$D" "$C" 511823101201,511823101202,511823102203; then ok "a sealed device enrols"
  else not_ok "a sealed device enrols"; fi
  check "…and syncs" h sync
  run h status
  contains "…nothing left to send" "$WORK/out" "outbox +0 pending"
  if plain_anywhere "$NAME"; then not_ok "after the sync the files are still sealed"; else ok "after the sync the files are still sealed"; fi

  # ---- revoked: the device wipes itself, its unsent work kept for the administrator ----------
  h visit record 5118231012010004 --date 2026-11-21 --officer officer-seal --size 2 --wages 7000 \
    --operating 0 --property 0 --transfer 0 --notes "撤销前未发送" >/dev/null
  dev=$(h status | awk '$1 == "device" { print $2 }')
  check "the administrator revokes the device" "$HEARTHD" --dir "$C" device revoke "$dev"
  refuse "the revoked device's sync wipes it and says so" 12 \
    "revoked this device: its records are wiped; 1 unsent changes are kept sealed .*device.db.recovery" h sync
  refuse "…its records no longer open, even with the PIN" 12 "destroyed" \
    sh -c "printf '735194\n' | '$HEARTH' --db '$D' unlock --pin-stdin"
  [ ! -e "$D.keys/device.key" ] && [ ! -e "$D.keys/device.crt" ] && ok "…its TLS key and certificate are gone" ||
    not_ok "…its TLS key and certificate are gone"
  if grep -qa -- "撤销前未发送" "$D.recovery"; then not_ok "…the unsent visit is kept sealed"
  else ok "…the unsent visit is kept sealed"; fi
  run "$HEARTHD" --dir "$C" device recover "$D.recovery"
  contains "the administrator opens it with the CA key" "$WORK/out" "1 unsent changes of device $dev"
  check "…and applies it" "$HEARTHD" --dir "$C" device recover "$D.recovery" --apply
  contains "…as the device's change" "$WORK/out" "applied 1, refused 0"
  run "$HEARTHD" --dir "$C" export --json
  contains "…the visit is at the collector" "$WORK/out" "撤销前未发送"
  refuse "another collector's key does not open it" 3 "not a recovery file sealed for this collector" \
    sh -c "'$HEARTHD' --dir '$WORK/other' init >/dev/null && '$HEARTHD' --dir '$WORK/other' device recover '$D.recovery'"
  stop_collector "$COLLECTOR_PID"
fi

# ---- too many wrong PINs (on the backup: the device above was wiped) --------------------------
B="$WORK/copy.db"
"$HEARTH" --db "$B" lock >/dev/null
for i in 1 2 3 4 5 6 7 8 9; do printf '000000\n' | "$HEARTH" --db "$B" unlock --pin-stdin >/dev/null 2>&1; done
refuse "the tenth wrong PIN destroys the key" 12 "destroyed" \
  sh -c "printf '000000\n' | '$HEARTH' --db '$B' unlock --pin-stdin"
refuse "…after which the right PIN cannot open the records" 12 "destroyed" \
  sh -c "printf '$PIN\n' | '$HEARTH' --db '$B' unlock --pin-stdin"
h lock >/dev/null 2>&1
"$HEARTH" --db "$WORK/copy.db" lock >/dev/null 2>&1
expect "no session is left in memory" "$(sessions)" "$sessions_before"
finish
