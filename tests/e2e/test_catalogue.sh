#!/usr/bin/env bash
# tests/e2e/test_catalogue.sh — the agent speaks Chinese: every message it can
# show has a translation in agent/po/zh_CN.po, no message is printed without
# going through the catalogue, the compiled catalogue is the one the binary
# finds, and the language follows $HEARTH_LANG and the locale, with or without
# the zh_CN locale installed.
. "$(dirname "$0")/lib.sh"

PO="$ROOT/agent/po/zh_CN.po"
mapfile -t sources < <(grep -v '^#' "$ROOT/agent/po/POTFILES" | sed "s|^|$ROOT/|")

# ---- the catalogue is complete -------------------------------------------------------
if ! command -v xgettext >/dev/null; then
  not_ok "xgettext is installed (make deps: gettext)"; finish; exit 1
fi
(cd "$ROOT" && xgettext --from-code=UTF-8 -k_ -kN_ -kcli_fail:3 -kcli_usage:2 -khh_diag_fail:4 -kmsg:2 \
  --no-location -o "$WORK/hearth.pot" "${sources[@]#$ROOT/}") 2>"$WORK/xgettext.err"
expect "xgettext reads every source" "$?" "0"
count=$(grep -c '^msgid "' "$WORK/hearth.pot")
[ "$count" -gt 300 ] && ok "the sources hold $count messages" || not_ok "the sources hold messages" "only $count"
if msgcmp "$PO" "$WORK/hearth.pot" 2>"$WORK/msgcmp"; then ok "every message of the sources is in zh_CN.po"
else not_ok "every message of the sources is in zh_CN.po" "$(head -20 "$WORK/msgcmp")"; fi
msgattrib --untranslated --no-obsolete "$PO" 2>/dev/null | grep -c '^msgid "' >"$WORK/untranslated" || true
expect "…and every one has a translation" "$(cat "$WORK/untranslated")" "0"
msgattrib --only-fuzzy "$PO" 2>/dev/null | grep -c '^msgid' >"$WORK/fuzzy" || true
expect "…none of them fuzzy" "$(cat "$WORK/fuzzy")" "0"
if msgfmt --check -o /dev/null "$PO" 2>"$WORK/msgfmt"; then ok "each translation keeps its message's printf directives"
else not_ok "each translation keeps its message's printf directives" "$(head -20 "$WORK/msgfmt")"; fi

# ---- nothing printed around the catalogue ----------------------------------------------
# A printf, fprintf or puts whose format has words must take it through _().
/usr/bin/python3 - "${sources[@]}" >"$WORK/bare" <<'EOF'
import re, sys
call = re.compile(r'\b(?:printf|fprintf\(\s*(?:stderr|stdout|out)\s*,|fputs|puts)\(?\s*("(?:[^"\\]|\\.)*")')
for path in sys.argv[1:]:
    text = open(path, encoding='utf-8').read()
    for m in call.finditer(text):
        lit = m.group(1)
        words = re.sub(r'%[-+ #0-9.*]*(?:ll|l|z|h)?[a-zA-Z]|\\.', '', lit)
        json_token = lit in ('"null"', '"true"', '"false"')
        if re.search(r'[A-Za-z]{2,}', words) and not json_token and not lit.startswith('"{') and '\\"' not in lit:
            line = text.count('\n', 0, m.start()) + 1
            print(f"{path.split('/tests/')[0] and path}:{line}: {lit[:60]}")
EOF
expect "no message is printed without the catalogue" "$(cat "$WORK/bare")" ""

