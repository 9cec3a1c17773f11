#!/usr/bin/env bash
# tests/demo.sh — the whole system on one machine, from nothing:
#   a collector on 127.0.0.1 with its own CA and SQLite database,
#   two field devices enrolled for overlapping villages,
#   households and visits recorded offline on both (one household edited on both),
#   a sync of each over mutual TLS,
#   the merged tiers and the conflict at the collector, the worklist on each device,
#   and the collector stopped.
#
# usage: tests/demo.sh BUILD_BIN_DIR   (make demo runs it)
set -eu
bin=$1
hearth="$bin/hearth" hearthd="$bin/hearthd"
root=$(cd "$(dirname "$0")/.." && pwd)
sample="$root/tests/data/sample.jsonl"
dir=$(mktemp -d /tmp/hearth-demo.XXXXXX)
collector_pid=""
trap '[ -n "$collector_pid" ] && kill -TERM "$collector_pid" 2>/dev/null; true' EXIT
step() { printf '\n== %s\n' "$*"; }
enrol() {   # enrol NAME VILLAGES
  local json code pin
  json=$("$hearthd" --dir "$dir/collector" device add --officer "officer-$1" --villages "$2" --json)
  code=$(printf '%s' "$json" | sed 's/.*"code": "\([^"]*\)".*/\1/')
  pin=$(printf '%s' "$json" | sed 's/.*"ca_pin": "\([^"]*\)".*/\1/')
  "$hearth" --db "$dir/$1.db" init >/dev/null
  "$hearth" --db "$dir/$1.db" lang zh >/dev/null     # the officers read Chinese
  # The officer's PIN seals the records (typed on the device; here from stdin).
  printf '482916\n' | "$hearth" --db "$dir/$1.db" pin set --pin-stdin >/dev/null
  "$hearth" --db "$dir/$1.db" enroll --server "$url" --code "$code" --ca-pin "$pin"
}

step "the collector: hearthd init, then hearthd serve on 127.0.0.1"
"$hearthd" --dir "$dir/collector" init --listen 127.0.0.1:0
"$hearthd" --dir "$dir/collector" serve 2>"$dir/collector.log" &
collector_pid=$!
for _ in $(seq 1 100); do [ -s "$dir/collector/hearthd.url" ] && break; sleep 0.1; done
url=$(cat "$dir/collector/hearthd.url")
echo "serving $url (pid $collector_pid)"

step "device A (villages 201, 202) and device B (villages 202, 203) enrol with one-time codes"
enrol a 511823101201,511823101202
enrol b 511823101202,511823102203

step "offline: A imports its villages' households; B takes village 202 over from A and records 203"
# Registry numbers begin with their village code, so one pattern finds a village's lines.
grep -v '511823102203' "$sample" >"$dir/a.jsonl"
"$hearth" --db "$dir/a.db" import "$dir/a.jsonl"
"$hearth" --db "$dir/a.db" export --json --out "$dir/a-export.jsonl" 2>/dev/null
{ grep '511823101202' "$dir/a-export.jsonl"; grep '511823102203' "$sample"; } >"$dir/b.jsonl"
"$hearth" --db "$dir/b.db" import "$dir/b.jsonl"

step "the devices' records are sealed under the officers' PINs: sqlite3 cannot read them"
sqlite3 "$dir/a.db" "SELECT count(*) FROM members" 2>&1 | head -1
if grep -qa -d skip '马平' "$dir"/a.db*; then echo "a name is readable in a.db!"; else echo "no name or ID number in any file of device A"; fi

step "offline, on both devices: household 5118231012020002 re-categorised differently"
"$hearth" --db "$dir/a.db" household edit 5118231012020002 --category marginal >/dev/null
"$hearth" --db "$dir/b.db" household edit 5118231012020002 --category sudden_hardship >/dev/null
echo "A says marginal, B says sudden_hardship"

step "offline visits: A finds 5118231012010001 hit by job loss; B finds 5118231022030003 recovering"
"$hearth" --db "$dir/a.db" visit record 5118231012010001 --date 2026-11-20 --officer officer-a \
  --wages 4000 --operating 2000 --property 0 --transfer 1500 --medical 6000 --shocks job_loss,illness
"$hearth" --db "$dir/b.db" visit record 5118231022030003 --date 2026-11-21 --officer officer-b \
  --wages 30000 --operating 6000 --property 0 --transfer 2000

step "sync: A, then B, then A again to bring back what B sent"
"$hearth" --db "$dir/a.db" sync
"$hearth" --db "$dir/b.db" sync
"$hearth" --db "$dir/a.db" sync

step "at the collector: the merged worklist (first 12 of $("$hearthd" --dir "$dir/collector" tiers --json | wc -l))"
"$hearthd" --dir "$dir/collector" tiers | head -13

step "at the collector: the conflict, with both values; a reviewer decides it"
"$hearthd" --dir "$dir/collector" conflicts
hd() { "$hearthd" --dir "$dir/collector" "$@"; }
echo "demo-county-pass" | hd user add zhao --role reviewer --level county --villages 511823 --password-stdin
echo "demo-village-pass" | hd user add li --role reviewer --level village --villages 511823101201 --password-stdin
echo "demo-township-pass" | hd user add wang --role reviewer --level township --villages 511823101 --password-stdin
conflict=$(hd conflicts --json | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
hd conflicts resolve "$conflict" --as zhao --keep theirs --note "户主确认：突发严重困难"

step "a reviewer acts on the red warning of 5118231012010001: home check, village appraisal"
hd review verify 5118231012010001 --as li --consent-signed --note "入户核实，已签承诺授权书"
hd review village 5118231012010001 --as li --note "村民代表评议通过"
hd review township 5118231012010001 --as wang --note "审核" || echo "(refused, as it should be: the notice runs 5 days)"
hd review intervene 5118231012010001 --as li --measure public_welfare_post --responsible "村委 王主任" \
  --due 2027-01-15 --note "失业：安排公益性岗位"
hd review list | head -8
"$hearth" --db "$dir/a.db" sync
"$hearth" --db "$dir/b.db" sync

step "device A's worklist for the day, most urgent first (hearth worklist --due)"
"$hearth" --db "$dir/a.db" worklist --due | head -16
step "device B's worklist on a 40-column screen"
COLUMNS=40 "$hearth" --db "$dir/b.db" worklist --due | head -12

step "the monthly report (月报) for the county, as Excel, and the console"
hd report --month "$(date +%Y-%m)" --villages 511823 --xlsx "$dir/report.xlsx"
url=$(cat "$dir/collector/hearthd.url")
printf 'the reviewers console: %s/  (accounts zhao / demo-county-pass, li / demo-village-pass)\n' "$url"
printf 'login page answers: %s\n' "$(curl -sk -o /dev/null -w '%{http_code}' "$url/login")"

step "stopping the collector (SIGTERM to pid $collector_pid)"
kill -TERM "$collector_pid"
wait "$collector_pid" 2>/dev/null || true
collector_pid=""
tail -3 "$dir/collector.log"
printf '\nEverything is in %s (collector/, a.db, b.db).\n' "$dir"
