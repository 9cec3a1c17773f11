#!/usr/bin/env bash
# tests/e2e/test_console.sh — the reviewers' console, end to end: a real
# hearthd serving HTTPS, real devices syncing into it, and a real headless
# Chromium (Debian's, driven through chromedriver by tests/e2e/console.py)
# taking a red household through the home check and the village, township and
# county approvals with accounts of each level, adding a measure and resolving
# a conflict. The security checks speak HTTP directly: lockout after wrong
# passwords, a cookie replayed after logout, a POST without the CSRF token, a
# household outside the account's villages, and a name that is markup.
# Screenshots of every page go to $HEARTH_SCREENSHOTS (default: the test's
# work directory, kept when set).
. "$(dirname "$0")/lib.sh"

[ -f /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 ] ||
  { not_ok "libfaketime is installed (make deps: faketime)"; finish; exit 1; }
for tool in chromium chromedriver; do
  command -v "$tool" >/dev/null || { not_ok "$tool is installed (make deps)"; finish; exit 1; }
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || { not_ok "python3-selenium is installed (make deps)"; finish; exit 1; }
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

C="$WORK/collector"
A="$WORK/a.db"
B="$WORK/b.db"
SHOTS=${HEARTH_SCREENSHOTS:-$WORK/screenshots}
mkdir -p "$SHOTS"
D() { "$HEARTHD" --dir "$C" "$@"; }
SQL() { sqlite3 "$C/collector.db" "$@"; }
sync_both() { "$HEARTH" --db "$A" sync >/dev/null 2>&1; "$HEARTH" --db "$B" sync >/dev/null 2>&1; }
day() { date -d "$1 days" +%F; }
PY() { /usr/bin/python3 "$(dirname "$0")/console.py" "$@"; }

start_collector "$C" || { not_ok "collector starts"; finish; exit 1; }
enrol "$A" "$C" 511823101201,511823101202 || not_ok "A enrols"
enrol "$B" "$C" 511823101201 || not_ok "B enrols"

# A red household, one whose head's name is markup, one in another village,
# and two devices editing one field (a conflict).
H=5118231012010501
X=5118231012010502
O=5118231012020501
K=5118231012010503
"$HEARTH" --db "$A" household add --village 511823101201 --category lifted --registry-no "$H" >/dev/null
"$HEARTH" --db "$A" member add "$H" --name 李建国 --id-number 11010519491231002X --relation head --sex f \
  --birth-year 1949 --labour full --health healthy --school none --insurance yes --employment none >/dev/null
"$HEARTH" --db "$A" visit record "$H" --date "$(day -400)" --officer 王村官 --wages 9000 --operating 0 \
  --property 0 --transfer 0 >/dev/null
"$HEARTH" --db "$A" visit record "$H" --date "$(day -300)" --officer 王村官 --wages 1000 --operating 0 \
  --property 0 --transfer 0 --shocks illness >/dev/null
"$HEARTH" --db "$A" household add --village 511823101201 --category lifted --registry-no "$X" >/dev/null
"$HEARTH" --db "$A" member add "$X" --name '<script>alert(1)</script>' --id-number 110105194912310046 \
  --relation head --sex f --birth-year 1949 --labour full --health healthy --school none --insurance yes \
  --employment none >/dev/null
"$HEARTH" --db "$A" visit record "$X" --date "$(day -30)" --officer 王村官 --wages 1200 --operating 0 \
  --property 0 --transfer 0 >/dev/null
F=5118231012010504
"$HEARTH" --db "$A" household add --village 511823101201 --category lifted --registry-no "$F" >/dev/null
"$HEARTH" --db "$A" member add "$F" --name '=1+2' --id-number 110105195001010012 --relation head --sex m \
  --birth-year 1950 --labour full --health healthy --school none --insurance yes --employment none >/dev/null
"$HEARTH" --db "$A" visit record "$F" --date "$(day -20)" --officer 王村官 --wages 30000 --operating 0 \
  --property 0 --transfer 0 >/dev/null
"$HEARTH" --db "$A" household add --village 511823101202 --category lifted --registry-no "$O" >/dev/null
"$HEARTH" --db "$A" visit record "$O" --date "$(day -30)" --officer 王村官 --size 2 --wages 1000 \
  --operating 0 --property 0 --transfer 0 >/dev/null
