#!/usr/bin/env bash
# tests/e2e/test_install.sh — `make install` into a staging root (DESTDIR):
# the programs, the Chinese catalogue where the installed programs look for
# it, man pages that name every command, and a systemd unit that systemd
# itself accepts. (Without DESTDIR it also makes the service's user and
# directory: that changes the machine, and is not run here.)
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
R="$WORK/root"
run make -C "$ROOT" --no-print-directory install DESTDIR="$R" PREFIX=/usr
expect "make install DESTDIR=… PREFIX=/usr succeeds" "$rc" "0"
[ "$rc" = 0 ] || tail -5 "$WORK/err" | sed 's/^/#   /'

expect "the files, with their modes" \
  "$(cd "$R" && stat -c '%a %n' usr/bin/hearth usr/bin/hearthd usr/share/locale/zh_CN/LC_MESSAGES/hearth.mo \
     usr/share/man/man1/hearth.1 usr/share/man/man1/hearthd.1 lib/systemd/system/hearthd.service | tr '\n' ' ')" \
  "755 usr/bin/hearth 755 usr/bin/hearthd 644 usr/share/locale/zh_CN/LC_MESSAGES/hearth.mo 644 usr/share/man/man1/hearth.1 644 usr/share/man/man1/hearthd.1 644 lib/systemd/system/hearthd.service "

contains "the installed agent finds its Chinese messages" \
  <(HEARTH_LANG=zh "$R/usr/bin/hearth" --help 2>&1) "用法：hearth"

unit="$R/lib/systemd/system/hearthd.service"
expect "the unit runs the installed hearthd as its own user, restarted on failure, its directory 0700" \
  "$(grep -cE '^(ExecStart=/usr/bin/hearthd --dir /var/lib/hearthd serve|User=hearthd|Restart=on-failure|StateDirectoryMode=0700|UMask=0077|ExecReload=/bin/kill -HUP \$MAINPID)$' "$unit")" "6"
if command -v systemd-analyze >/dev/null; then
  # Checked where it was staged: the program path and the man page from the staging root.
  sed "s|/usr/bin/hearthd|$R/usr/bin/hearthd|" "$unit" >"$WORK/hearthd.service"
  run env MANPATH="$R/usr/share/man" systemd-analyze verify "$WORK/hearthd.service"
  expect "systemd-analyze verify accepts the unit" "$rc $(cat "$WORK/err")" "0 "
else
  not_ok "systemd-analyze is installed"
fi

# Every command of --help is in the man page.
for prog in hearth hearthd; do
  page=$(LANG=C MANWIDTH=200 man -l "$R/usr/share/man/man1/$prog.1" 2>/dev/null)
  [ -n "$page" ] || not_ok "man -l renders $prog.1"
  missing=""
  while read -r cmd; do
    for word in $cmd; do
      grep -qw -- "$word" <<<"$page" || missing="$missing '$cmd'"
    done
  done < <(HEARTH_LANG=en "$R/usr/bin/$prog" --help 2>&1 | /usr/bin/python3 -c '
import re, sys
listing = sys.stdin.read().split("commands:\n", 1)[1].split("\n\n", 1)[0]
for line in listing.splitlines():
    m = re.match(r"  ([a-z][a-z-]*(?: [a-z][a-z-]*)*)(?:  | [A-Z]|$)", line)
    if m:
        print(m.group(1))')
  expect "$prog.1 names every command of $prog --help" "$missing" ""
done
finish
