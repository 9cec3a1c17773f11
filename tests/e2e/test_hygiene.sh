#!/usr/bin/env bash
# tests/e2e/test_hygiene.sh — what crosses the wire is bounded and clean: a stamp
# past 2100 or an entity id that is not one is refused at decode (and a refused
# change never breaks the quarantine listing); refusals come back as printable
# text; a rulebook that makes no sense (equal bands, a failed guarantee below
# orange) is refused naming its line.
. "$(dirname "$0")/lib.sh"

C="$WORK/collector"
A="$WORK/a.db"
SQL() { sqlite3 "$C/collector.db" "$@"; }
PB() { /usr/bin/python3 "$ROOT/tests/e2e/pb.py" "$HEARTH_DESC" "$@"; }
CURL() { curl -s -o "$WORK/resp" -w '%{http_code}' --cacert "$C/ca.crt" --cert "$A.keys/device.crt" \
  --key "$A.keys/device.key" -H 'Content-Type: application/x-protobuf' "$@"; }

start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
enrol "$A" "$C" 511823101201 || not_ok "the device enrols"
device=$(sqlite3 "$A" "SELECT value FROM meta WHERE key = 'device_id'")
hid=01a20000-0000-7000-8000-00000000c0de

# ---- stamps and ids bounded at decode --------------------------------------------------------
PB household-change "$device" 1 "$hid" 511823101201 2 $(( (1 << 63) - 1 )) >"$WORK/body"
expect "a change stamped 2^63-1 is answered" "$(CURL --data-binary @"$WORK/body" "$COLLECTOR_URL/v1/sync")" "200"
PB decode-sync-response "$WORK/resp" >"$WORK/decoded"
contains "…and refused: a stamp past 2100" "$WORK/decoded" "^rejection 1 'change.hlc: is a stamp past 2100'"
expect "…nothing of it stored" "$(SQL "SELECT count(*) FROM households WHERE id = '$hid'")" "0"
PB household-change "$device" 2 "$hid-and-then-some" 511823101201 2 >"$WORK/body"
expect "a change whose entity id is 54 bytes is answered" "$(CURL --data-binary @"$WORK/body" "$COLLECTOR_URL/v1/sync")" "200"
PB decode-sync-response "$WORK/resp" >"$WORK/decoded"
contains "…and refused" "$WORK/decoded" "^rejection 2 "
check "the quarantine still lists every refusal" "$HEARTHD" --dir "$C" quarantine
expect "…both of them, under a header" "$(grep -c . "$WORK/out")" "3"
if /usr/bin/python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); d.decode("utf-8"); sys.exit(any(b < 32 and b not in (10,) for b in d))' "$WORK/out"
then ok "…as printable UTF-8"; else not_ok "…as printable UTF-8" "$(od -c "$WORK/out" | head -5)"; fi

# A refused change lists the fields it set: only names that can be fields,
# never the device's quotes or terminal controls.
xid=01a20000-0000-7000-8000-00000000aaaa
PB household-change "$device" 5 "$xid" 511823109999 2 $((1790000000000 << 16)) $'x"\e[2Jy' >"$WORK/body"
expect "an out-of-scope change with a hostile field name is answered" \
  "$(CURL --data-binary @"$WORK/body" "$COLLECTOR_URL/v1/sync")" "200"
run "$HEARTHD" --dir "$C" quarantine --json
if /usr/bin/python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$WORK/out"; then
  ok "…and the quarantine is still valid JSON"; else not_ok "…and the quarantine is still valid JSON" "$(cat -v "$WORK/out")"; fi
contains "…naming the real fields only" "$WORK/out" "\"entity_id\": \"$xid\".*\"field\": \"registry_no,village_code,category,relocated,resettlement_site\""

# ---- records compared, not refused -----------------------------------------------------------
# A device checks a birth year against the ID number on entry; one that arrives
# disagreeing anyway (an older program, another system) is kept and listed.
gid=01a20000-0000-7000-8000-00000000beef
mid=01a20000-0000-7000-8000-00000000f00d
PB household-change "$device" 3 "$gid" 511823101201 2 >"$WORK/body"
CURL --data-binary @"$WORK/body" "$COLLECTOR_URL/v1/sync" >/dev/null
PB member-change "$device" 4 "$mid" "$gid" 511823197001010018 1 1971 >"$WORK/body"
expect "a member whose birth year the ID number contradicts is answered" \
  "$(CURL --data-binary @"$WORK/body" "$COLLECTOR_URL/v1/sync")" "200"
PB decode-sync-response "$WORK/resp" >"$WORK/decoded"
contains "…and accepted (no rejection)" "$WORK/decoded" "rejections 0 "
expect "…stored as sent" "$(SQL "SELECT birth_year FROM members WHERE id = '$mid'")" "1971"
run "$HEARTHD" --dir "$C" duplicates --json
contains "…and listed for a reviewer" "$WORK/out" "\"kind\": \"id_mismatch\".*\"member\": \"$mid\".*the birth year contradicts the ID number"

