#!/usr/bin/env bash
# tests/e2e/test_review.sh — acting on warnings, end to end with real processes:
# the review lifecycle (home check, the three approvals with the public notice,
# measures, a refused and an accepted release, a reopening, a new warning),
# accounts by level and villages, conflicts resolved at the collector, the
# quarantine, and duplicate cases; both devices see what reviewers decided.
# Clocks are moved with faketime for the notice.
. "$(dirname "$0")/lib.sh"

command -v faketime >/dev/null || { not_ok "faketime is installed (make deps)"; finish; exit 1; }
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

C="$WORK/collector"
A="$WORK/a.db"
B="$WORK/b.db"
D() { "$HEARTHD" --dir "$C" "$@"; }
SQL() { sqlite3 "$C/collector.db" "$@"; }
# review STATE-ON-DEVICE DB REGISTRY: the review state a device shows.
device_review() {
  "$HEARTH" --db "$1" tiers --json | /usr/bin/python3 -c '
import json, sys
for l in sys.stdin:
    t = json.loads(l)
    if t["registry_no"] == sys.argv[1]: print(t.get("review", "-"), t["tier"], len(t.get("measures", [])))' "$2"
}
sync_both() { "$HEARTH" --db "$A" sync >/dev/null 2>&1; "$HEARTH" --db "$B" sync >/dev/null 2>&1; }
fp() { SQL "SELECT review, tier, (SELECT count(*) FROM review_steps), (SELECT count(*) FROM measures) FROM tiers t JOIN households h ON h.id = t.household_id WHERE h.registry_no = '$1'"; }

start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
enrol "$A" "$C" 511823101201,511823101202 || not_ok "A enrols"
enrol "$B" "$C" 511823101201 || not_ok "B enrols"

H=5118231012010501
day() { date -d "$1 days" +%F; }
"$HEARTH" --db "$A" household add --village 511823101201 --category lifted --registry-no "$H" >/dev/null
"$HEARTH" --db "$A" member add "$H" --name 李建国 --id-number 11010519491231002X --relation head --sex f \
  --birth-year 1949 --labour full --health healthy --school none --insurance yes --employment none >/dev/null
"$HEARTH" --db "$A" visit record "$H" --date "$(day -300)" --officer o-a --wages 1000 --operating 0 \
  --property 0 --transfer 0 >/dev/null
sync_both
expect "a red warning starts at computed, on both devices" "$(device_review "$A" "$H") $(device_review "$B" "$H")" \
  "computed red 0 computed red 0"

expect "the home check falls due within the rulebook's 3 days: overdue on day 4" \
  "$(D review list --overdue --json | grep -c . ) $(faketime -f +4d "$HEARTHD" --dir "$C" review list --overdue --json | grep -c '"step_overdue": true')" "0 1"

# ---- accounts ------------------------------------------------------------------------------
echo "village-pass-1" | D user add li --role reviewer --level village --villages 511823101201 --password-stdin >/dev/null
echo "township-pass-1" | D user add wang --role reviewer --level township --villages 511823101 --password-stdin >/dev/null
echo "county-pass-123" | D user add zhao --role reviewer --level county --villages 511823 --password-stdin >/dev/null
echo "other-village-1" | D user add qian --role reviewer --level village --villages 511823101202 --password-stdin >/dev/null
refuse "a short password is refused" 3 "at least 10" sh -c "echo short | $HEARTHD --dir $C user add sun --role reviewer --level village --villages 511823101201 --password-stdin"
refuse "a scope code of the wrong length is refused" 3 "6 \\(county\\), 9 \\(township\\) or 12" \
  sh -c "echo long-enough-1 | $HEARTHD --dir $C user add sun --role reviewer --level village --villages 5118231 --password-stdin"
expect "passwords are stored as Argon2id" "$(SQL "SELECT count(*) FROM accounts WHERE password LIKE '\$argon2id\$v=19\$m=65536,t=3,p=1\$%'")" "4"
expect "the audit log names the account, never the password" \
  "$(SQL "SELECT count(*) FROM audit WHERE kind = 'account' AND account = 'li' AND detail NOT LIKE '%pass%'")" "1"

# ---- the identification procedure ---------------------------------------------------------
before=$(fp "$H")
refuse "a home check without the signed consent is refused" 3 "承诺授权书" D review verify "$H" --as li --note 入户
refuse "an unknown account is refused" 7 "no account 'nobody'" D review verify "$H" --as nobody --consent-signed --note x
refuse "an account outside the household's villages is refused" 7 "outside the villages of 'qian'" \
  D review verify "$H" --as qian --consent-signed --note x
