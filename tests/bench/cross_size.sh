#!/usr/bin/env bash
# tests/bench/cross_size.sh — what each size trim saves on a board's agent.
#
# Builds the dependency stack and the static agent for TARGET once per step,
# under build/size-steps/N/ (the fetched sources are shared), each step adding
# one trim of cross/deps.sh (HH_DEPS_TRIM) to the one before:
#   0  default builds: -O2, Debian's mbedTLS configuration, curl HTTP/HTTPS only,
#      SQLite with no omissions
#   1  -Os                  2  one section per function, --gc-sections
#   3  mbedTLS trimmed      4  curl trimmed          5  SQLite omissions (= make cross)
# and prints each stripped size and what the step saved. Takes 20-30 minutes on
# 2 cores; a step already built is reused.
#
# usage: tests/bench/cross_size.sh [TARGET]     (default armhf)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${1:-armhf}
case "$target" in
  armhf|arm64) ;;
  -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "cross_size: TARGET is armhf or arm64 (try --help)" >&2; exit 2 ;;
esac
cd "$root"
steps=("" "os" "os sections" "os sections mbedtls" "os sections mbedtls curl"
       "os sections mbedtls curl sqlite")
names=("default builds (-O2, full mbedTLS, SQLite)" "-Os" "sections + --gc-sections"
       "mbedTLS trimmed" "curl trimmed" "SQLite omissions")
mkdir -p build/deps/src
sizes=()
for i in "${!steps[@]}"; do
  dir="build/size-steps/$i"
  mkdir -p "$dir/deps"
  [ -e "$dir/deps/src" ] || ln -s "$root/build/deps/src" "$dir/deps/src"
  cflags="-O2"
  case " ${steps[i]} " in *" os "*) cflags="-Os" ;; esac
  case " ${steps[i]} " in *" sections "*) cflags="$cflags -ffunction-sections -fdata-sections" ;; esac
  echo "cross_size: step $i (${names[i]}): building in $dir" >&2
  HH_DEPS_TRIM="${steps[i]}" ./cross/deps.sh --target "$target" --build-dir "$dir" >"$dir.log" 2>&1 ||
    { tail -n 20 "$dir.log" >&2; exit 1; }
  HH_DEPS_TRIM="${steps[i]}" make --no-print-directory BUILD_ROOT="$dir" TARGET="$target" CFLAGS="$cflags" \
    "$dir/$target/bin/hearth" >>"$dir.log" 2>&1 || { tail -n 20 "$dir.log" >&2; exit 1; }
  sizes+=("$(stat -c %s "$dir/$target/bin/hearth")")
done
echo "== $target hearth, stripped, as each size trim is added"
for i in "${!steps[@]}"; do
  saved=""
  [ "$i" -gt 0 ] && saved=$(printf 'saves %9s bytes' "$(printf "%'d" $((sizes[i - 1] - sizes[i])))")
  printf '%d  %-44s %11s bytes  %s\n' "$i" "${names[i]}" "$(printf "%'d" "${sizes[i]}")" "$saved"
done
last=$((${#steps[@]} - 1))
./cross/size-report.sh "$target" "build/size-steps/$last/$target/bin/hearth" "build/size-steps/$last/$target/bin/hearth.map"
