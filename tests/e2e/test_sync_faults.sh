#!/usr/bin/env bash
# tests/e2e/test_sync_faults.sh — what must be refused, and what must survive:
# trust failures (wrong pin, another CA's collector, foreign or revoked device,
# used or expired codes), replays (same content: same answer; other content:
# 409), hostile bodies, clients on other TLS stacks (openssl, curl on OpenSSL,
# python3-protobuf for the answer), and syncs cut short on either side.
. "$(dirname "$0")/lib.sh"

C="$WORK/collector"
Z="$WORK/other-collector"
A="$WORK/a.db"
SQL() { sqlite3 "$C/collector.db" "$@"; }
PB() { /usr/bin/python3 "$ROOT/tests/e2e/pb.py" "$HEARTH_DESC" "$@"; }
# The collector's state that no refused request may change.
snapshot() {
  SQL "SELECT count(*) FROM households; SELECT count(*) FROM visits; SELECT count(*) FROM applied;
       SELECT id, revoked_ms, acked_seq FROM devices ORDER BY id; SELECT * FROM tiers ORDER BY household_id;"
}

start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
port=${COLLECTOR_URL##*:}

# ---- enrolment refusals ----------------------------------------------------------------
read -r code pin <<<"$(code_for "$C" 511823101201,511823101202)"
"$HEARTH" --db "$A" init >/dev/null
bad_pin="sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
refuse "wrong CA pin: refused as a trust failure" 11 "does not match --ca-pin" \
  "$HEARTH" --db "$A" enroll --server "$COLLECTOR_URL" --code "$code" --ca-pin "$bad_pin"
expect "wrong pin: the device stays unenrolled" "$(sqlite3 "$A" "SELECT count(*) FROM meta WHERE key = 'server_url'")" "0"
expect "wrong pin: the code is still unused" "$(SQL 'SELECT count(*) FROM enrol_codes WHERE used_ms IS NULL')" "1"
refuse "unknown code" 3 "unknown enrolment code" \
  "$HEARTH" --db "$A" enroll --server "$COLLECTOR_URL" --code NOPE-NOPE-NOPE --ca-pin "$pin"
expect "a refused enrolment leaves no key material behind" "$(ls "$A.keys" 2>/dev/null | wc -l)" "0"
check "the right code and pin enrol" "$HEARTH" --db "$A" enroll --server "$COLLECTOR_URL" --code "$code" --ca-pin "$pin"
"$HEARTH" --db "$WORK/x.db" init >/dev/null 2>&1
refuse "a used code is refused" 3 "used already" \
  "$HEARTH" --db "$WORK/x.db" enroll --server "$COLLECTOR_URL" --code "$code" --ca-pin "$pin"
read -r code2 pin2 <<<"$(code_for "$C" 511823101201)"
SQL "UPDATE enrol_codes SET expires_ms = 1 WHERE used_ms IS NULL"
refuse "an expired code is refused" 3 "expired" \
  "$HEARTH" --db "$WORK/x.db" enroll --server "$COLLECTOR_URL" --code "$code2" --ca-pin "$pin2"

# ---- a synced device ---------------------------------------------------------------------
grep -v 511823102203 "$SAMPLE" >"$WORK/sample.jsonl"   # the device's villages only
"$HEARTH" --db "$A" import "$WORK/sample.jsonl" >/dev/null
check "device A syncs" "$HEARTH" --db "$A" sync
device=$(sqlite3 "$A" "SELECT value FROM meta WHERE key = 'device_id'")

# ---- other TLS stacks --------------------------------------------------------------------
printf 'POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' >"$WORK/req"
openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$C/ca.crt" <"$WORK/req" >"$WORK/s_client" 2>&1
contains "openssl s_client without a client certificate gets no data (401)" "$WORK/s_client" "HTTP/1.1 401"
openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$C/ca.crt" -cert "$A.keys/device.crt" \
  -key "$A.keys/device.key" <"$WORK/req" >"$WORK/s_client" 2>&1
contains "openssl s_client with the device certificate is let in (400 for an empty body)" "$WORK/s_client" "HTTP/1.1 400"
openssl s_client -connect "127.0.0.1:$port" -tls1_1 -CAfile "$C/ca.crt" </dev/null >"$WORK/s_client" 2>&1
contains "TLS 1.1 is refused: no session" "$WORK/s_client" "Cipher is \(NONE\)"
openssl s_client -connect "127.0.0.1:$port" -tls1_2 -CAfile "$C/ca.crt" </dev/null >"$WORK/s_client" 2>&1
contains "TLS 1.2 is accepted and the server verifies against the collector CA" "$WORK/s_client" "Verify return code: 0 \(ok\)"

CURL() { curl -s -o "$WORK/resp" -w '%{http_code}' --cacert "$C/ca.crt" --cert "$A.keys/device.crt" --key "$A.keys/device.key" -H 'Content-Type: application/x-protobuf' "$@"; }

# ---- replay and idempotence --------------------------------------------------------------
hid=01a20000-0000-7000-8000-00000000beef
PB household-change "$device" 900000 "$hid" 511823101201 2 >"$WORK/body"
expect "a new change is applied" "$(CURL --data-binary @"$WORK/body" "$COLLECTOR_URL/v1/sync")" "200"
expect "the SyncResponse decodes with python3-protobuf" "$(PB decode-sync-response "$WORK/resp" | cut -d' ' -f1-4,9,10)" "acked_seq 900000 rejections 0 server_hlc>0 True"
snapshot >"$WORK/before"
expect "the same request replayed: 200" "$(CURL --data-binary @"$WORK/body" "$COLLECTOR_URL/v1/sync")" "200"
expect "the replay acknowledges the same seq" "$(PB decode-sync-response "$WORK/resp" | cut -d' ' -f1-4)" "acked_seq 900000 rejections 0"
snapshot >"$WORK/after"
if cmp -s "$WORK/before" "$WORK/after"; then ok "the replay changes nothing"; else not_ok "the replay changes nothing" "$(diff "$WORK/before" "$WORK/after" | head -5)"; fi
PB household-change "$device" 900000 "$hid" 511823101201 4 >"$WORK/body2"
expect "the same seq with other content: 409" "$(CURL --data-binary @"$WORK/body2" "$COLLECTOR_URL/v1/sync")" "409"
snapshot >"$WORK/after"
if cmp -s "$WORK/before" "$WORK/after"; then ok "the 409 changes nothing"; else not_ok "the 409 changes nothing"; fi
expect "the 409 is recorded in the audit log" "$(SQL "SELECT count(*) FROM audit WHERE kind = 'seq_mismatch'")" "1"

# ---- hostile bodies ----------------------------------------------------------------------
head -c 5000 /dev/urandom >"$WORK/garbage"
expect "garbage bytes: 400" "$(CURL --data-binary @"$WORK/garbage" "$COLLECTOR_URL/v1/sync")" "400"
# Cut inside the change (a cut at a field boundary would be a valid, shorter message).
head -c $(($(stat -c %s "$WORK/body") - 7)) "$WORK/body" >"$WORK/truncated"
expect "a truncated protobuf: 400" "$(CURL --data-binary @"$WORK/truncated" "$COLLECTOR_URL/v1/sync")" "400"
head -c 2000000 /dev/zero >"$WORK/big"
expect "an oversized body: 413" "$(CURL --data-binary @"$WORK/big" "$COLLECTOR_URL/v1/sync")" "413"
PB many-changes "$device" 1100 >"$WORK/many"   # the bound is 1024
expect "absurd repeated counts: 413" "$(CURL --data-binary @"$WORK/many" "$COLLECTOR_URL/v1/sync")" "413"
expect "an unknown path: 404" "$(CURL "$COLLECTOR_URL/v1/nothing")" "404"
expect "a body without Content-Type: application/x-protobuf: 415" \
  "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" --cert "$A.keys/device.crt" --key "$A.keys/device.key" \
     --data-binary @"$WORK/body" -H 'Content-Type: application/x-www-form-urlencoded' "$COLLECTOR_URL/v1/sync")" "415"
