#!/usr/bin/env bash
# tests/cross/test_board.sh — the ARM agent, run on its own instruction set under
# qemu-user, against a real host collector over real mutual TLS.
#
# The board's `hearth` is the static, stripped binary `make cross` built. It
# initialises a device, enrols with the host `hearthd` by a host *name* (found in
# /etc/hosts, bind-mounted in a private mount namespace, so a static binary must
# resolve names itself), records households and visits, syncs, and prints the
# collector's tiers, which must equal what the collector says.
#
# env: TARGET (armhf|arm64), BOARD_HEARTH (the board's hearth), HEARTHD (host hearthd)
. "$(dirname "$0")/../e2e/lib.sh"
: "${TARGET:?}" "${BOARD_HEARTH:?}"
. "$ROOT/cross/targets.sh"
hh_target "$TARGET" || exit 2

NAME=collector.hearth.test
V=511823101201
C="$WORK/collector"
DB="$WORK/board.db"
printf '127.0.0.1 localhost\n127.0.0.1 %s\n' "$NAME" >"$WORK/hosts"
# The name must exist only in our hosts file, or the test proves nothing.
if getent hosts "$NAME" >/dev/null; then
  not_ok "$NAME is unknown outside the test's mount namespace" "$(getent hosts "$NAME")"
else
  ok "$NAME is unknown outside the test's mount namespace"
fi

# board ARGS...: the board's hearth under qemu, seeing our hosts file as /etc/hosts.
board() {
  unshare --mount --propagation private /bin/sh -c \
    'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$WORK/hosts" \
    "$HH_QEMU" "$BOARD_HEARTH" --db "$DB" "$@"
}

run file -L "$BOARD_HEARTH"
case "$TARGET" in
  armhf) arch='ARM, EABI5' ;;
  arm64) arch='ARM aarch64' ;;
esac
contains "$TARGET: an ELF for the board" "$WORK/out" "ELF (32|64)-bit LSB .*$arch"
contains "$TARGET: statically linked" "$WORK/out" "statically linked"
contains "$TARGET: stripped" "$WORK/out" ", stripped"
run ldd "$BOARD_HEARTH"
if grep -q '=>' "$WORK/out"; then not_ok "$TARGET: ldd finds no shared library" "$(cat "$WORK/out")"
else ok "$TARGET: ldd finds no shared library"; fi

run "$HH_QEMU" "$BOARD_HEARTH" --version
contains "$TARGET: hearth --version names the linked stack" "$WORK/out" "libcurl/8\..*mbedTLS/3\.6"

mkdir -p "$C"
"$HEARTHD" --dir "$C" init --name "$NAME" >/dev/null 2>"$WORK/init.err" || cat "$WORK/init.err" >&2
start_collector "$C" || { not_ok "$TARGET: host collector starts"; finish; exit 1; }
port=${COLLECTOR_URL##*:}
url="https://$NAME:$port"
read -r code pin < <(code_for "$C" "$V")

check "$TARGET: init on the board" board init
check "$TARGET: enrols with the collector by host name ($url)" board enroll --server "$url" --code "$code" --ca-pin "$pin"
grep "\"village_code\": \"$V\"" "$SAMPLE" >"$WORK/village.jsonl"
check "$TARGET: imports the village's households" board import "$WORK/village.jsonl"
check "$TARGET: records a visit" board visit record 5118231012010001 --date 2026-11-20 --officer o-arm \
  --wages 1000 --operating 0 --property 0 --transfer 0
check "$TARGET: syncs" board sync
contains "$TARGET: every change acknowledged" "$WORK/out" "^sync: ([0-9]+) sent, \1 acknowledged, 0 quarantined"

households=$(grep -c . "$WORK/village.jsonl")
expect "$TARGET: the collector holds the board's households" \
  "$(sqlite3 "$C/collector.db" "SELECT count(*) FROM households WHERE village_code = '$V'")" "$households"
expect "$TARGET: and its visits, once each" \
  "$(sqlite3 "$C/collector.db" 'SELECT count(*) FROM visits')" "$(sqlite3 "$DB" 'SELECT count(*) FROM visits')"

# The collector's tiers, as the board prints them, equal the collector's own.
board tiers --json >"$WORK/board-tiers" 2>"$WORK/err"
"$HEARTHD" --dir "$C" tiers --json >"$WORK/host-tiers" 2>>"$WORK/err"
pick='import json,sys
for l in sys.stdin:
    t = json.loads(l)
    if t.get("source", "collector") == "collector":
        print(t["registry_no"], t["tier"], ",".join(t["reasons"]))'
/usr/bin/python3 -c "$pick" <"$WORK/board-tiers" | sort >"$WORK/board-sorted"
/usr/bin/python3 -c "$pick" <"$WORK/host-tiers" | sort >"$WORK/host-sorted"
expect "$TARGET: the board prints a collector tier for every household" \
  "$(wc -l <"$WORK/board-sorted")" "$households"
expect "$TARGET: the board's tiers are the collector's" \
  "$(md5sum <"$WORK/board-sorted")" "$(md5sum <"$WORK/host-sorted")"
contains "$TARGET: the visit at 1,000 yuan made its household red" "$WORK/board-sorted" "^5118231012010001 red "

stop_collector "$COLLECTOR_PID" && ok "$TARGET: collector stops on SIGTERM" || not_ok "$TARGET: collector stops on SIGTERM"
finish
