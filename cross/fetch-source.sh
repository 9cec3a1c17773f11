#!/usr/bin/env bash
# cross/fetch-source.sh — fetch Debian source packages that survive the archive.
#
# For each PACKAGE/SUITE, ask the index which versions it lists (apt-cache
# madison), and try them newest first with `apt-get source --download-only`
# until one downloads whole; apt checks every file against the signed index, so
# a version whose files are missing or damaged fails and the next is tried.
# The archive drops files while its index still names them: the newest listed
# version may answer 404. Prints which version was taken; fails only when no
# version can be had, naming every version tried and why.
#
# Sources fetched once stay in DEST/PACKAGE/VERSION/ (DEST/PACKAGE/.taken names
# the version) and are never fetched again.
#
# apt runs through a private configuration under APT_DIR, so the machine's own
# apt setup is never touched: deb-src lines for every suite asked for, on the
# archive URI of the system's own sources.
#
# usage: cross/fetch-source.sh --dest DIR --apt-dir DIR PACKAGE/SUITE...
set -euo pipefail

dest="" apt_dir=""
specs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dest) dest="$2"; shift 2 ;;
    --apt-dir) apt_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fetch-source: unknown option '$1' (try --help)" >&2; exit 2 ;;
    */*) specs+=("$1"); shift ;;
    *) echo "fetch-source: '$1' is not PACKAGE/SUITE" >&2; exit 2 ;;
  esac
done
[ -n "$dest" ] && [ -n "$apt_dir" ] && [ ${#specs[@]} -gt 0 ] ||
  { echo "usage: cross/fetch-source.sh --dest DIR --apt-dir DIR PACKAGE/SUITE..." >&2; exit 2; }
mkdir -p "$dest" "$apt_dir"
dest=$(cd "$dest" && pwd)
apt_dir=$(cd "$apt_dir" && pwd)

say() { printf 'fetch-source: %s\n' "$*"; }

# The private apt configuration: the system's archive URI, our own lists and cache.
setup_apt() {
  local uri suites=() s spec
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$uri" ] || { echo "fetch-source: cannot find the Debian archive URI in the system apt sources" >&2; exit 1; }
  for spec in "${specs[@]}"; do
    s=${spec#*/}
    case " ${suites[*]-} " in *" $s "*) ;; *) suites+=("$s") ;; esac
  done
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
           "$apt_dir/etc/preferences.d" "$apt_dir/etc/parts"
  : >"$apt_dir/etc/sources.list.new"
  for s in "${suites[@]}"; do echo "deb-src $uri $s main" >>"$apt_dir/etc/sources.list.new"; done
  mv "$apt_dir/etc/sources.list.new" "$apt_dir/etc/sources.list"
  cat >"$apt_dir/apt.conf" <<CONF
Dir::State "$apt_dir";
Dir::State::Lists "$apt_dir/lists";
Dir::State::status "/var/lib/dpkg/status";
Dir::Cache "$apt_dir/cache";
Dir::Etc::SourceList "$apt_dir/etc/sources.list";
Dir::Etc::SourceParts "$apt_dir/etc/parts";
Dir::Etc::Preferences "$apt_dir/etc/preferences";
Dir::Etc::PreferencesParts "$apt_dir/etc/preferences.d";
APT::Sandbox::User "root";
CONF
  export APT_CONFIG="$apt_dir/apt.conf"
  say "updating the source index ($uri: ${suites[*]})"
  if ! apt-get update >"$apt_dir/update.log" 2>&1; then
    echo "fetch-source: apt-get update failed; last lines of $apt_dir/update.log:" >&2
    tail -n 20 "$apt_dir/update.log" >&2
    exit 1
  fi
}

# versions PACKAGE SUITE: the versions the index lists for SUITE, newest first.
versions() {
  local pkg=$1 suite=$2 v sorted=() i j tmp
  while read -r v; do
    [ -n "$v" ] && sorted+=("$v")
  done < <(apt-cache madison "$pkg" 2>/dev/null |
           awk -F'|' -v s="$suite/" '$3 ~ /Sources/ && index($3, " " s) { gsub(/ /, "", $2); print $2 }' |
           sort -u)
  # Debian version order (epochs, ~, +) is dpkg's, not sort's: insertion sort.
  for ((i = 1; i < ${#sorted[@]}; i++)); do
    tmp=${sorted[i]}; j=$((i - 1))
    while [ $j -ge 0 ] && dpkg --compare-versions "${sorted[j]}" lt "$tmp"; do
      sorted[j + 1]=${sorted[j]}; j=$((j - 1))
    done
    sorted[j + 1]=$tmp
  done
  [ ${#sorted[@]} -gt 0 ] && printf '%s\n' "${sorted[@]}"
  return 0
}

# fetch PACKAGE SUITE: take the newest listed version that downloads whole.
fetch() {
  local pkg=$1 suite=$2 v try reason tried=() bare
  local list=()
  mapfile -t list < <(versions "$pkg" "$suite")
  if [ ${#list[@]} -eq 0 ]; then
    echo "fetch-source: the index lists no source package '$pkg' in $suite" >&2
    return 1
  fi
  for v in "${list[@]}"; do
    try="$dest/$pkg/.try"
    rm -rf "$try" && mkdir -p "$try"
    bare=${v#*:}   # file names carry no epoch
    if (cd "$try" && apt-get source --download-only "$pkg=$v") >"$dest/$pkg/.try.log" 2>&1 &&
       ls "$try/${pkg}_${bare}.dsc" >/dev/null 2>&1; then
      rm -rf "$dest/$pkg/$v"
      mv "$try" "$dest/$pkg/$v"
      echo "$v" >"$dest/$pkg/.taken"
      rm -f "$dest/$pkg/.try.log"
      if [ ${#tried[@]} -gt 0 ]; then
        say "took $pkg $v from $suite (after: ${tried[*]})"
      else
        say "took $pkg $v from $suite"
      fi
      return 0
    fi
    # The HTTP status or checksum failure if apt names one, else its first error
    # without the URL, else its last words.
    reason=$(grep -E '^E: ' "$dest/$pkg/.try.log" |
             grep -oE ' [0-9]{3} +[A-Z][A-Za-z ]*[a-z]|Hash Sum mismatch|Size mismatch' | head -n 1 || true)
    [ -n "$reason" ] || reason=$(grep -E '^E: ' "$dest/$pkg/.try.log" | head -n 1 |
                                 sed -E 's/^E: //; s#[a-z]+://[^ ]+##g' || true)
    [ -n "$reason" ] || reason=$(tail -n 1 "$dest/$pkg/.try.log")
    reason=$(printf '%s' "$reason" | tr -s ' ' | sed 's/^ //; s/ $//')
    [ -n "$reason" ] || reason="apt-get source failed without saying why"
    say "$pkg $v cannot be had: $reason; trying the next version"
    tried+=("$v ($reason)")
    rm -rf "$try"
  done
  echo "fetch-source: no version of $pkg in $suite could be fetched; tried:" >&2
  printf '  %s\n' "${tried[@]}" >&2
  return 1
}

pending=()
for spec in "${specs[@]}"; do
  pkg=${spec%%/*}
  if [ -f "$dest/$pkg/.taken" ] && [ -d "$dest/$pkg/$(cat "$dest/$pkg/.taken")" ]; then
    continue
  fi
  pending+=("$spec")
done
[ ${#pending[@]} -eq 0 ] && exit 0

setup_apt
status=0
for spec in "${pending[@]}"; do
  mkdir -p "$dest/${spec%%/*}"
  fetch "${spec%%/*}" "${spec#*/}" || status=1
done
exit $status