expect "…an enrolment too" \
  "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" --data-binary @"$WORK/body" -H 'Content-Type: text/plain' \
     "$COLLECTOR_URL/v1/enroll")" "415"
snapshot >"$WORK/after"
if cmp -s "$WORK/before" "$WORK/after"; then ok "hostile bodies change nothing"; else not_ok "hostile bodies change nothing"; fi
expect "the collector keeps serving" "$(curl -s --cacert "$C/ca.crt" "$COLLECTOR_URL/v1/health")" "ok"

# ---- a device certificate from a foreign CA ---------------------------------------------
"$HEARTHD" --dir "$Z" init >/dev/null
start_collector "$Z"
Z_PID=$COLLECTOR_PID Z_URL=$COLLECTOR_URL
read -r zcode zpin <<<"$(code_for "$Z" 511823101201)"
"$HEARTH" --db "$WORK/z.db" init >/dev/null
COLLECTOR_URL=$Z_URL "$HEARTH" --db "$WORK/z.db" enroll --server "$Z_URL" --code "$zcode" --ca-pin "$zpin" >/dev/null
expect "a device certificate from another collector's CA: 401" \
  "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" --cert "$WORK/z.db.keys/device.crt" \
     --key "$WORK/z.db.keys/device.key" --data-binary @"$WORK/body" "https://127.0.0.1:$port/v1/sync")" "401"
stop_collector "$Z_PID"

# ---- a collector with a certificate from another CA --------------------------------------
stop_collector "$(pgrep -f "hearthd --dir $C serve" | head -1)" || true
start_collector "$Z" "127.0.0.1:$port"
Z_PID=$COLLECTOR_PID
refuse "a collector from another CA on the device's address: trust failure" 11 "could not be verified" \
  "$HEARTH" --db "$A" sync --retries 0
stop_collector "$Z_PID"
start_collector "$C" "127.0.0.1:$port"

# ---- revocation ---------------------------------------------------------------------------
"$HEARTH" --db "$A" visit record 5118231012010001 --date 2026-11-20 --officer o --wages 1 --operating 0 \
  --property 0 --transfer 0 >/dev/null
check "revoke the device" "$HEARTHD" --dir "$C" device revoke "$device"
refuse "a revoked device is told so, and wipes itself" 12 "revoked this device: its records are wiped" \
  "$HEARTH" --db "$A" sync --retries 0
run "$HEARTHD" --dir "$C" device recover "$A.recovery"
contains "its pending change is kept, sealed for the administrator" "$WORK/out" "1 unsent changes of device"

# ---- no collector at all -------------------------------------------------------------------
"$HEARTH" --db "$WORK/n.db" init >/dev/null
read -r ncode npin <<<"$(code_for "$C" 511823101201)"
"$HEARTH" --db "$WORK/n.db" enroll --server "$COLLECTOR_URL" --code "$ncode" --ca-pin "$npin" >/dev/null
stop_collector "$COLLECTOR_PID"
refuse "no collector: a network failure, retry later" 10 "try again when there is signal" \
  "$HEARTH" --db "$WORK/n.db" sync --retries 0
finish