"$HEARTH" --db "$A" household add --village 511823101201 --category ordinary --registry-no "$K" >/dev/null
# A third device, in the other village only, records the same person (李建国's ID
# number) in a household of its own: a duplicate case for a reviewer.
E="$WORK/e.db"
Z=5118231012020502
enrol "$E" "$C" 511823101202 || not_ok "E enrols"
"$HEARTH" --db "$E" household add --village 511823101202 --category lifted --registry-no "$Z" >/dev/null
"$HEARTH" --db "$E" member add "$Z" --name 李建国 --id-number 11010519491231002X --relation head --sex f \
  --birth-year 1949 --labour full --health healthy --school none --insurance yes --employment none >/dev/null
"$HEARTH" --db "$E" sync >/dev/null 2>&1
sync_both
sync_both
"$HEARTH" --db "$A" household edit "$K" --category marginal >/dev/null
"$HEARTH" --db "$B" household edit "$K" --category lifted >/dev/null
sync_both
sync_both
expect "the collector holds the red household, and a conflict" \
  "$(SQL "SELECT t.tier FROM tiers t JOIN households h ON h.id = t.household_id WHERE registry_no = '$H'") $(SQL 'SELECT count(*) FROM conflicts WHERE resolved_ms IS NULL')" "4 1"
expect "…and a duplicate case" "$(SQL "SELECT count(*) FROM duplicates WHERE kind = 'id_number' AND resolved_ms IS NULL")" "1"
HID=$(SQL "SELECT id FROM households WHERE registry_no = '$H'")
ZID=$(SQL "SELECT id FROM households WHERE registry_no = '$Z'")
XID=$(SQL "SELECT id FROM households WHERE registry_no = '$X'")
OID=$(SQL "SELECT id FROM households WHERE registry_no = '$O'")

echo "village-pass-1" | D user add li --role reviewer --level village --villages 511823101201 --password-stdin >/dev/null
echo "township-pass-1" | D user add wang --role reviewer --level township --villages 511823101 --password-stdin >/dev/null
echo "county-pass-1" | D user add zhao --role reviewer --level county --villages 511823 --password-stdin >/dev/null
echo "admin-pass-12" | D user add root --role admin --level county --villages 511823 --password-stdin >/dev/null

# ---- in the browser: the village's steps -------------------------------------------------------
run PY village "$COLLECTOR_URL" "$SHOTS" "$HID" "$XID"
expect "Chromium: login, overview, worklist, the home check and the village appraisal" "$rc" "0"
[ "$rc" = 0 ] || { cat "$WORK/err" | grep -v '^#[0-9]' | tail -20 | sed 's/^/#   /'; }
grep '^ok\|^not ok' "$WORK/out" | sed 's/^/#   /'
expect "the household is village_approved, by li, with the consent recorded" \
  "$(SQL "SELECT t.review, c.consent FROM tiers t JOIN cases c ON c.household_id = t.household_id WHERE t.household_id = '$HID'")" \
  "village_approved|1"
expect "the steps were taken by the account logged in" \
  "$(SQL "SELECT group_concat(account || ':' || action, ' ') FROM (SELECT account, action FROM review_steps ORDER BY id)")" \
  "li:verify li:village"

# ---- security, over plain HTTP ---------------------------------------------------------------
run PY security "$COLLECTOR_URL" "$SHOTS" "$HID" "$OID"
expect "security checks" "$rc" "0"
[ "$rc" = 0 ] || { cat "$WORK/err" | grep -v '^#[0-9]' | tail -20 | sed 's/^/#   /'; }
grep '^ok\|^not ok' "$WORK/out" | sed 's/^/#   /'
expect "refusals are audited: failed logins, the lockout (once, when it engaged), the two forged forms, the household outside" \
  "$(SQL "SELECT count(*) > 0 FROM audit WHERE kind = 'login_failed'") $(SQL "SELECT count(*) FROM audit WHERE kind = 'login_locked'") $(SQL "SELECT count(*) FROM audit WHERE kind = 'console_refused' AND detail LIKE '%token%'") $(SQL "SELECT count(*) FROM audit WHERE kind = 'console_refused' AND account = 'li' AND detail LIKE '%outside%'")" \
  "1 1 2 1"
