#!/usr/bin/env bash
# tests/e2e/test_identity.sh — nobody takes over a device: the collector, not
# the device, decides a new device's identity; revocation is final for an id
# (the revoked device wipes itself, its unsent work kept for the administrator);
# enrolment guessing is slow (a code locks after wrong tries against it, refused
# attempts are limited per address and overall) and every refusal is audited.
. "$(dirname "$0")/lib.sh"

C="$WORK/collector"
V="$WORK/victim.db"
T="$WORK/taker.db"
SQL() { sqlite3 "$C/collector.db" "$@"; }
meta() { sqlite3 "$1" "SELECT value FROM meta WHERE key = '$2'"; }

mkdir -p "$C"
"$HEARTHD" --dir "$C" init >/dev/null
printf 'enrol_failures_per_address = 8\nenrol_attempts_total = 1000\n' >>"$C/hearthd.conf"
start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }

# ---- the collector decides the identity ------------------------------------------------
"$HEARTH" --db "$V" init >/dev/null
local_id=$(meta "$V" device_id)
"$HEARTH" --db "$V" household add --village 511823101201 --category lifted --registry-no 5118231012010001 >/dev/null
"$HEARTH" --db "$V" visit record 5118231012010001 --date 2026-11-02 --officer o-v --size 2 \
  --wages 2000 --operating 0 --property 0 --transfer 0 >/dev/null
read -r code pin <<<"$(code_for "$C" 511823101201)"
check "the victim enrols" "$HEARTH" --db "$V" enroll --server "$COLLECTOR_URL" --code "$code" --ca-pin "$pin"
victim=$(meta "$V" device_id)
if [ "$victim" != "$local_id" ] && SQL "SELECT id FROM devices" | grep -qx "$victim"; then
  ok "the device took the identity the collector gave it"
else
  not_ok "the device took the identity the collector gave it" "local $local_id, now $victim"
fi
check "what was recorded before enrolment syncs under that identity" "$HEARTH" --db "$V" sync
expect "…and arrives" "$(SQL "SELECT count(*) FROM visits")" "1"
cert_before=$(SQL "SELECT cert_sha256 || officer || villages FROM devices WHERE id = '$victim'")

# ---- one short string to type or scan ------------------------------------------------------
enrol_string() {
  "$HEARTHD" --dir "$C" device add --officer officer-test --villages 511823101201 --json |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["enrol"])'
}
S=$(enrol_string)
expect "device add gives one enrolment string: URL, code and an 80-bit pin" \
  "$(printf '%s' "$S" | grep -cE '^hearth://127\.0\.0\.1:[0-9]+/[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){2}/[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$')" "1"
"$HEARTH" --db "$WORK/s1.db" init >/dev/null
typed=$(printf '%s' "$S" | tr 'A-Z' 'a-z' | tr -d '-')
check "typed in lower case without dashes, it enrols the device" "$HEARTH" --db "$WORK/s1.db" enroll "$typed"
expect "…with the collector's URL" "$(meta "$WORK/s1.db" server_url)" "$COLLECTOR_URL"
"$HEARTH" --db "$WORK/s2.db" init >/dev/null
S=$(enrol_string)
wrong=$(printf '%s' "$S" | sed 's#/[^/]*$#/2222-2222-2222-2222#')
used=$(SQL "SELECT count(*) FROM enrol_codes WHERE used_ms IS NOT NULL")
refuse "a pin that is not the collector's CA: nothing sent" 11 "does not match the enrolment string" \
  "$HEARTH" --db "$WORK/s2.db" enroll "$wrong"
expect "…and the code was not spent" "$(SQL "SELECT count(*) FROM enrol_codes WHERE used_ms IS NOT NULL")" "$used"
refuse "a string with a pin too short is refused before any contact" 3 "the pin must be 16 characters" \
  "$HEARTH" --db "$WORK/s2.db" enroll "$(printf '%s' "$S" | sed 's#....$##')"
refuse "a string and the options together are refused" 2 "not both" \
  "$HEARTH" --db "$WORK/s2.db" enroll "$S" --server "$COLLECTOR_URL"
check "the right string enrols it" "$HEARTH" --db "$WORK/s2.db" enroll "$S"
expect "…spending its code" "$(SQL "SELECT count(*) FROM enrol_codes WHERE used_ms IS NOT NULL")" "$((used + 1))"

