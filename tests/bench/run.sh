#!/usr/bin/env bash
# tests/bench/run.sh — the benchmarks (make bench). Prints figures; never
# passes or fails on timing.
#
# usage: tests/bench/run.sh BUILD_DIR [VISITS]
set -eu
build=$1
visits=${2:-10000}
dir=$(mktemp -d /tmp/hearth-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

echo "== the agent binary"
strip -o "$dir/hearth.stripped" "$build/bin/hearth"
stat -c %s "$dir/hearth.stripped" | awk '{ printf "hearth stripped: %d bytes (%.2f MiB)\n", $1, $1 / 1048576 }'
echo "shared libraries:"; ldd "$build/bin/hearth" | sed 's/^/  /'
if ldd "$build/bin/hearth" | grep -Eq 'libcurl|libmbed'; then
  echo "WARNING: curl or mbedTLS linked dynamically"
fi
echo
echo "== recording visits"
"$build/bin/bench_visits" "$visits" "$dir"