expect "the refused form changed nothing" "$(SQL "SELECT review FROM tiers WHERE household_id = '$HID'")" "village_approved"

# ---- a week later: the township and the county -------------------------------------------------
# The same port (the devices keep the URL), the clock six days on. libfaketime is
# preloaded directly: the faketime command would fork, and its PID is not hearthd's.
# ---- SIGHUP reads the settings again, serving on ----------------------------------------------
metrics_status() { curl -sk -o /dev/null -w '%{http_code}' "$COLLECTOR_URL/metrics"; }
expect "before: /metrics wants a credential" "$(metrics_status)" "401"
cp "$C/hearthd.conf" "$WORK/conf.good"
echo "metrics_from = 127.0.0.1" >>"$C/hearthd.conf"
echo "threads = 8" >>"$C/hearthd.conf"
kill -HUP "$COLLECTOR_PID"
for i in $(seq 1 50); do grep -q "settings read again" "$C/serve.log" && break; sleep 0.1; done
expect "after SIGHUP with metrics_from set: /metrics answers this address" "$(metrics_status)" "200"
expect "…a server setting is named as waiting for a restart" "$(grep -c 'threads changed: it takes effect at the next start' "$C/serve.log")" "1"
cp "$C/hearthd.conf" "$WORK/conf.new"
echo "login_failures = many" >>"$C/hearthd.conf"
kill -HUP "$COLLECTOR_PID"
for i in $(seq 1 50); do grep -q "settings not changed" "$C/serve.log" && break; sleep 0.1; done
expect "a settings file that does not parse changes nothing, and serving goes on" \
  "$(grep -c 'settings not changed' "$C/serve.log") $(metrics_status) $(kill -0 "$COLLECTOR_PID" && echo alive)" "1 200 alive"
cp "$WORK/conf.new" "$C/hearthd.conf"

# A session ends after console_idle_s unused (5 s here, read on SIGHUP).
echo "console_idle_s = 5" >>"$C/hearthd.conf"
kill -HUP "$COLLECTOR_PID"
for i in $(seq 1 50); do [ "$(grep -c 'settings read again' "$C/serve.log")" -ge 2 ] && break; sleep 0.1; done
cookie=$(curl -sk -D - -o /dev/null --data-urlencode name=zhao --data-urlencode password=county-pass-1 \
  "$COLLECTOR_URL/login" | sed -n 's/^[Ss]et-[Cc]ookie: \(hh_session=[0-9a-f]*\).*/\1/p')
page() { curl -sk -o /dev/null -w '%{http_code} %{redirect_url}' -H "Cookie: $cookie" "$COLLECTOR_URL/"; }
expect "a fresh session opens the overview" "$(page)" "200 "
sleep 3
expect "…used within the idle time it lives on" "$(page)" "200 "
sleep 6
expect "…idle longer than console_idle_s it is over: back to the login page" "$(page)" "303 $COLLECTOR_URL/login"
cp "$WORK/conf.new" "$C/hearthd.conf"

stop_collector "$COLLECTOR_PID"
rm -f "$C/hearthd.url"
SQL "INSERT INTO tier_months VALUES ('2026-01', '511823101201', 4, 7), ('2026-01', '511823101201', 3, 2)"
LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 FAKETIME=+6d \
  "$HEARTHD" --dir "$C" serve --listen "${COLLECTOR_URL#https://}" 2>>"$C/serve.log" &
COLLECTOR_PID=$!
PIDS_TO_STOP="$PIDS_TO_STOP $COLLECTOR_PID"
for i in $(seq 1 100); do [ -s "$C/hearthd.url" ] && break; sleep 0.1; done
COLLECTOR_URL=$(cat "$C/hearthd.url" 2>/dev/null)
[ -n "$COLLECTOR_URL" ] || not_ok "hearthd starts again on its port, six days on" "$(tail -3 "$C/serve.log")"
expect "serving counted this month's households per village and tier when it started" \
  "$(SQL "SELECT sum(households) FROM tier_months WHERE month = (SELECT max(month) FROM tier_months)")" \
  "$(SQL 'SELECT count(*) FROM tiers')"
