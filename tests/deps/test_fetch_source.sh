#!/usr/bin/env bash
# tests/deps/test_fetch_source.sh — cross/fetch-source.sh against an archive that
# has lost files, with no network: stand-in `apt-get` and `apt-cache` first on
# PATH play an index that lists versions the archive no longer serves.
#
# The stand-ins read FAKE_INDEX (lines "PACKAGE VERSION SUITE"), FAKE_404 and
# FAKE_BADHASH (versions to refuse), and log every call to $CALLS.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/hearth-fetch.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
_n=0 _failed=0
ok()     { _n=$((_n + 1)); echo "ok $_n - $1"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi; }
contains() { if grep -Eq -- "$3" "$2"; then ok "$1"; else not_ok "$1" "/$3/ not in:" "$(head -c 800 "$2")"; fi; }

mkdir -p "$WORK/bin"
export CALLS="$WORK/calls" FAKE_INDEX="$WORK/index"
cat >"$WORK/bin/apt-cache" <<'SH'
#!/bin/sh
echo "apt-cache $*" >>"$CALLS"
[ "$1" = madison ] || exit 100
awk -v p="$2" '$1 == p { printf "%10s | %s | http://archive.invalid/debian %s/main Sources\n", $1, $2, $3 }' "$FAKE_INDEX"
SH
cat >"$WORK/bin/apt-get" <<'SH'
#!/bin/sh
echo "apt-get $*" >>"$CALLS"
case "$1" in
  update) exit 0 ;;
  source) ;;
  *) exit 100 ;;
esac
spec=$3 pkg=${3%%=*} ver=${3#*=}
bare=${ver#*:}
for v in ${FAKE_404:-}; do
  if [ "$v" = "$ver" ]; then
    echo "Err:1 http://archive.invalid/debian $pkg $ver (dsc)"
    echo "E: Failed to fetch http://archive.invalid/debian/pool/main/${pkg}_$bare.dsc  404  Not Found [IP: 192.0.2.1 80]"
    echo "E: Failed to fetch some archives."
    exit 100
  fi
done
for v in ${FAKE_BADHASH:-}; do
  if [ "$v" = "$ver" ]; then
    echo "E: Failed to fetch http://archive.invalid/debian/pool/main/${pkg}_$bare.debian.tar.xz  Hash Sum mismatch"
    exit 100
  fi
done
echo "source $spec" >"${pkg}_$bare.dsc"
echo "orig" >"${pkg}_${bare%%-*}.orig.tar.gz"
SH
chmod +x "$WORK/bin/apt-cache" "$WORK/bin/apt-get"
export PATH="$WORK/bin:$PATH"
fetch() { "$ROOT/cross/fetch-source.sh" --dest "$WORK/src" --apt-dir "$WORK/apt" "$@" >"$WORK/out" 2>"$WORK/err"; rc=$?; }

# The index lists four trixie versions (dpkg order: u10 > u7 > u5 > u3, which
# string order gets wrong) and an older bookworm one that must never be taken.
cat >"$FAKE_INDEX" <<'IDX'
curl 8.14.1-2+deb13u5 trixie
curl 8.14.1-2+deb13u10 trixie
curl 8.14.1-2+deb13u3 trixie
curl 8.14.1-2+deb13u7 trixie
curl 7.88.1-10+deb12u14 bookworm
mbedtls 3.6.6-0.1~deb13u1 trixie
epochy 2:1.0-1 trixie
IDX

export FAKE_404="8.14.1-2+deb13u10" FAKE_BADHASH="8.14.1-2+deb13u7"
fetch curl/trixie mbedtls/trixie
expect "the newest version that downloads whole is taken" "$rc" "0"
expect "curl: u10 (404) and u7 (bad checksum) skipped, u5 taken" "$(cat "$WORK/src/curl/.taken" 2>/dev/null)" "8.14.1-2+deb13u5"
contains "which version was taken is printed" "$WORK/out" "took curl 8\.14\.1-2\+deb13u5 from trixie"
contains "and why the newer ones were not" "$WORK/out" "curl 8\.14\.1-2\+deb13u10 cannot be had: 404 Not Found"
contains "a bad checksum is a reason too" "$WORK/out" "curl 8\.14\.1-2\+deb13u7 cannot be had: Hash Sum mismatch"
expect "tried newest first, by Debian's version order" \
  "$(grep -o 'curl=[^ ]*' "$CALLS" | tr '\n' ' ')" "curl=8.14.1-2+deb13u10 curl=8.14.1-2+deb13u7 curl=8.14.1-2+deb13u5 "
if [ -f "$WORK/src/curl/8.14.1-2+deb13u5/curl_8.14.1-2+deb13u5.dsc" ]; then ok "the sources stay under the version's directory"
else not_ok "the sources stay under the version's directory" "$(find "$WORK/src" | head)"; fi
expect "no partial download left behind" "$(find "$WORK/src" -name '.try*' | wc -l)" "0"
expect "mbedtls: the only listed version is taken" "$(cat "$WORK/src/mbedtls/.taken" 2>/dev/null)" "3.6.6-0.1~deb13u1"
if grep -q 'bookworm\|7\.88' "$CALLS"; then not_ok "another suite's version is never tried" "$(cat "$CALLS")"
else ok "another suite's version is never tried"; fi

: >"$CALLS"
fetch curl/trixie mbedtls/trixie
expect "fetched once: a second run succeeds" "$rc" "0"
expect "…without asking apt anything" "$(wc -l <"$CALLS")" "0"

fetch epochy/trixie
expect "an epoch is not part of the file names" "$(cat "$WORK/src/epochy/.taken" 2>/dev/null)" "2:1.0-1"

: >"$CALLS"
export FAKE_404="8.14.1-2+deb13u10 8.14.1-2+deb13u5 8.14.1-2+deb13u3" FAKE_BADHASH="8.14.1-2+deb13u7"
rm -rf "$WORK/src/curl"
fetch curl/trixie
expect "when no version can be had, it fails" "$rc" "1"
contains "…naming every version tried" "$WORK/err" "no version of curl in trixie could be fetched"
for v in u10 u7 u5 u3; do
  contains "…with $v and why" "$WORK/err" "8\.14\.1-2\+deb13$v \((404 Not Found|Hash Sum mismatch)\)"
done
expect "…and takes nothing" "$(ls "$WORK/src/curl" 2>/dev/null | wc -l)" "0"

fetch nosuch/trixie
expect "a package the index does not list fails" "$rc" "1"
contains "…saying so" "$WORK/err" "lists no source package 'nosuch' in trixie"

fetch curl
expect "a spec without a suite is a usage error" "$rc" "2"

echo "1..$_n"
[ "$_failed" = 0 ]
