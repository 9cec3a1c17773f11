#!/usr/bin/env bash
# tests/e2e/test_import_export.sh — import the sample county, read the worklist,
# export it and import the export into a fresh device: the tiers must be
# identical. Re-importing changes nothing. The CSV opens in Excel (BOM, CRLF).
. "$(dirname "$0")/lib.sh"

check "init" "$HEARTH" init
check "import sample" "$HEARTH" import "$SAMPLE"
contains "import summary" "$WORK/out" "households 50 created, 0 updated, 0 unchanged; visits 56 recorded, 0 already present"
check "tiers" "$HEARTH" tiers --json
cp "$WORK/out" "$WORK/tiers-a.jsonl"
expect "50 households tiered" "$(wc -l <"$WORK/tiers-a.jsonl")" "50"
expect "every tier present, red first" "$(/usr/bin/python3 -c '
import json,sys
order=[json.loads(l)["tier"] for l in open(sys.argv[1])]
seen=[]
[seen.append(t) for t in order if t not in seen]
print(" ".join(seen))' "$WORK/tiers-a.jsonl")" "red orange yellow green"
expect "every reason code present" "$(/usr/bin/python3 -c '
import json,sys
codes=set()
for l in open(sys.argv[1]): codes.update(json.loads(l)["reasons"])
print(" ".join(sorted(codes)))' "$WORK/tiers-a.jsonl")" \
  "guarantee_failed income_below_line income_drop income_key_monitoring income_marginal no_labour_capacity relocated_no_employment rigid_expenditure shock"
check "tiers --village" "$HEARTH" tiers --json --village 511823102203
expect "village filter" "$(grep -vc '"village_code": "511823102203"' "$WORK/out")" "0"
refuse "tiers --village bad code" 3 "village_code" "$HEARTH" tiers --village 12

# Round trip through JSON Lines into a fresh device.
check "export --json" "$HEARTH" export --json --out "$WORK/export.jsonl"
expect "export has a line per visit" "$(wc -l <"$WORK/export.jsonl")" "56"
check "import the export into a fresh device" env HEARTH_DB="$WORK/fresh.db" sh -c \
  "'$HEARTH' init >/dev/null && '$HEARTH' import '$WORK/export.jsonl'"
check "tiers on the fresh device" env HEARTH_DB="$WORK/fresh.db" "$HEARTH" tiers --json
cp "$WORK/out" "$WORK/tiers-b.jsonl"
if cmp -s "$WORK/tiers-a.jsonl" "$WORK/tiers-b.jsonl"; then ok "identical tiers after the round trip"
else not_ok "identical tiers after the round trip" "$(diff "$WORK/tiers-a.jsonl" "$WORK/tiers-b.jsonl" | head -5)"; fi
check "export of the fresh device" env HEARTH_DB="$WORK/fresh.db" "$HEARTH" export --json
if cmp -s "$WORK/out" "$WORK/export.jsonl"; then ok "identical export after the round trip"
else not_ok "identical export after the round trip" "$(diff "$WORK/out" "$WORK/export.jsonl" | head -5)"; fi

# Importing the same data again is idempotent.
pending_before=$("$HEARTH" status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["outbox"]["pending"])')
check "re-import the export" "$HEARTH" import "$WORK/export.jsonl"
contains "re-import changes nothing" "$WORK/out" "households 0 created, 0 updated, 50 unchanged; visits 0 recorded, 56 already present"
pending_after=$("$HEARTH" status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["outbox"]["pending"])')
expect "re-import queues nothing" "$pending_after" "$pending_before"

# The sample itself again (no visit ids): its visits are recognised, not doubled.
check "re-import the sample" "$HEARTH" import "$SAMPLE"
contains "sample visits recognised" "$WORK/out" "50 unchanged; visits 0 recorded, 56 already present"

# An update through import: one household's category changes.
sed -n 1p "$SAMPLE" | sed 's/"category": "ordinary"/"category": "marginal"/' >"$WORK/update.jsonl"
check "import an update" "$HEARTH" import "$WORK/update.jsonl"
contains "update counted" "$WORK/out" "households 0 created, 1 updated, 0 unchanged; visits 0 recorded, 1 already present"
check "household shows the update" "$HEARTH" household show 5118231012010001 --json
contains "category updated" "$WORK/out" '"category": "marginal"'

# CSV for Excel. A visit corrected by a later one is marked out of force.
first=$("$HEARTH" visit list 5118231012010001 --json | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["visit"]["id"])')
check "a correction of a visit" "$HEARTH" visit record 5118231012010001 --supersedes "$first" --date 2026-11-20 \
  --officer o-c --wages 9000 --operating 0 --property 0 --transfer 0
check "export --csv" "$HEARTH" export --csv --out "$WORK/export.csv"
expect "CSV starts with a UTF-8 BOM" "$(head -c 3 "$WORK/export.csv" | od -An -tx1 | tr -d ' ')" "efbbbf"
expect "CSV rows end in CRLF" "$(head -1 "$WORK/export.csv" | tail -c 2 | od -An -tx1 | tr -d ' ')" "0d0a"
expect "CSV has a header and a row per visit" "$(wc -l <"$WORK/export.csv")" "58"
expect "CSV parses, Chinese intact" "$(/usr/bin/python3 -c '
import csv,sys
rows=list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
site=[r["resettlement_site"] for r in rows if r["resettlement_site"]][0]
corrected={r["visit.supersedes"] for r in rows if r["visit.supersedes"]}
stale={r["visit.id"] for r in rows if r["visit.in_force"] == "false"}
print(len(rows), rows[0]["registry_no"], rows[0]["village_code"], rows[0]["visit.income_yuan.wages"] != "", site,
      len(stale), stale == corrected)' "$WORK/export.csv")" \
  "57 =\"5118231012010001\" =\"511823101201\" True 大树镇安置点 1 True"
refuse "export needs a format" 2 "exactly one of --json and --csv" "$HEARTH" export
finish
