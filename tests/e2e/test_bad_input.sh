#!/usr/bin/env bash
# tests/e2e/test_bad_input.sh — bad import files are refused whole, with a clear
# error naming the line and the field, and the device database is unchanged.
. "$(dirname "$0")/lib.sh"

check "init" "$HEARTH" init
check "import sample" "$HEARTH" import "$SAMPLE"

# The state of the device, to compare after every refused import.
snapshot() { "$HEARTH" export --json; "$HEARTH" outbox --all --json; "$HEARTH" tiers --json; }
snapshot >"$WORK/before"

# bad_line NAME LINE_NO SED_EXPR FIELD_PATTERN: corrupt one line of a fresh
# copy of the sample (new registry numbers so it would otherwise import), and
# expect a refusal naming the line and the field, with nothing changed.
bad_line() {
  local name=$1 line=$2 expr=$3 pattern=$4
  sed -e 's/"registry_no": "5118\([0-9]*\)"/"registry_no": "6118\1"/' -e "s/\"id_number\": \"511823/\"id_number\": \"511824/g" "$SAMPLE" \
    | /usr/bin/python3 -c '
import sys
# Re-make the check digits after changing the region code.
W=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]; C="10X98765432"
import re
def fix(m):
    b=m.group(1); return "\"id_number\": \"%s%s\"" % (b, C[sum(int(x)*w for x,w in zip(b,W))%11])
for l in sys.stdin: sys.stdout.write(re.sub(r"\"id_number\": \"(\d{17})[\dX]\"", fix, l))' >"$WORK/bad.jsonl"
  sed -i "${line}${expr}" "$WORK/bad.jsonl"
  refuse "$name: refused, naming line and field" 3 "line $line: $pattern" "$HEARTH" import "$WORK/bad.jsonl"
  contains "$name: says nothing was imported" "$WORK/err" "nothing imported"
  snapshot >"$WORK/after"
  if cmp -s "$WORK/before" "$WORK/after"; then ok "$name: database unchanged"; else not_ok "$name: database unchanged"; fi
}

bad_line "wrong check digit" 7 's/"id_number": "\([0-9]\{17\}\)\([0-9X]\)"/"id_number": "\1Z"/' \
  "household\.members\[0\]\.id_number: must be 17 digits and a check character"
bad_line "mistyped ID digit" 9 's/"id_number": "\([0-9]\{14\}\)[0-9]\{3\}/"id_number": "\1999/' \
  "household\.members\[0\]\.id_number: check digit is wrong"
bad_line "unknown field" 12 's/"notes": ""/"notes": "", "remarks": "x"/' "visit\.remarks: is not a known field"
bad_line "negative income" 20 's/"wages": \([0-9]\)/"wages": -\1/' "visit\.income_yuan\.wages: cannot be negative"
bad_line "unknown enum" 33 's/"labour": "full"/"labour": "strong"/' "household\.members\[0\]\.labour: must be one of: full \| partial \| none"
bad_line "fractional yuan" 40 's/"transfer": \([0-9]*\)/"transfer": \1.5/' "visit\.income_yuan\.transfer: must be a whole number"
bad_line "not JSON" 3 's/.*/this is not json/' "json: unexpected character|json: unknown literal"
bad_line "truncated line" 5 's/.\{40\}$//' "json: "
bad_line "visit for an unknown household" 4 's/^.*$/{"visit": {"registry_no": "9999", "visited_on": "2026-10-01", "officer": "o", "income_yuan": {"wages": 1, "operating": 0, "property": 0, "transfer": 0}, "expenditure_yuan": {"medical": 0, "education": 0, "disaster": 0}, "guarantees": {"food": true, "clothing": true, "education": true, "medical": true, "housing": true, "water": true}}}/' \
  "visit: names household '9999'"

# Several bad lines are all reported, each by number.
cp "$SAMPLE" "$WORK/multi.jsonl"
sed -i -e '2s/"sex": "m"/"sex": "male"/' -e '30s/"category": "[a-z_]*"/"category": 7/' "$WORK/multi.jsonl"
refuse "two bad lines: the first" 3 "line 2: household\.members\[0\]\.sex" "$HEARTH" import "$WORK/multi.jsonl"
contains "two bad lines: the second" "$WORK/err" "line 30: household\.category: must be a string"
contains "two bad lines: the count" "$WORK/err" "2 of 56 lines are bad"

# A clean file whose line conflicts with the database rolls back whole: the
# first lines are new households, the last reuses an ID number already stored.
{ sed -n 1,3p "$WORK/bad.jsonl"; sed -n 1p "$SAMPLE" | sed 's/"registry_no": "5118231012010001"/"registry_no": "7777"/'; } >"$WORK/conflict.jsonl"
refuse "conflict in the last line rolls back all" 3 "line 4: household\.members\[0\]\.id_number: already belongs" "$HEARTH" import "$WORK/conflict.jsonl"
snapshot >"$WORK/after"
if cmp -s "$WORK/before" "$WORK/after"; then ok "conflict: database unchanged"; else not_ok "conflict: database unchanged"; fi

# Files that are not JSON Lines at all.
printf '' >"$WORK/empty.jsonl"
refuse "empty file" 3 "has no lines" "$HEARTH" import "$WORK/empty.jsonl"
printf '{"household": \0}\n' >"$WORK/nul.jsonl"
refuse "NUL bytes" 3 "NUL bytes" "$HEARTH" import "$WORK/nul.jsonl"
refuse "missing file" 4 "cannot read" "$HEARTH" import "$WORK/nope.jsonl"
head -c 300000 /dev/zero | tr '\0' ' ' | sed 's/^/{"household": {/' >"$WORK/long.jsonl"
refuse "over-long line" 3 "line 1: json: is [0-9]+ bytes, more than 262144" "$HEARTH" import "$WORK/long.jsonl"
snapshot >"$WORK/after"
if cmp -s "$WORK/before" "$WORK/after"; then ok "refused files: database unchanged"; else not_ok "refused files: database unchanged"; fi
finish
