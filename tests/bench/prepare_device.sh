#!/usr/bin/env bash
# tests/bench/prepare_device.sh — a device for the sync benchmarks: enrolled with
# the collector in DIR (serving at URL) for villages 511823101201 and
# 511823101202, the sample's households of those villages synced, and 500 new
# visits (tests/data/make_visits.py) waiting in its outbox.
#
# usage: tests/bench/prepare_device.sh BUILD_DIR COLLECTOR_DIR URL DB WORKDIR
set -eu
build=$1 c=$2 url=$3 db=$4 work=$5
root=$(cd "$(dirname "$0")/../.." && pwd)
hearth="$build/bin/hearth" hearthd="$build/bin/hearthd"
json=$("$hearthd" --dir "$c" device add --officer bench --villages 511823101201,511823101202 --json)
code=$(printf '%s' "$json" | sed 's/.*"code": "\([^"]*\)".*/\1/')
pin=$(printf '%s' "$json" | sed 's/.*"ca_pin": "\([^"]*\)".*/\1/')
"$hearth" --db "$db" init >/dev/null
"$hearth" --db "$db" enroll --server "$url" --code "$code" --ca-pin "$pin" >/dev/null
grep -v '511823102203' "$root/tests/data/sample.jsonl" | grep '"household"' |
  sed 's/, "visit": {.*}}$/}/' >"$work/$(basename "$db").households.jsonl"
"$hearth" --db "$db" import "$work/$(basename "$db").households.jsonl" >/dev/null
"$hearth" --db "$db" sync --quiet >/dev/null
"$root/tests/data/make_visits.py" "$work/$(basename "$db").visits.jsonl" 500
"$hearth" --db "$db" import "$work/$(basename "$db").visits.jsonl" >/dev/null