# ---- the binary finds it, and the language is chosen as documented -------------------------
HEARTH_LANG=zh run "$HEARTH" --help
contains "HEARTH_LANG=zh: the overview is Chinese" "$WORK/out" "^用法：hearth 命令"
contains "…and so are the commands' summaries" "$WORK/out" "当天计划"
LANG=zh_CN.UTF-8 run "$HEARTH" worklist --help
contains "LANG=zh_CN.UTF-8 without the locale installed: Chinese" "$WORK/out" "只列到期或逾期应走访的户"
LANG=zh_CN.UTF-8 HEARTH_LANG=en run "$HEARTH" worklist --help
contains "HEARTH_LANG=en wins over the locale" "$WORK/out" "only the households due or overdue"
LC_ALL=C LANG=zh_CN.UTF-8 run "$HEARTH" worklist --help
contains "LC_ALL=C wins over LANG, as the locale rules say" "$WORK/out" "only the households due or overdue"
HEARTH_LANG=zh run "$HEARTH" --db "$WORK/none.db" status
expect "an error in Chinese, with the same exit status" "$rc $(grep -c '没有设备数据库' "$WORK/err")" "5 1"
HEARTH_LOCALEDIR="$WORK/nowhere" HEARTH_LANG=zh run "$HEARTH" --help
contains "without the catalogue the agent still speaks, in English" "$WORK/out" "^usage: hearth COMMAND"

# ---- enumerations in either language, codes kept in JSON -----------------------------------
"$HEARTH" init >/dev/null
check "household add --category 脱贫户" "$HEARTH" household add --village 511823101201 --category 脱贫户 \
  --registry-no 5118231012018801
HEARTH_LANG=zh run "$HEARTH" member add 5118231012018801 --name 张 --relation 户主 --sex 男 --birth-year 19x0 \
  --labour full --health healthy --school none --insurance yes --employment none --id-number 1
contains "a check's message in Chinese" "$WORK/err" "必须是 1900..2100 之间的整数"
check "member add with Chinese labels" "$HEARTH" member add 5118231012018801 --name 王芳 \
  --id-number 511823198001010020 --relation 户主 --sex 女 --birth-year 1980 --labour 普通劳动力 \
  --health 健康 --school 非在校 --insurance yes --employment 外出务工
check "visit record --shocks 因病、因灾" "$HEARTH" visit record 5118231012018801 --date 2026-11-20 \
  --officer 李 --wages 3000 --operating 0 --property 0 --transfer 0 --shocks 因病、因灾
run "$HEARTH" household show 5118231012018801 --json
contains "JSON keeps the stable codes" "$WORK/out" '"category": "lifted".*"relation": "head", "sex": "f"'
HEARTH_LANG=zh run "$HEARTH" worklist --on 2026-11-30
contains "the worklist in Chinese: tier, head, when" "$WORK/out" "^红 +5118231012018801  王芳 +511823101201  2026-11-20  逾期 3 天"
contains "…reasons as sentences with their numbers" "$WORK/out" "^ +人均纯收入 3,000 元，低于 3,600 元；遭遇风险"
HEARTH_LANG=zh run "$HEARTH" household show 5118231012018801
contains "household show in Chinese" "$WORK/out" "^户类型 +脱贫户$"
HEARTH_LANG=zh COLUMNS=40 run "$HEARTH" worklist --on 2026-11-30
contains "under 60 columns the worklist takes its narrow layout" "$WORK/out" "^红 5118231012018801 王芳$"
wider_than() {   # wider_than N FILE: the lines of FILE wider than N display columns
  /usr/bin/python3 -c '
import sys, unicodedata
for line in open(sys.argv[2], encoding="utf-8"):
    line = line.rstrip("\r\n")
    if sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line) > int(sys.argv[1]):
        print(line)' "$1" "$2"
}
wider_than 40 "$WORK/out" >"$WORK/wide"
expect "at 40 columns no line of the worklist is wider than 40" "$(cat "$WORK/wide")" ""
for lang in zh en; do
  HEARTH_LANG=$lang COLUMNS=40 script -qec "$HEARTH --help; $HEARTH visit record --help" /dev/null >"$WORK/help"
  expect "$lang: on a 40-column terminal, help fits" "$(wider_than 40 "$WORK/help")" ""
done
finish
