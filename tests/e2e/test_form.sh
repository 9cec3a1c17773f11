#!/usr/bin/env bash
# tests/e2e/test_form.sh — the visit form as an officer meets it: the real
# `hearth` on a real terminal (tmux), in Chinese and in English, at 80x24 and
# 40x20. Answers are typed; a wrong one is asked again; "<" goes back; "?"
# lists the choices; Ctrl-C stops and keeps the draft; `visit resume` brings
# it back; the summary changes one answer; the visit saved is what was typed,
# with the member's new employment and the guarantees the members' records
# fail (proposed, confirmed). A correction starts from the visit it corrects.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || { not_ok "tmux is installed (make deps)"; finish; exit 1; }
# Each terminal gets a tmux server of its own (a new server on a socket just
# killed can race its predecessor's exit).
n_term=0
SOCK="hearth-form-$$-0"
T() { tmux -L "$SOCK" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$WORK"' EXIT

# wait_for PATTERN: poll the screen until it matches (at most 10 s).
wait_for() {
  for _ in $(seq 1 100); do
    T capture-pane -t f -p -J >"$WORK/screen" 2>/dev/null
    grep -Eq -- "$1" "$WORK/screen" && return 0
    sleep 0.1
  done
  return 1
}
# type_answers TEXT...: each TEXT typed then Enter, waiting until the form
# has answered it: the screen changed and its last line waits for input again
# (a question, the summary's prompt) or the program ended.
screen() { T capture-pane -t f -p -J | sed 's/ *$//' | grep -v '^$'; }
type_answers() {
  for a in "$@"; do
    local before now
    before=$(screen)
    T send-keys -t f -l "$a"
    T send-keys -t f Enter
    for _ in $(seq 1 50); do
      now=$(screen)
      [ "$now" != "$before" ] && printf '%s\n' "$now" | tail -1 | grep -Eq '(:|：|EXIT=[0-9]+)$' && break
      sleep 0.1
    done
  done
}
# start COLSxROWS LANG CMD...: the command in a fresh terminal of that size.
start() {
  local size=$1 lang=$2; shift 2
  T kill-server 2>/dev/null
  n_term=$((n_term + 1))
  SOCK="hearth-form-$$-$n_term"
  T -f /dev/null new-session -d -s f -x "${size%x*}" -y "${size#*x}" \
    "env HEARTH_LANG=$lang HEARTH_OFFICER=李明 HEARTH_DB=$DB $* ; echo EXIT=\$?; sleep 30"
  wait_for '^\(1/'
}

H=5118231012015555
setup() {   # a relocated household: a working-age head, a 12-year-old out of school, uninsured
  rm -f "$DB"*
  "$HEARTH" --db "$DB" init >/dev/null
  "$HEARTH" --db "$DB" household add --village 511823101201 --category lifted --relocated yes \
    --site 幸福社区 --registry-no $H >/dev/null
  "$HEARTH" --db "$DB" member add $H --name 王芳 --id-number 511823198001010020 --relation head --sex f \
    --birth-year 1980 --labour full --health healthy --school none --insurance yes --employment none >/dev/null
  "$HEARTH" --db "$DB" member add $H --name 王小明 --id-number 511823201401010032 --relation child \
    --sex m --birth-year 2014 --labour none --health healthy --school dropped_out --insurance no \
    --employment none >/dev/null
}
Q() { sqlite3 "$DB" "$@"; }

for lang in zh en; do
  for size in 80x24 40x20; do
    at="[$lang $size]"
    DB="$WORK/$lang-$size.db"
    setup
    if [ $lang = zh ]; then again='请重新输入'; local_job='本地务工'; shock='因病'; summary='保存吗'
    else again='try again'; local_job='local'; shock='illness'; summary='Save\?'; fi

    start "$size" $lang "$HEARTH" visit record $H
    # date, officer (default), size (default), wages wrong then right
    type_answers 2026-11-25 "" "" 2x00
    wait_for "$again" && ok "$at a wrong amount is asked again" || not_ok "$at a wrong amount is asked again" "$(cat "$WORK/screen")"
    type_answers 2000 0 "<"
    wait_for '^\(5/15\).*\[0\]: $' && ok "$at \"<\" goes back to the question before" \
      || not_ok "$at \"<\" goes back to the question before" "$(tail -5 "$WORK/screen")"
    type_answers 150 0 1200 0 "" "" "?"
    wait_for "$local_job" && ok "$at \"?\" lists the choices" || not_ok "$at \"?\" lists the choices" "$(tail -5 "$WORK/screen")"
    type_answers "$local_job" ""
    wait_for '^\(13/15\)' || true
    T send-keys -t f C-c
    wait_for 'EXIT=130' && ok "$at Ctrl-C stops the form (exit 130)" || not_ok "$at Ctrl-C stops the form (exit 130)" "$(tail -5 "$WORK/screen")"
    grep -q "hearth visit resume $H" "$WORK/screen" && ok "$at …and says how to go on" || not_ok "$at …and says how to go on" "$(tail -5 "$WORK/screen")"
    expect "$at the draft holds the 12 answers given, nothing saved yet" \
      "$(Q "SELECT count(*) FROM visits"),$(Q "SELECT step FROM drafts"),$(Q "SELECT answers FROM drafts" | grep -c .)" "0,12,12"

    start "$size" $lang "$HEARTH" visit resume $H
    wait_for '^\(13/15\)' && ok "$at resume asks the first question not answered" || not_ok "$at resume asks the first question not answered" "$(tail -5 "$WORK/screen")"
    type_answers "$shock" "" "门口记录"
    wait_for "$summary" && ok "$at a summary before saving" || not_ok "$at a summary before saving" "$(tail -5 "$WORK/screen")"
    type_answers 4
    wait_for '^\(4/15\)' || true
    type_answers 2100
    wait_for "$summary" || true
    T send-keys -t f -l y
    T send-keys -t f Enter
    wait_for 'EXIT=0' && ok "$at saved" || not_ok "$at saved" "$(tail -8 "$WORK/screen")"
    expect "$at the visit is what was typed, with the change from the summary" \
      "$(Q "SELECT visited_on, officer, wages, operating, property, transfer, medical, shocks, guarantees_met, notes FROM visits")" \
      "2026-11-25|李明|2100|150|0|1200|0|2|102|门口记录"
    expect "$at the head's new employment is recorded; the draft is gone" \
      "$(Q "SELECT employment FROM members WHERE name = '王芳'") $(Q "SELECT count(*) FROM drafts")" "local 0"
  done
done

# A closed terminal (SIGHUP) and a power cut (SIGKILL: nothing runs after it)
# keep every answer given.
DB="$WORK/cut.db"
setup
start 80x24 en "$HEARTH" visit record $H
type_answers 2026-11-26 "" "" 3100 10
T kill-session -t f
for _ in $(seq 1 50); do pgrep -f "visit record $H" >/dev/null || break; sleep 0.1; done
expect "a closed terminal: the five answers are kept" "$(Q "SELECT answers FROM drafts" | grep -c .)" "5"
start 80x24 en "$HEARTH" visit resume $H
type_answers 20
pkill -KILL -f "visit resume $H"
for _ in $(seq 1 50); do pgrep -f "visit resume $H" >/dev/null || break; sleep 0.1; done
expect "a power cut after the sixth answer: six kept, the database sound" \
  "$(Q "SELECT answers FROM drafts" | grep -c .) $(Q "PRAGMA integrity_check")" "6 ok"

# A household with no members recorded: its size is asked, and 0 refused, at once.
DB="$WORK/empty.db"
rm -f "$DB"*
"$HEARTH" --db "$DB" init >/dev/null
"$HEARTH" --db "$DB" household add --village 511823101201 --category lifted --registry-no 5118231012016666 >/dev/null
start 80x24 en "$HEARTH" visit record 5118231012016666
type_answers 2026-11-26 "" 0
wait_for 'Household size \(no members recorded\).*\n?.*try again|must be a whole number in 1\.\.50' \
  && ok "no members: a size of 0 is refused at its question" || not_ok "no members: a size of 0 is refused at its question" "$(tail -4 "$WORK/screen")"
T send-keys -t f C-c

# A correction starts from the values of the visit it corrects (its id's first 8 characters).
DB="$WORK/correct.db"
setup
vid=$("$HEARTH" --db "$DB" visit record $H --date 2026-11-20 --officer 张 --wages 4000 --operating 0 \
  --property 0 --transfer 500 --notes 原记录 | head -1)
start 80x24 en "$HEARTH" visit record $H --supersedes "${vid:0:8}"
wait_for '^\(1/15\) Visit date \[2026-11-20\]' && ok "a correction offers the corrected visit's date" \
  || not_ok "a correction offers the corrected visit's date" "$(tail -3 "$WORK/screen")"
type_answers "" "" "" 4400 "" "" "" "" "" "" "" "" "" "" ""
wait_for 'Save\?' || true
T send-keys -t f Enter
wait_for 'EXIT=0' || true
expect "…and saves only what was changed, marked as the correction" \
  "$(Q "SELECT officer, wages, transfer, notes, supersedes FROM visits WHERE supersedes IS NOT NULL")" \
  "张|4400|500|原记录|$vid"
refuse "a prefix shorter than 8 characters is refused" 4 "no visit '01' of household" \
  "$HEARTH" --db "$DB" visit record $H --supersedes 01 --date 2026-11-21 --officer x --wages 1 \
  --operating 0 --property 0 --transfer 0
finish
