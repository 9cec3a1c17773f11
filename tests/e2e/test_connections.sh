#!/usr/bin/env bash
# tests/e2e/test_connections.sh — connections cannot lock devices out. A body
# trickled below the minimum rate, and a chunked body that never ends, are
# closed; a device syncs while 256 slow connections (no certificate) are held
# open from other addresses, and while 64 more share its own address (a carrier
# NAT); a refused or cut handshake is a network failure to retry (exit 10), never
# a trust failure (11). Loopback only, bounded in time.
. "$(dirname "$0")/lib.sh"

C="$WORK/collector"
A="$WORK/a.db"
PEER() { /usr/bin/python3 "$ROOT/tests/e2e/hostile_peer.py" "$@"; }

mkdir -p "$C"
"$HEARTHD" --dir "$C" init >/dev/null
printf 'max_body_bytes = 16384\nheader_time_max_s = 5\nrequest_time_max_s = 30\nmin_rate_bytes_s = 64\n' >>"$C/hearthd.conf"
start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
port=${COLLECTOR_URL##*:}
enrol "$A" "$C" 511823101201 || not_ok "the device enrols"
"$HEARTH" --db "$A" household add --village 511823101201 --category lifted --registry-no 5118231012010001 >/dev/null

# ---- slow and endless bodies --------------------------------------------------------------
run PEER trickle 127.0.0.1 "$port" "$C/ca.crt" 20 25
contains "a body trickled at 20 B/s is closed once past the grace (10 s)" "$WORK/out" "^closed after 1[0-4] s"
run PEER headers 127.0.0.1 "$port" "$C/ca.crt" 25
contains "headers sent a byte a second are cut at header_time_max_s (5 s)" "$WORK/out" "^closed after [5-9] s"
run PEER endless 127.0.0.1 "$port" "$C/ca.crt" 25
contains "a chunked body that never ends is closed past the size limit" "$WORK/out" "^closed after [0-4] s"
contains "the log says why" "$C/serve.log" "closed: body (too slow|over 16384 bytes)"

# ---- a crowd: 256 slow connections from other addresses, 64 from the device's ------------
# (python3 itself in the background, not a shell function, so its PID is the one stopped)
/usr/bin/python3 "$ROOT/tests/e2e/hostile_peer.py" hold 127.0.0.1 "$port" 256 \
  127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9 2 30 "$WORK/crowd" &
crowd=$!
/usr/bin/python3 "$ROOT/tests/e2e/hostile_peer.py" hold 127.0.0.1 "$port" 64 127.0.0.1 2 30 "$WORK/nat" &
nat=$!
PIDS_TO_STOP="${PIDS_TO_STOP:-} $crowd $nat"
for i in $(seq 1 100); do [ -s "$WORK/crowd" ] && [ -s "$WORK/nat" ] && break; sleep 0.1; done
expect "256 slow connections are held open" "$(cat "$WORK/crowd")" "open 256"
expect "…and 64 from the device's own address" "$(cat "$WORK/nat")" "open 64"
sleep 1
check "the device syncs all the same" "$HEARTH" --db "$A" sync --retries 0
contains "…and its change is acknowledged" "$WORK/out" "^sync: 1 sent, 1 acknowledged"
kill "$crowd" "$nat" 2>/dev/null; wait "$crowd" "$nat" 2>/dev/null

# ---- a handshake refused or cut is the network's, not trust -------------------------------
stop_collector "$COLLECTOR_PID"
"$HEARTH" --db "$A" household edit 5118231012010001 --category marginal >/dev/null
refuse "no collector: a network failure (10)" 10 "no connection" "$HEARTH" --db "$A" sync --retries 0
# A listener that accepts and cuts every connection during the handshake.
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); s.settimeout(20)
end = time.monotonic() + 20
while time.monotonic() < end:
    try:
        c, _ = s.accept()
    except OSError:
        break
    c.recv(64); c.close()
' "$port" &
cutter=$!
PIDS_TO_STOP="${PIDS_TO_STOP:-} $cutter"
sleep 0.5
refuse "a handshake cut midway: a network failure (10), not trust (11)" 10 "." \
  "$HEARTH" --db "$A" sync --retries 0
kill "$cutter" 2>/dev/null

# SIGHUP (log rotation, a closed terminal) reopens the log and serving goes on.
L="$WORK/logged"
"$HEARTHD" --dir "$L" init --listen 127.0.0.1:0 >/dev/null
"$HEARTHD" --dir "$L" serve --log "$WORK/hearthd.log" 2>"$WORK/serve.err" &
hup_pid=$!
PIDS_TO_STOP="${PIDS_TO_STOP:-} $hup_pid"
for _ in $(seq 1 100); do [ -s "$L/hearthd.url" ] && break; sleep 0.1; done
mv "$WORK/hearthd.log" "$WORK/hearthd.log.1"       # as logrotate does
kill -HUP "$hup_pid"
for _ in $(seq 1 50); do grep -q "SIGHUP" "$WORK/hearthd.log" 2>/dev/null && break; sleep 0.1; done
health=$(curl -s --cacert "$L/ca.crt" "$(cat "$L/hearthd.url")/v1/health")
sleep 0.3
if kill -0 "$hup_pid" 2>/dev/null && [ "$health" = ok ]; then ok "SIGHUP does not stop serve"
else not_ok "SIGHUP does not stop serve" "health: $health" "$(cat "$WORK/serve.err")"; fi
expect "the rotated log keeps what came before; the new one what came after" \
  "$(grep -c 'serving https' "$WORK/hearthd.log.1") $(grep -c 'SIGHUP: log reopened' "$WORK/hearthd.log") $(grep -c 'GET /v1/health' "$WORK/hearthd.log")" \
  "1 1 1"
stop_collector "$hup_pid" && ok "…and SIGTERM still stops it" || not_ok "…and SIGTERM still stops it"
finish