refuse "a step out of order is refused, saying what is allowed" 3 "allowed: verify, dismiss" \
  D review county "$H" --as zhao --note x
refuse "a step without a note is refused" 3 "needs a note" D review verify "$H" --as li --consent-signed
expect "…and refusals change nothing" "$(fp "$H")" "$before"
check "home check (入户核实) with the signed consent" D review verify "$H" --as li --consent-signed --note "入户核实，已签承诺书"
sync_both
expect "both devices see verified" "$(device_review "$A" "$H" | cut -d' ' -f1) $(device_review "$B" "$H" | cut -d' ' -f1)" "verified verified"
refuse "the village appraisal by a township account is refused" 7 "village needs a village-level account" \
  D review village "$H" --as wang --note x
check "village appraisal (村级评议) opens the public notice" D review village "$H" --as li --note "村民代表评议通过"
contains "…which says when it ends, and what it may not show" "$WORK/out" "公示.*until .*no ID, phone, bank or health data"
before=$(fp "$H")
refuse "the township is refused while the notice runs" 3 "public notice .* runs until" \
  D review township "$H" --as wang --note 审核
expect "…and the refusal changes nothing" "$(fp "$H")" "$before"
sync_both
expect "both devices see village_approved" "$(device_review "$A" "$H") $(device_review "$B" "$H")" \
  "village_approved red 0 village_approved red 0"
check "the township reviews once the notice has run (6 days later)" \
  faketime -f +6d "$HEARTHD" --dir "$C" review township "$H" --as wang --note 乡镇审核
sync_both
expect "both devices see township_approved" "$(device_review "$A" "$H" | cut -d' ' -f1) $(device_review "$B" "$H" | cut -d' ' -f1)" "township_approved township_approved"
refuse "the county step by a township account is refused" 7 "county needs a county-level account" \
  faketime -f +6d "$HEARTHD" --dir "$C" review county "$H" --as wang --note x
check "the county approves: a monitored household" faketime -f +6d "$HEARTHD" --dir "$C" review county "$H" --as zhao --note 县级审批
contains "…in the category the rulebook gives a lifted household below the line" "$WORK/out" "监测对象: unstable"
expect "the category is a new field version at the collector" "$(SQL "SELECT category FROM households WHERE registry_no = '$H'")" "unstable"

# ---- measures -------------------------------------------------------------------------------
run D review history "$H"
contains "the rulebook suggests measures for the household's causes (below the line)" "$WORK/out" \
  "^suggested measures:.* minimum_living_allowance"
refuse "a measure not in the rulebook is refused, listing the rulebook's" 3 "medical_assistance education_aid" \
  D review intervene "$H" --as li --measure magic --responsible 王五 --due 2027-01-31 --note x
check "a measure (帮扶措施) with who and when" D review intervene "$H" --as li --measure medical_assistance \
  --responsible 王五 --due "$(day 30)" --note 医疗救助
mid=$(awk '/^measure/ {print $2}' "$WORK/out")
check "progress on the measure" D review track "$H" --as li --measure-id "$mid" --note 已申请
sync_both
expect "both devices see monitored with one open measure" "$(device_review "$A" "$H") $(device_review "$B" "$H")" \
  "monitored red 1 monitored red 1"
run "$HEARTH" --db "$B" household show "$H"
contains "household show prints the review state in Chinese" "$WORK/out" "^review +monitored \\(监测帮扶中\\)"
contains "…and the open measure with its due date and who" "$WORK/out" "^measures +medical_assistance due .*responsible 王五"
expect "an overdue measure is on the worklist (a month on)" \
  "$(faketime -f +40d "$HEARTHD" --dir "$C" review list --overdue --json | grep -c "\"overdue_measures\": 1")" "1"

# ---- risk elimination ----------------------------------------------------------------------
refuse "release is refused while income is below the line, naming it" 3 "below the monitoring line \\(5000\\)" \
  D review propose-release "$H" --as li --note 申请消除
"$HEARTH" --db "$A" visit record "$H" --date "$(day -200)" --officer o-a --wages 20000 --operating 0 \
  --property 0 --transfer 0 >/dev/null
