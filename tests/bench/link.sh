#!/usr/bin/env bash
# tests/bench/link.sh — 500 visits over a 2G-like link, beside an ODK-style
# client on the same link in the same run.
#
# The link: a network namespace for the device, joined to this one by a veth
# pair; 64 kbit/s each way (tc tbf on both ends), 3 % of packets dropped each
# way (nftables numgen random, in the device's namespace), and 600 ms more round
# trip from our TCP proxy (tests/e2e/link_proxy.py holds every chunk 300 ms each
# way; this kernel has no netem). Everything stays inside this machine.
#
# Figures, each named for what it counts:
#   HTTP bytes   request and answer headers and bodies (the agent's own count)
#   TLS bytes    TCP payload through the proxy: TLS records, handshakes included
#   link bytes   IP packets on the device's veth, both ways (TCP/IP headers,
#                retransmissions and ACKs included; Ethernet headers left out)
# and requests, TLS handshakes (connections) and the sync's wall time.
#
# The ODK-style client posts one ~3 KB form per visit over one kept-alive
# connection (curl, multipart as ODK Collect sends it) to an OpenRosa-style
# endpoint of ours (tests/bench/odk_server.py), BENCH_ODK_VISITS of them (default 60: at a second or more
# each, 500 would take ten minutes); its time for 500 is that rate times 500,
# and is printed as such.
#
# usage: tests/bench/link.sh BUILD_DIR WORKDIR   (as root)
set -eu
build=$1
dir=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
hearth="$build/bin/hearth" hearthd="$build/bin/hearthd"
odk_visits=${BENCH_ODK_VISITS:-60}
ns=hh-link-$$
host_if=hhl$$a dev_if=hhl$$b
host_ip=10.77.$(($$ % 200)).1 dev_ip=10.77.$(($$ % 200)).2
pids=""
cleanup() {
  for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
  ip link del "$host_if" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
for tool in ip tc nft curl; do
  command -v "$tool" >/dev/null || { echo "link: $tool is missing (make deps installs it)"; exit 0; }
done
if [ "$(id -u)" != 0 ]; then echo "link: needs root for a network namespace; skipped"; exit 0; fi

# ---- the link ----------------------------------------------------------------------------------
ip netns add "$ns"
ip link add "$host_if" type veth peer name "$dev_if"
ip link set "$dev_if" netns "$ns"
ip addr add "$host_ip/30" dev "$host_if"
ip link set "$host_if" up
ip -n "$ns" addr add "$dev_ip/30" dev "$dev_if"
ip -n "$ns" link set "$dev_if" up
ip -n "$ns" link set lo up
tc qdisc add dev "$host_if" root tbf rate 64kbit burst 1600 latency 10s
ip netns exec "$ns" tc qdisc add dev "$dev_if" root tbf rate 64kbit burst 1600 latency 10s
ip netns exec "$ns" nft -f - <<EOF
table inet hhloss {
  chain down { type filter hook input priority 0; iifname "$dev_if" numgen random mod 100 < 3 drop; }
  chain up { type filter hook output priority 0; oifname "$dev_if" numgen random mod 100 < 3 drop; }
}
EOF
stop_proxy() {   # stop_proxy NAME: SIGTERM, then wait for its stats file
  kill -TERM "$(eval echo "\$${1}_pid")" 2>/dev/null || true
  for _ in $(seq 1 100); do [ -s "$dir/$1.stats" ] && return 0; sleep 0.1; done
  echo "up 0 down 0 connections 0 cuts 0" >"$dir/$1.stats"
}
link_bytes() {   # IP bytes both ways on the device's interface
  local s=/sys/class/net/$dev_if/statistics
  ip netns exec "$ns" sh -c "echo \$(( \$(cat $s/tx_bytes) + \$(cat $s/rx_bytes) - 14 * (\$(cat $s/tx_packets) + \$(cat $s/rx_packets)) ))"
}

# ---- a collector, a device with its households, 500 visits ------------------------------------
c="$dir/link-collector"
"$hearthd" --dir "$c" init --listen 127.0.0.1:0 --name "$host_ip" >/dev/null
"$hearthd" --dir "$c" serve 2>"$c.log" &
pids="$pids $!"
collector=$!
disown
for _ in $(seq 1 100); do [ -s "$c/hearthd.url" ] && break; sleep 0.1; done
url=$(cat "$c/hearthd.url")
proxy() {   # proxy NAME PORT: the delaying proxy on the host end of the link, to PORT
  /usr/bin/python3 "$root/tests/e2e/link_proxy.py" "$host_ip" 0 127.0.0.1 "$2" 3600 \
    --delay-ms 600 --stats "$dir/$1.stats" --ready "$dir/$1.port" &
  pids="$pids $!"
  disown
  eval "${1}_pid=$!"
  for _ in $(seq 1 100); do [ -s "$dir/$1.port" ] && break; sleep 0.1; done
}
db="$dir/link.db"
"$root/tests/bench/prepare_device.sh" "$build" "$c" "$url" "$db" "$dir"

# ---- Hearth: the 500 visits over the link ------------------------------------------------------
proxy hearth "${url##*:}"
sqlite3 "$db" "UPDATE meta SET value = 'https://$host_ip:$(cat "$dir/hearth.port")' WHERE key = 'server_url'"
before=$(link_bytes)
start=$(date +%s.%N)
ip netns exec "$ns" "$hearth" --db "$db" sync --quiet --retries 20 >"$dir/link-sync.out" 2>"$dir/link-sync.err" ||
  echo "link: the sync failed: $(cat "$dir/link-sync.err")"
hearth_s=$(echo "$(date +%s.%N) - $start" | bc)
hearth_link=$(( $(link_bytes) - before ))
stop_proxy hearth
sent=$(sed -n 's/^sync: \([0-9]*\) sent.*/\1/p' "$dir/link-sync.out")
read -r requests up down < <(sed -n 's/.*; \([0-9]*\) requests, \([0-9]*\) bytes up, \([0-9]*\) bytes down.*/\1 \2 \3/p' "$dir/link-sync.out")
read -r _ tls_up _ tls_down _ connections _ < "$dir/hearth.stats"
stored=$(sqlite3 "$c/collector.db" "SELECT count(*) FROM visits")
printf 'hearth: %s visits in %.1f s over 64 kbit/s, +600 ms RTT, 3%% loss each way (%s visits on the collector)\n' \
  "${sent:-0}" "$hearth_s" "$stored"
printf '  per visit: %.0f HTTP bytes, %.0f TLS bytes, %.0f link bytes (IP, both ways)\n' \
  "$(echo "($up + $down) / $sent" | bc -l)" "$(echo "($tls_up + $tls_down) / $sent" | bc -l)" \
  "$(echo "$hearth_link / $sent" | bc -l)"
printf '  %s requests (HTTP), %s TLS handshakes (connections)\n' "$requests" "$connections"

# ---- ODK-style: one ~3 KB POST per visit, kept alive ------------------------------------------
/usr/bin/python3 - "$dir/odk-form.xml" <<'PY'
import sys
fields = "".join("<f%02d>%s</f%02d>" % (i, "value-%02d-" % i + "x" * 40, i) for i in range(45))
xml = ('<?xml version="1.0"?><data id="household_visit" version="2026110101" '
       'xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">'
       '<meta><instanceID>uuid:01a23446-f180-7cc9-8770-1609f3d3431c</instanceID></meta>'
       + fields + '</data>')
open(sys.argv[1], "w").write(xml)
PY
/usr/bin/python3 "$root/tests/bench/odk_server.py" "$dir/odk-server.port" "$c/server.crt" "$c/server.key" 3600 &
pids="$pids $!"
disown
for _ in $(seq 1 100); do [ -s "$dir/odk-server.port" ] && break; sleep 0.1; done
proxy odk "$(cat "$dir/odk-server.port")"
odk_url="https://$host_ip:$(cat "$dir/odk.port")/submission"
# One operation, many URLs: curl keeps the connection alive across them.
printf 'form = "xml_submission_file=@%s;type=text/xml"\nheader = "Expect:"\nheader = "X-OpenRosa-Version: 1.0"\n' \
  "$dir/odk-form.xml" >"$dir/odk.curlrc"
for i in $(seq 1 "$odk_visits"); do
  printf 'url = "%s"\noutput = "/dev/null"\n' "$odk_url" >>"$dir/odk.curlrc"
done
before=$(link_bytes)
start=$(date +%s.%N)
ip netns exec "$ns" curl -s --cacert "$c/ca.crt" --retry 20 --retry-all-errors -K "$dir/odk.curlrc" \
  >/dev/null 2>&1 || true
odk_s=$(echo "$(date +%s.%N) - $start" | bc)
odk_link=$(( $(link_bytes) - before ))
stop_proxy odk
read -r _ odk_up _ odk_down _ odk_connections _ < "$dir/odk.stats"
odk_500=$(echo "$odk_s * 500 / $odk_visits" | bc -l)
printf 'ODK-style: %s posts of %s bytes in %.1f s on the same link (%s TLS handshakes): %.2f s per visit,\n' \
  "$odk_visits" "$(stat -c %s "$dir/odk-form.xml")" "$odk_s" "$odk_connections" "$(echo "$odk_s / $odk_visits" | bc -l)"
printf '  so %.0f s for 500 at that rate; per visit %.0f TLS bytes, %.0f link bytes\n' \
  "$odk_500" "$(echo "($odk_up + $odk_down) / $odk_visits" | bc -l)" "$(echo "$odk_link / $odk_visits" | bc -l)"
printf 'ratio: hearth is %.0fx faster than the ODK-style client for 500 visits on this link\n' \
  "$(echo "$odk_500 / $hearth_s" | bc -l)"
kill -TERM "$collector" 2>/dev/null || true