# ---- the takeover: a CSR naming the victim's id, with another officer's code ------------
"$HEARTH" --db "$T" init >/dev/null
sqlite3 "$T" "UPDATE meta SET value = '$victim' WHERE key = 'device_id'"
read -r code2 pin2 <<<"$("$HEARTHD" --dir "$C" device add --officer officer-taker --villages 511823102203 --json |
  /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["code"], j["ca_pin"])')"
check "a device naming another's id still enrols…" "$HEARTH" --db "$T" enroll --server "$COLLECTOR_URL" --code "$code2" --ca-pin "$pin2"
taker=$(meta "$T" device_id)
if [ "$taker" != "$victim" ]; then ok "…but under a new identity"; else not_ok "…but under a new identity" "$taker"; fi
expect "the victim's certificate, officer and villages are untouched" \
  "$(SQL "SELECT cert_sha256 || officer || villages FROM devices WHERE id = '$victim'")" "$cert_before"
"$HEARTH" --db "$V" visit record 5118231012010001 --date 2026-11-03 --officer o-v --size 2 \
  --wages 2100 --operating 0 --property 0 --transfer 0 >/dev/null
"$HEARTH" --db "$T" household add --village 511823102203 --category lifted --registry-no 5118231022030001 >/dev/null
check "the taker syncs as itself" "$HEARTH" --db "$T" sync
check "the victim still syncs: not revoked, not locked out by the taker's seqs" "$HEARTH" --db "$V" sync
expect "the victim's villages are still its own" "$(SQL "SELECT villages FROM devices WHERE id = '$victim'")" "511823101201"

# ---- revocation is final for an id -----------------------------------------------------
check "revoke the victim" "$HEARTHD" --dir "$C" device revoke "$victim"
"$HEARTH" --db "$V" visit record 5118231012010001 --date 2026-11-04 --officer o-v --size 2 \
  --wages 2200 --operating 0 --property 0 --transfer 0 >/dev/null
refuse "the revoked device is told so, and wipes itself, keeping its unsent visit for the administrator" 12 \
  "revoked this device: its records are wiped; 1 unsent changes are kept sealed" "$HEARTH" --db "$V" sync --retries 0
read -r code3 pin3 <<<"$(code_for "$C" 511823101201)"
"$HEARTH" --db "$WORK/t2.db" init >/dev/null
sqlite3 "$WORK/t2.db" "UPDATE meta SET value = '$victim' WHERE key = 'device_id'"
"$HEARTH" --db "$WORK/t2.db" enroll --server "$COLLECTOR_URL" --code "$code3" --ca-pin "$pin3" >/dev/null 2>&1
expect "a CSR naming a revoked id does not bring it back" \
  "$(SQL "SELECT revoked_ms > 0 FROM devices WHERE id = '$victim'")" "1"
check "the administrator applies what the wiped device kept" "$HEARTHD" --dir "$C" device recover "$V.recovery" --apply
expect "…so the visit recorded while revoked arrives: nothing lost" "$(SQL "SELECT count(*) FROM visits")" "3"
read -r code4 pin4 <<<"$(code_for "$C" 511823101201)"
mv "$V.recovery" "$WORK/kept.recovery"
"$HEARTH" --db "$V" init >/dev/null
check "the officer starts the device again with a new code" \
  "$HEARTH" --db "$V" enroll --server "$COLLECTOR_URL" --code "$code4" --ca-pin "$pin4"
again=$(meta "$V" device_id)
if [ "$again" != "$victim" ]; then ok "…under a new identity"; else not_ok "…under a new identity"; fi
check "…and syncs, bringing the village's records back" "$HEARTH" --db "$V" sync

# ---- ID numbers as a keyed hash, the same on both sides ---------------------------------------
"$HEARTH" --db "$V" household add --village 511823101201 --category lifted --registry-no 5118231012010077 >/dev/null
"$HEARTH" --db "$V" member add 5118231012010077 --name 王芳 --id-number 511823198503150023 --relation head \
  --sex f --birth-year 1985 --labour full --health healthy --school none --insurance yes --employment local >/dev/null
"$HEARTH" --db "$V" sync >/dev/null
expect "the collector holds every ID number's keyed hash" \
  "$(SQL "SELECT count(*) FROM members WHERE id_key IS NULL OR length(id_key) <> 32")" "0"
expect "…and no index of the ID numbers themselves" \
  "$(SQL "SELECT count(*) FROM pragma_index_list('members') WHERE name = 'members_id_number'")" "0"
expect "…it looks a person up by the hash, in its index" \
  "$(SQL "EXPLAIN QUERY PLAN SELECT id FROM members WHERE id_key = 'x'" | grep -c members_id_key)" "1"