sync_both
expect "a red household stays flagged until released (a green visit: held red, warning_open)" \
  "$(D tiers --json | grep -c '"tier": "red", "reasons": \["warning_open"\]')" "1"
check "release proposed once income has stayed above the line for 6 months" \
  D review propose-release "$H" --as li --note 收入稳定
sync_both
expect "both devices see release_proposed" "$(device_review "$A" "$H" | cut -d' ' -f1) $(device_review "$B" "$H" | cut -d' ' -f1)" "release_proposed release_proposed"
check "close the measure" D review close-measure "$H" --as li --measure-id "$mid" --note 已完成
check "release: village appraisal" D review village "$H" --as li --note 评议
sync_both
expect "both devices see release_village_approved" "$(device_review "$A" "$H" | cut -d' ' -f1) $(device_review "$B" "$H" | cut -d' ' -f1)" "release_village_approved release_village_approved"
check "release: township" faketime -f +6d "$HEARTHD" --dir "$C" review township "$H" --as wang --note 审核
sync_both
expect "both devices see release_township_approved" "$(device_review "$A" "$H" | cut -d' ' -f1) $(device_review "$B" "$H" | cut -d' ' -f1)" "release_township_approved release_township_approved"
check "release: county" faketime -f +6d "$HEARTHD" --dir "$C" review county "$H" --as zhao --note 批准消除
sync_both
expect "released: the tier is what the latest visit computes, on both devices" \
  "$(device_review "$A" "$H") $(device_review "$B" "$H")" "released green 0 released green 0"
check "the elimination is reversible (风险消除回退)" D review reopen "$H" --as zhao --note 回退
expect "…back to monitored" "$(fp "$H" | cut -d'|' -f1)" "monitored"
sync_both
expect "both devices see monitored again" "$(device_review "$A" "$H" | cut -d' ' -f1) $(device_review "$B" "$H" | cut -d' ' -f1)" "monitored monitored"
D review propose-release "$H" --as li --note 再次 >/dev/null && D review village "$H" --as li --note 评议 >/dev/null &&
  faketime -f +6d "$HEARTHD" --dir "$C" review township "$H" --as wang --note 审核 >/dev/null &&
  faketime -f +6d "$HEARTHD" --dir "$C" review county "$H" --as zhao --note 批准 >/dev/null
"$HEARTH" --db "$B" visit record "$H" --date "$(day 0)" --officer o-b --wages 500 --operating 0 \
  --property 0 --transfer 0 >/dev/null
sync_both
sync_both
expect "a later red visit opens a new warning, on both devices" \
  "$(device_review "$A" "$H") $(device_review "$B" "$H")" "computed red 0 computed red 0"
check "review history lists every step" D review history "$H" --json
expect "…with who, when and the note" "$(grep -c '"kind": "step".*"account": "[a-z]*".*"note": "[^"]' "$WORK/out")" "16"
expect "…all in one case, reopened once (the new warning's case opens at its first step)" "$(SQL "SELECT count(*) FROM cases c JOIN households h ON h.id = c.household_id WHERE h.registry_no = '$H'")" "1"
expect "no note reaches the audit log" "$(SQL "SELECT count(*) FROM audit WHERE detail LIKE '%承诺%' OR detail LIKE '%评议%'")" "0"

# ---- conflicts ----------------------------------------------------------------------------
K=5118231012010502
"$HEARTH" --db "$A" household add --village 511823101201 --category ordinary --registry-no "$K" >/dev/null
sync_both
sync_both
"$HEARTH" --db "$A" household edit "$K" --category marginal >/dev/null
"$HEARTH" --db "$B" household edit "$K" --category lifted >/dev/null
sync_both
sync_both
run D conflicts --json
expect "two devices editing one field make a conflict" "$(grep -c '"field": "category"' "$WORK/out")" "1"
kid=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$WORK/out")
theirs=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["other"])' "$WORK/out")
refuse "a conflict needs --keep or --value" 2 "keep mine\|theirs or --value" D conflicts resolve "$kid" --as li --note x
refuse "a value the field cannot hold is refused" 3 "not a valid category" \
  D conflicts resolve "$kid" --as li --value rich --note x
