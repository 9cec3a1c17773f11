#!/usr/bin/env bash
# tests/demo.sh — Hearth on a fresh device: initialise a database, import the
# synthetic county in tests/data/sample.jsonl, record one more visit by hand,
# and print the worklist (red first) and the device status.
#
# usage: tests/demo.sh HEARTH_BINARY  (make demo runs it)
set -eu
hearth=$1
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/hearth-demo.XXXXXX)
export HEARTH_DB="$dir/device.db"
step() { printf '\n== %s\n' "$*"; }

step "a new device: hearth init"
"$hearth" init
step "import 50 households of county 511823 (tests/data/sample.jsonl)"
"$hearth" import "$root/tests/data/sample.jsonl"
step "record a visit: household 5118231012010001 lost its migrant job, medical bills"
"$hearth" visit record 5118231012010001 --date 2026-11-20 --officer officer-017 \
  --wages 4000 --operating 2000 --property 0 --transfer 1500 --medical 6000 \
  --shocks job_loss,illness --notes "丈夫失业返乡；母亲住院"
step "the worklist: hearth tiers (red first)"
"$hearth" tiers
step "one village as JSON: hearth tiers --json --village 511823102203 (first 3)"
"$hearth" tiers --json --village 511823102203 | head -3
step "hearth status"
"$hearth" status
printf '\nThe demo database is %s; try: HEARTH_DB=%s %s household show 5118231012010001\n' \
  "$HEARTH_DB" "$HEARTH_DB" "$hearth"