expect "/metrics answers a configured address without a credential" \
  "$(curl -sk -o /dev/null -w '%{http_code}' "$COLLECTOR_URL/metrics")" "200"
run PY county "$COLLECTOR_URL" "$SHOTS" "$HID" "$XID"
expect "Chromium: the township review, the county approval, a measure, a conflict resolved" "$rc" "0"
[ "$rc" = 0 ] || { cat "$WORK/err" | grep -v '^#[0-9]' | tail -20 | sed 's/^/#   /'; }
grep '^ok\|^not ok' "$WORK/out" | sed 's/^/#   /'
expect "the household is monitored with one open measure" \
  "$(SQL "SELECT review FROM tiers WHERE household_id = '$HID'") $(SQL "SELECT count(*) FROM measures WHERE household_id = '$HID' AND closed_ms IS NULL")" \
  "monitored 1"
expect "every step by its level's account" \
  "$(SQL "SELECT group_concat(account || ':' || action, ' ') FROM (SELECT account, action FROM review_steps ORDER BY id)")" \
  "li:verify li:village wang:township zhao:county zhao:intervene"
expect "the conflict is resolved by zhao" "$(SQL 'SELECT account, decision FROM conflicts')" "zhao|theirs"
expect "the duplicate is resolved by zhao: the person's second record folded into the first household's" \
  "$(SQL "SELECT account, resolution FROM duplicates") $(SQL "SELECT count(*) FROM members WHERE household_id = '$ZID'") $(SQL "SELECT count(*) FROM members WHERE household_id = '$HID'")" \
  "zhao|move 0 1"
sync_both
expect "the device sees the decision" "$("$HEARTH" --db "$A" tiers --json | grep -c '"review": "monitored"')" "1"
expect "screenshots of each page were written" "$(ls "$SHOTS"/*.png 2>/dev/null | wc -l | awk '{print ($1 >= 10)}')" "1"
expect "the downloads are audited with the account" "$(SQL "SELECT count(*) FROM audit WHERE kind = 'report' AND account = 'root' AND detail LIKE '%names and ID%'")" "2"

# ---- the report from the command line ------------------------------------------------------
M=$(date +%Y-%m)
check "hearthd report writes the XLSX" D report --month "$M" --villages 511823 --xlsx "$SHOTS/report.xlsx"
check "…the CSV" D report --month "$M" --villages 511823 --csv "$SHOTS/report.csv" --personal
check "…and the printable page" D report --month "$M" --villages 511823101201 --html "$SHOTS/report.html" --personal
run PY files "$COLLECTOR_URL" "$SHOTS" "$HID" "$XID"
expect "the files read as Excel reads them" "$rc" "0"
[ "$rc" = 0 ] || { cat "$WORK/err" | grep -v '^#[0-9]' | tail -20 | sed 's/^/#   /'; }
grep '^ok\|^not ok' "$WORK/out" | sed 's/^/#   /'
expect "the month's new warning is counted; the page is one village's, with its chart and names" \
  "$(grep -c '<svg' "$SHOTS/report.html") $(grep -c '李建国' "$SHOTS/report.html") $(grep -c 511823101202 "$SHOTS/report.html")" "1 1 0"
expect "report files are 0600" "$(stat -c %a "$SHOTS/report.xlsx" "$SHOTS/report.csv" | sort -u)" "600"
refuse "a month that is not one is refused" 3 "YYYY-MM" D report --month 2026-13 --villages 511823 --csv "$WORK/x.csv"
refuse "a village code of the wrong length is refused" 3 "6 \\(county\\), 9 \\(township\\) or 12" \
  D report --month "$M" --villages 5118 --csv "$WORK/x.csv"
refuse "two outputs at once are refused" 2 "one of --xlsx" D report --month "$M" --villages 511823 --csv a --html b
expect "the reports are audited, the personal one said so" \
  "$(SQL "SELECT count(*) FROM audit WHERE kind = 'report' AND account IS NULL") $(SQL "SELECT count(*) FROM audit WHERE kind = 'report' AND account IS NULL AND detail LIKE '%names and ID%'")" "3 2"

stop_collector "$COLLECTOR_PID"
expect "hearthd stops cleanly on SIGTERM" "$?" "0"
finish
