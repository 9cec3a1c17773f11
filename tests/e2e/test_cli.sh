#!/usr/bin/env bash
# tests/e2e/test_cli.sh — the `hearth` commands on a temporary database: help,
# usage errors, the default database path, households, members, visits, tiers,
# outbox and status, and the interactive visit prompt.
. "$(dirname "$0")/lib.sh"

# Help and usage.
check "--help lists commands" "$HEARTH" --help
contains "--help names visit record" "$WORK/out" "visit record"
for cmd in "init" "household add" "household edit" "household show" "household list" \
           "member add" "member edit" "visit record" "visit list" "import" "export" "tiers" \
           "outbox" "status" "version"; do
  run $HEARTH $cmd --help
  if [ "$rc" = 0 ] && grep -q "^usage: hearth" "$WORK/out"; then ok "$cmd --help"; else not_ok "$cmd --help" "exit $rc"; fi
done
refuse "unknown command" 2 "unknown command 'fly'" "$HEARTH" fly
refuse "group without subcommand" 2 "needs a subcommand" "$HEARTH" household
refuse "unknown option" 2 "unknown option --colour" "$HEARTH" tiers --colour
refuse "command before init: the database is missing (5)" 5 "hearth init" "$HEARTH" tiers
check "--version names curl on mbedTLS" "$HEARTH" --version
contains "--version text" "$WORK/out" "libcurl/8\.[0-9.]+ mbedTLS/3\.6"

# init and the default path.
check "init" "$HEARTH" init
refuse "init twice" 3 "already exists" "$HEARTH" init
(unset HEARTH_DB; export XDG_DATA_HOME="$WORK/xdg"; "$HEARTH" init >/dev/null 2>&1)
if [ -f "$WORK/xdg/hearth/device.db" ]; then ok "default path under XDG_DATA_HOME"; else not_ok "default path under XDG_DATA_HOME"; fi
(unset HEARTH_DB XDG_DATA_HOME; export HOME="$WORK/home"; "$HEARTH" init >/dev/null 2>&1)
if [ -f "$WORK/home/.local/share/hearth/device.db" ]; then ok "default path under HOME"; else not_ok "default path under HOME"; fi
check "--db overrides" "$HEARTH" --db "$WORK/other.db" init
refuse "init where no directory can be made" 1 "cannot create the directory" "$HEARTH" --db /proc/hearth/device.db init
# A path that exists as a directory: SQLite cannot open it, nothing is left behind.
mkdir "$WORK/adir"
refuse "init over a directory" 3 "already exists" "$HEARTH" --db "$WORK/adir" init
printf 'not a database at all, just text that is long enough to be looked at' >"$WORK/text.db"
refuse "open a file that is not a database" 5 "not a usable SQLite database" "$HEARTH" --db "$WORK/text.db" status

# Households and members.
check "household add" "$HEARTH" household add --village 511823101201 --category lifted --registry-no 5118231012019001
hid=$(cat "$WORK/out")
refuse "household add without village" 2 "--village and --category are required" "$HEARTH" household add --category lifted
refuse "household add bad village" 3 "village_code: must be exactly 12 digits" "$HEARTH" household add --village 5118 --category lifted
refuse "household add bad category" 3 "--category: must be one of" "$HEARTH" household add --village 511823101201 --category rich
check "member add (GB 11643 example)" "$HEARTH" member add 5118231012019001 --name 张三 --id-number 11010519491231002x \
  --relation head --sex f --birth-year 1949 --labour partial --health chronic --school none --insurance yes --employment none
mid=$(cat "$WORK/out")
refuse "member add wrong check digit" 3 "id_number: check digit is wrong" "$HEARTH" member add "$hid" --name 李四 \
  --id-number 511823197001010019 --relation spouse --sex m --birth-year 1970 --labour full --health healthy \
  --school none --insurance yes --employment migrant
refuse "member add same ID number twice" 3 "members\[1\]\.id_number: repeats the ID number" "$HEARTH" member add "$hid" --name 王五 \
  --id-number 11010519491231002X --relation child --sex f --birth-year 1949 --labour full --health healthy \
  --school none --insurance yes --employment migrant
check "member add virtual ID" "$HEARTH" member add "$hid" --name 李四 --virtual-id 7 --relation spouse --sex m \
  --birth-year 1972 --labour full --health healthy --school none --insurance no --employment local
check "member edit" "$HEARTH" member edit "$mid" --health disabled --disability-grade 2
check "household show --json" "$HEARTH" household show "$hid" --json
contains "virtual ID stored" "$WORK/out" '"id_number": "V5118231012010007.'
contains "disability grade stored" "$WORK/out" '"health": "disabled", "disability_grade": 2'

# Visits and tiers.
check "visit record" "$HEARTH" visit record 5118231012019001 --date 2026-10-01 --officer officer-017 \
  --wages 6000 --operating 0 --property 0 --transfer 1000 --shocks illness
# A member without medical insurance: the guarantee is failed unless --failed says otherwise.
contains "visit record prints the tier" "$WORK/out" "^tier red \(provisional"
contains "…and its reasons, with the numbers that fired them" "$WORK/out" \
  "^  per-capita income 3,500 yuan, below 3,600; a basic guarantee not met .*hit by a shock"