check "a reviewer resolves it: theirs" D conflicts resolve "$kid" --as li --keep theirs --note 户主确认
sync_both
sync_both
shown() { "$HEARTH" --db "$1" household show "$K" | awk '/^category/ {print $2}'; }
expect "the decision reaches both devices" "$(shown "$A") $(shown "$B")" "$theirs $theirs"
refuse "a conflict cannot be resolved twice" 3 "resolved already" D conflicts resolve "$kid" --as li --keep mine --note x
expect "it leaves the open list, with who and why" \
  "$(D conflicts | grep -c .) $(SQL "SELECT account, decision, note FROM conflicts WHERE id = $kid")" "0 li|theirs|户主确认"

# ---- the quarantine -------------------------------------------------------------------------
# Device E recorded a household of village 299 before it was enrolled for
# villages 201 and 202 (an enrolled device refuses it at entry).
Q=5118231012990001
E="$WORK/e.db"
"$HEARTH" --db "$E" init >/dev/null
qh=$("$HEARTH" --db "$E" household add --village 511823101299 --category ordinary --registry-no "$Q")
enrol "$E" "$C" 511823101201,511823101202 || not_ok "E enrols"
refuse "an enrolled device refuses a household outside its villages at entry" 3 \
  "village_code: 511823101299 is not one of this device's villages" \
  "$HEARTH" --db "$E" household add --village 511823101299 --category ordinary --registry-no 5118231012990002
run "$HEARTH" --db "$E" sync
expect "a sync the collector refused a change of exits 8, saying what to do" \
  "$rc $(grep -c 'hearth outbox --quarantined' "$WORK/err")" "8 1"
run D quarantine --json
contains "a refused change shows its household, village and fields" "$WORK/out" \
  "\"household_id\": \"$qh\".*\"field\": \"[a-z_,]*village_code.*not one of this device's villages"
dev=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["device_id"])' "$WORK/out")
seq=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["seq"])' "$WORK/out")
refuse "accepting it while the cause stands is refused, saying why" 3 "still refused: village 511823101299" \
  D quarantine accept "$dev" "$seq" --as zhao --note 再试
refuse "an account outside the device's villages cannot decide it" 7 "outside the villages of 'qian'" \
  D quarantine discard "$dev" "$seq" --as qian --note x
check "a reviewer discards it" D quarantine discard "$dev" "$seq" --as zhao --note "村代码错误，请更正"
"$HEARTH" --db "$E" sync >/dev/null 2>&1
run "$HEARTH" --db "$E" outbox --quarantined
contains "the device shows the outcome with the reviewer's note" "$WORK/out" "quarantined +discarded at the collector: 村代码错误"
check "…and keeps the officer's household" "$HEARTH" --db "$E" household show "$Q"
refuse "a refusal is decided once" 3 "discarded already" D quarantine accept "$dev" "$seq" --as zhao --note x

# ---- duplicates (数据比对) -------------------------------------------------------------------
P1=5118231012010601
P2=5118231012010602
for pair in "$A $P1 2026-10-01" "$B $P2 2026-10-02"; do
  set -- $pair
  "$HEARTH" --db "$1" household add --village 511823101201 --category ordinary --registry-no "$2" >/dev/null
  "$HEARTH" --db "$1" member add "$2" --name 赵六 --id-number 511823198505050018 --relation head --sex m \
    --birth-year 1985 --labour full --health healthy --school none --insurance yes --employment local >/dev/null
  "$HEARTH" --db "$1" visit record "$2" --date "$3" --officer o --wages 30000 --operating 0 --property 0 \
    --transfer 0 >/dev/null
done
sync_both
sync_both
members() { "$HEARTH" --db "$1" household list --json 2>/dev/null | grep -c 511823198505050018; }
expect "one person entered in two households on two devices: both kept at the collector" \
  "$(SQL "SELECT count(*) FROM members WHERE id_number = '511823198505050018'")" "2"
expect "…nothing quarantined" "$(D quarantine | grep -c 511823101201)" "0"
run D duplicates --json
expect "…and one duplicate case lists both households" \
  "$(grep -c "\"kind\": \"id_number\".*\"registry_no\": \"$P1\".*\"registry_no\": \"$P2\"" "$WORK/out")" "1"
expect "both devices hold both records" "$(members "$A") $(members "$B")" "2 2"
did=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$WORK/out")
refuse "merging needs the household that stays" 3 "one of the case's two households" \
  D duplicates resolve "$did" --as zhao --merge --into 5118231012019999 --note x
