#!/usr/bin/env bash
# tests/tls/test_testssl.sh — an independent TLS scanner (Debian's testssl.sh,
# on OpenSSL) against a real hearthd: TLS 1.2 and 1.3 only, and every cipher
# suite offered is an AEAD one with forward secrecy (no CBC, no SHA-1 MAC, no
# static key exchange). About a minute; run once, on the plain build.
. "$(dirname "$0")/../e2e/lib.sh"

C="$WORK/collector"
command -v testssl >/dev/null || { not_ok "testssl is installed (make deps)"; finish; exit 1; }
start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
run testssl --quiet --color 0 --warnings off -p -E "${COLLECTOR_URL#https://}"
cp "$WORK/out" "$WORK/scan"
for old in "SSLv2" "SSLv3" "TLS 1 " "TLS 1.1"; do
  contains "$old is not offered" "$WORK/scan" "^ $old +not offered"
done
contains "TLS 1.2 is offered" "$WORK/scan" "^ TLS 1.2 +offered"
contains "TLS 1.3 is offered" "$WORK/scan" "^ TLS 1.3 +offered"
grep -E '^ x[0-9a-f]+ ' "$WORK/scan" >"$WORK/suites"
if [ -s "$WORK/suites" ]; then ok "the scan lists the suites offered ($(wc -l <"$WORK/suites"))"
else not_ok "the scan lists the suites offered" "$(head -c 800 "$WORK/scan")"; fi
weak=$(grep -Ev 'AESGCM|ChaCha20' "$WORK/suites" || true)
if [ -z "$weak" ]; then ok "every suite is AEAD (AES-GCM or ChaCha20-Poly1305)"
else not_ok "every suite is AEAD (AES-GCM or ChaCha20-Poly1305)" "$weak"; fi
nofs=$(grep -Ev '^ x[0-9a-f]+ +(ECDHE-|TLS_)' "$WORK/suites" || true)
if [ -z "$nofs" ]; then ok "every suite has forward secrecy (ECDHE, or TLS 1.3)"
else not_ok "every suite has forward secrecy (ECDHE, or TLS 1.3)" "$nofs"; fi
stop_collector "$COLLECTOR_PID"
finish