refuse "visit record without income" 2 "--wages is required" "$HEARTH" visit record "$hid" --officer o --date 2026-10-02
refuse "visit record negative income" 3 "--wages: cannot be negative" "$HEARTH" visit record "$hid" --officer o \
  --wages -5 --operating 0 --property 0 --transfer 0
refuse "visit record bad date" 3 "--date: must be a real date" "$HEARTH" visit record "$hid" --officer o \
  --date 2026-02-30 --wages 1 --operating 0 --property 0 --transfer 0
refuse "visit record unknown household" 4 "no household 'nope'" "$HEARTH" visit record nope --officer o \
  --wages 1 --operating 0 --property 0 --transfer 0
HEARTH_OFFICER=officer-018 run "$HEARTH" visit record "$hid" --date 2026-11-01 --wages 20000 --operating 0 \
  --property 0 --transfer 0 --failed water
expect "HEARTH_OFFICER default, failed guarantee" "$rc $(sed -n 2p "$WORK/out") $(sed -n 3p "$WORK/out")" \
  "0 tier red (provisional, until the next sync)   a basic guarantee not met (food, clothing, schooling, medical care, housing, water)"
check "tiers --json" "$HEARTH" tiers --json
expect "tiers --json fields" "$(/usr/bin/python3 -c '
import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
r=rows[0]
print(len(rows), r["registry_no"], r["tier"], r["reasons"], r["source"], r["last_visit_on"], r["rulebook"])' "$WORK/out")" \
  "1 5118231012019001 red ['guarantee_failed'] device 2026-11-01 yaan-2026.3"

# The interactive prompt, on a real terminal (script(1) makes the pty).
# date, officer, size, wages, operating, property, transfer, medical (bad, then
# good), education, disaster, shocks, guarantees not met, notes, then Enter
# at the summary saves
printf '2026-11-05\nofficer-020\n\n3000\n0\n0\n0\n-1\n0\n\n\n\nfood,water\nrecorded at the door\n\n' >"$WORK/answers"
if command -v script >/dev/null; then
  script -qec "$HEARTH visit record $hid" /dev/null <"$WORK/answers" >"$WORK/tty" 2>&1
  if grep -q "cannot be negative; try again" "$WORK/tty" && grep -q "per-capita income 1,500 yuan, below 3,600; a basic guarantee not met" <(tr -d '\r' <"$WORK/tty"); then
    ok "interactive visit record re-asks a bad value"
  else
    not_ok "interactive visit record re-asks a bad value" "$(tr -d '\r' <"$WORK/tty" | tail -5)"
  fi
else
  not_ok "interactive visit record (script(1) missing: install bsdutils)"
fi

# Outbox and status.
check "outbox" "$HEARTH" outbox --json
# household, 2 members, 1 member edit, 3 visits
expect "outbox holds every change" "$(wc -l <"$WORK/out")" "7"
check "status --json" "$HEARTH" status --json
expect "status counts" "$(/usr/bin/python3 -c '
import json,sys
s=json.load(open(sys.argv[1]))
print(s["households"], s["members"], s["visits"], s["outbox"]["pending"], s["outbox"]["next_seq"], s["tiers"]["red"])' "$WORK/out")" \
  "1 2 3 7 8 1"

refuse "sync before enrolment: not enrolled (12), and what to do" 12 "not enrolled: run .hearth enroll. first" \
  "$HEARTH" sync

# Members by ID number or name, as an officer knows them.
check "member edit by ID number, check character typed lowercase" "$HEARTH" member edit 11010519491231002x \
  --labour none
check "member edit by name" "$HEARTH" member edit 李四 --employment migrant
run "$HEARTH" household show "$hid" --json
contains "…both edits stored" "$WORK/out" '"name": "张三".*"labour": "none".*"name": "李四".*"employment": "migrant"'
check "a second 李四 in another household" "$HEARTH" household add --village 511823101201 --category ordinary \
  --registry-no 5118231012019002
"$HEARTH" member add 5118231012019002 --name 李四 --virtual-id 8 --relation head --sex m --birth-year 1980 \
  --labour full --health healthy --school none --insurance yes --employment local >/dev/null
refuse "a name two members share is refused, asking for the ID number" 3 "more than one member is called '李四'" \
  "$HEARTH" member edit 李四 --labour partial
refuse "an unknown member" 4 "no member 'nobody' \(give a member id, ID number or name\)" \
  "$HEARTH" member remove nobody
check "member remove by ID number" "$HEARTH" member remove \
  "$(sqlite3 "$HEARTH_DB" "SELECT id_number FROM members WHERE id_number LIKE 'V5118231012010008_'")"
contains "…says whom it removed" "$WORK/out" "^removed 李四 \("
expect "…and the removal is a change to send" \
  "$(sqlite3 "$HEARTH_DB" "SELECT count(*) FROM members WHERE name = '李四'") $(sqlite3 "$HEARTH_DB" "SELECT count(*) FROM outbox WHERE entity = 'member' AND op = 'delete'")" "1 1"
finish