dev_keys=$(sqlite3 "$V" "SELECT id || id_key FROM members ORDER BY id")
col_keys=$(SQL "SELECT id || id_key FROM members WHERE id IN ($(sqlite3 "$V" "SELECT quote(id) FROM members" | paste -sd,)) ORDER BY id")
if [ -n "$dev_keys" ] && [ "$dev_keys" = "$col_keys" ]; then ok "the device got the county's key at enrolment: its hashes are the collector's"
else not_ok "the device got the county's key at enrolment: its hashes are the collector's" "device: $(echo "$dev_keys" | head -2)" "collector: $(echo "$col_keys" | head -2)"; fi
expect "the old id stays revoked" "$(SQL "SELECT revoked_ms > 0 FROM devices WHERE id = '$victim'")" "1"

# ---- guessing: a code locks after wrong tries; refused attempts are limited per address --
read -r code5 pin5 <<<"$(code_for "$C" 511823101201)"
name=${code5%%-*}
"$HEARTH" --db "$WORK/g.db" init >/dev/null
for i in 1 2 3 4 5; do
  "$HEARTH" --db "$WORK/g.db" enroll --server "$COLLECTOR_URL" --code "$name-ZZZZ-ZZZ$i" --ca-pin "$pin5" >/dev/null 2>&1
done
expect "five wrong tries against a code lock it" "$(SQL "SELECT locked_ms IS NOT NULL FROM enrol_codes WHERE code_id = '$name' AND used_ms IS NULL")" "1"
refuse "the right code, once locked, is refused" 3 "locked after too many wrong tries" \
  "$HEARTH" --db "$WORK/g.db" enroll --server "$COLLECTOR_URL" --code "$code5" --ca-pin "$pin5"
refused_before=$(SQL "SELECT count(*) FROM audit WHERE kind = 'enrol_refused'")
refuse "a wrong code: refused" 3 "unknown enrolment code" \
  "$HEARTH" --db "$WORK/g.db" enroll --server "$COLLECTOR_URL" --code WXYZ-WXYZ-WXY1 --ca-pin "$pin5"
refuse "another: refused (the 8th refusal from this address)" 3 "unknown enrolment code" \
  "$HEARTH" --db "$WORK/g.db" enroll --server "$COLLECTOR_URL" --code WXYZ-WXYZ-WXY2 --ca-pin "$pin5"
read -r code6 pin6 <<<"$(code_for "$C" 511823101201)"
refuse "past the address's bound even a good code waits (429, busy)" 13 "too many enrolment attempts" \
  "$HEARTH" --db "$WORK/g.db" enroll --server "$COLLECTOR_URL" --code "$code6" --ca-pin "$pin6"
expect "the good code is still usable afterwards" "$(SQL "SELECT count(*) FROM enrol_codes WHERE code_id = '${code6%%-*}' AND used_ms IS NULL AND locked_ms IS NULL")" "1"
expect "every refusal is audited" "$(SQL "SELECT count(*) FROM audit WHERE kind = 'enrol_refused'")" "$((refused_before + 2))"
expect "…eight in all, one per refused attempt" "$(SQL "SELECT count(*) FROM audit WHERE kind = 'enrol_refused'")" "8"
contains "…naming the address, not the code" <(SQL "SELECT detail FROM audit WHERE kind = 'enrol_refused'") "from 127\.0\.0\.1: "
if SQL "SELECT detail FROM audit" | grep -q "$code5"; then not_ok "no code appears in the audit log"; else ok "no code appears in the audit log"; fi

# ---- attempts from everywhere are bounded too -------------------------------------------
stop_collector "$COLLECTOR_PID"
printf 'enrol_attempts_total = 3\n' >>"$C/hearthd.conf"
start_collector "$C" || { not_ok "collector restarts"; finish; exit 1; }
read -r code7 pin7 <<<"$(code_for "$C" 511823101201)"
for i in 1 2 3; do
  "$HEARTH" --db "$WORK/h$i.db" init >/dev/null
  "$HEARTH" --db "$WORK/h$i.db" enroll --server "$COLLECTOR_URL" --code "QQQQ-QQQQ-QQQ$i" --ca-pin "$pin7" >/dev/null 2>&1
done
"$HEARTH" --db "$WORK/h4.db" init >/dev/null
refuse "past the overall bound, enrolment waits" 13 "too many enrolment attempts" \
  "$HEARTH" --db "$WORK/h4.db" enroll --server "$COLLECTOR_URL" --code "$code7" --ca-pin "$pin7"
stop_collector "$COLLECTOR_PID"
finish