# ---- refusals reveal nothing outside the device's villages -----------------------------------
B="$WORK/b.db"
enrol "$B" "$C" 511823102203 || not_ok "B enrols"
"$HEARTH" --db "$B" household add --village 511823102203 --category lifted --registry-no 5118239999990001 >/dev/null
bh=$("$HEARTH" --db "$B" household add --village 511823102203 --category lifted --registry-no 5118239999990002)
"$HEARTH" --db "$B" member add "$bh" --name 王五 --id-number 511823198505050018 --relation head --sex m \
  --birth-year 1985 --labour full --health healthy --school none --insurance yes --employment none >/dev/null
"$HEARTH" --db "$B" sync >/dev/null 2>&1
"$HEARTH" --db "$A" household add --village 511823101201 --category lifted --registry-no 5118239999990001 >/dev/null
ah=$("$HEARTH" --db "$A" household add --village 511823101201 --category lifted --registry-no 5118231012019999)
"$HEARTH" --db "$A" member add "$ah" --name 王五 --id-number 511823198505050018 --relation head --sex m \
  --birth-year 1985 --labour full --health healthy --school none --insurance yes --employment none >/dev/null
"$HEARTH" --db "$A" sync >/dev/null 2>&1
run "$HEARTH" --db "$A" outbox --quarantined
expect "a registry number and an ID number held in another village are not refused (数据比对)" \
  "$(grep -c . "$WORK/out")" "1"
run "$HEARTHD" --dir "$C" duplicates --json
expect "…but listed for a reviewer, once each" \
  "$(grep -c '"kind": "registry_no"' "$WORK/out") $(grep -c '"kind": "id_number"' "$WORK/out")" "1 1"
run "$HEARTH" --db "$A" household list
if grep -q 5118239999990002 "$WORK/out"; then
  not_ok "the other village's household never reaches the device" "$(cat "$WORK/out")"
else ok "the other village's household never reaches the device"; fi
run "$HEARTH" --db "$A" outbox --quarantined
if grep -Eq "belongs to another household|registered to another member|cannot be" "$WORK/out"; then
  not_ok "no refusal says the number exists elsewhere" "$(cat "$WORK/out")"
else ok "no refusal says the number exists elsewhere"; fi

# ---- stored text with terminal controls is printed inert ---------------------------------------
# (Entry refuses control characters; this is text stored by an older version.)
"$HEARTH" --db "$A" household add --village 511823101201 --category lifted --registry-no 5118231012017777 >/dev/null
mh=$("$HEARTH" --db "$A" household add --village 511823101201 --category lifted --registry-no 5118231012017778)
"$HEARTH" --db "$A" member add "$mh" --name 赵七 --id-number 511823197801020038 --relation head --sex m \
  --birth-year 1978 --labour full --health healthy --school none --insurance yes --employment none >/dev/null 2>&1
sqlite3 "$A" "UPDATE members SET name = '赵' || char(27) || '[2J' || char(155) || '31m七' WHERE id_number = '511823197801020038'"
run "$HEARTH" --db "$A" household show 5118231012017778
if grep -q $'\x1b' "$WORK/out" || grep -q $'\xc2\x9b' "$WORK/out"; then
  not_ok "household show prints no terminal control" "$(od -c "$WORK/out" | head -5)"
else ok "household show prints no terminal control"; fi
contains "…the name shown with the controls neutralised" "$WORK/out" "赵\?\[2J\?31m七"
run "$HEARTH" --db "$A" household show 5118231012017778 --json
if grep -q $'\x1b' "$WORK/out" || grep -q $'\xc2\x9b' "$WORK/out"; then
  not_ok "…nor its JSON" "$(od -c "$WORK/out" | head -5)"
else ok "…nor its JSON"; fi
contains "…which escapes them" "$WORK/out" '赵\\u001b\[2J\\u009b31m七'

# ---- rulebooks that make no sense ------------------------------------------------------------
sed 's/^income.orange_below_yuan = .*/income.orange_below_yuan = 3600/' "$ROOT/model/default.rulebook" \
  | sed 's/^version = .*/version = equal-bands/' >"$WORK/equal.rulebook"
refuse "equal income bands are refused, naming the line" 3 \
  "line [0-9]+: income.orange_below_yuan must be above income.red_below_yuan" \
  "$HEARTHD" --dir "$C" rulebook set "$WORK/equal.rulebook"
sed 's/^guarantee_failed.tier = .*/guarantee_failed.tier = green/' "$ROOT/model/default.rulebook" \
  | sed 's/^version = .*/version = green-guarantee/' >"$WORK/green.rulebook"
refuse "a failed guarantee at green is refused" 3 "guarantee_failed.tier must be orange or red" \
  "$HEARTHD" --dir "$C" rulebook set "$WORK/green.rulebook"
expect "the rulebook in force is unchanged" "$(SQL "SELECT version FROM rulebooks WHERE current = 1")" \
  "$(sed -n 's/^version = //p' "$ROOT/model/default.rulebook")"
stop_collector "$COLLECTOR_PID"
finish