check "a reviewer merges the two households" D duplicates resolve "$did" --as zhao --merge --into "$P1" --note 同一户
expect "the merge keeps every visit" "$(SQL "SELECT count(*) FROM visits v JOIN households h ON h.id = v.household_id WHERE h.registry_no = '$P1'")" "2"
sync_both
sync_both
expect "no person disappears from any device" "$(members "$A") $(members "$B")" "1 1"
expect "…who is in the household that stayed, on both" \
  "$("$HEARTH" --db "$A" household show "$P1" | grep -c 赵六) $("$HEARTH" --db "$B" household show "$P1" | grep -c 赵六)" "1 1"
refuse "a case is resolved once" 4 "no open duplicate case" D duplicates resolve "$did" --as zhao --keep-both --note x
# The same person again in two households, who lives in the first: moved there.
P3=5118231012010603
P4=5118231012010604
"$HEARTH" --db "$A" household add --village 511823101201 --category ordinary --registry-no "$P3" >/dev/null
check "the same person on device A" "$HEARTH" --db "$A" member add "$P3" --name 孙七 --id-number 511823199001010017 --relation head --sex m \
  --birth-year 1990 --labour full --health healthy --school none --insurance yes --employment local
"$HEARTH" --db "$B" household add --village 511823101201 --category ordinary --registry-no "$P4" >/dev/null
check "…and on device B, in another household" "$HEARTH" --db "$B" member add "$P4" --name 孙七 --id-number 511823199001010017 --relation child --sex m \
  --birth-year 1990 --labour full --health healthy --school none --insurance yes --employment local
sync_both
sync_both
run D duplicates --json
mv_case=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$WORK/out")
mv_member=$(/usr/bin/python3 -c '
import json, sys
c = json.loads(open(sys.argv[1]).readline())
print([s for s in (c["a"], c["b"]) if s["registry_no"] == sys.argv[2]][0]["member"])' "$WORK/out" "$P4")
check "a reviewer moves the person to the household they live in" \
  D duplicates resolve "$mv_case" --as zhao --move "$mv_member" --into "$P3" --note 户籍在P3
sync_both
sync_both
expect "…one record of the person remains, in that household, on the collector and both devices" \
  "$(SQL "SELECT count(*) FROM members WHERE id_number = '511823199001010017'") $("$HEARTH" --db "$A" household show "$P3" | grep -c 孙七) $("$HEARTH" --db "$B" household show "$P3" | grep -c 孙七) $("$HEARTH" --db "$B" household show "$P4" | grep -c 孙七)" \
  "1 1 1 0"
refuse "a device refuses a sex the ID number contradicts (its 17th digit is odd: male)" 3 \
  "sex: is not m, the sex the ID number states" \
  "$HEARTH" --db "$A" member add "$P1" --name 赵丽 --id-number 511823197001010018 --relation spouse --sex f \
  --birth-year 1970 --labour full --health healthy --school none --insurance yes --employment local
# An older agent did not check: its change reaches the collector as it was typed.
"$HEARTH" --db "$E" sync >/dev/null 2>&1
e_dev=$(sqlite3 "$E" "SELECT value FROM meta WHERE key = 'device_id'")
e_seq=$(( $(sqlite3 "$E" "SELECT ifnull(max(seq), 0) FROM outbox") + 1 ))
p1_id=$(SQL "SELECT id FROM households WHERE registry_no = '$P1'")
/usr/bin/python3 "$ROOT/tests/e2e/pb.py" "$HEARTH_DESC" member-change "$e_dev" "$e_seq" \
  "$(/usr/bin/python3 -c 'import uuid; print(uuid.uuid4())')" \
  "$p1_id" 511823197001010018 2 1970 >"$WORK/old-agent.pb"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" --cert "$E.keys/device.crt" \
  --key "$E.keys/device.key" -H 'Content-Type: application/x-protobuf' --data-binary @"$WORK/old-agent.pb" \
  "$COLLECTOR_URL/v1/sync")
run D duplicates --json
expect "…one from an older agent is accepted and listed for a reviewer" \
  "$code $(grep -c '"kind": "id_mismatch".*"name": "测试".*the sex contradicts the ID number' "$WORK/out") $(SQL "SELECT count(*) FROM members WHERE id_number = '511823197001010018'")" "200 1 1"
check "…kept as it is, with the reason" D duplicates resolve "$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$WORK/out")" \
  --as zhao --keep-both --note "户籍信息有误，已告知派出所"

finish
