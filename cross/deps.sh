#!/usr/bin/env bash
# cross/deps.sh — install the Debian packages Hearth builds with, and build the
# dependency stack Debian 12 does not ship: mbedTLS 3.6 LTS and libcurl 8.x
# (HTTP/HTTPS only) linked against that mbedTLS, both static.
#
# Sources come from Debian 13's source packages, fetched with `apt-get source`
# through a private apt configuration under build/ so the machine's own apt setup
# is never touched. Each stage leaves a stamp; a second run does nothing.
#
# usage: cross/deps.sh [--target host] [--build-dir DIR]
set -euo pipefail

target=host
build_dir=build
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deps: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$target" != host ]; then
  echo "deps: target '$target' is not supported yet (only: host)" >&2
  exit 2
fi

build_dir=$(mkdir -p "$build_dir" && cd "$build_dir" && pwd)
deps="$build_dir/deps"
prefix="$deps/$target"
src="$deps/src"
apt_dir="$deps/apt"
logs="$prefix/logs"
mkdir -p "$prefix" "$src" "$logs"
jobs=$(nproc 2>/dev/null || echo 2)

say() { printf 'deps: %s\n' "$*"; }
run_logged() {   # run_logged LOGNAME cmd...: quiet on success, the log tail on failure
  local log="$logs/$1.log"; shift
  if ! "$@" >"$log" 2>&1; then
    echo "deps: '$*' failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

# --- 1. Debian packages -------------------------------------------------------
packages=(build-essential pkg-config cmake dpkg-dev patch python3 python3-protobuf
          libsqlite3-dev sqlite3 protobuf-c-compiler libprotobuf-c-dev libcmocka-dev
          libmicrohttpd-dev openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "deps: need root to install: ${missing[*]}" >&2; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  run_logged apt-update apt-get update
  run_logged apt-install apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- 2. Debian 13 source packages through a private apt configuration --------
fetch_sources() {
  [ -f "$src/.fetched" ] && return 0
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$uri" ] || { echo "deps: cannot find the Debian archive URI in the system apt sources" >&2; exit 1; }
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc/preferences.d" "$apt_dir/etc/parts"
  echo "deb-src $uri trixie main" >"$apt_dir/etc/sources.list"
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
  say "fetching mbedtls and curl source packages (Debian trixie) from $uri"
  export APT_CONFIG="$apt_dir/apt.conf"
  run_logged apt-src-update apt-get update
  rm -rf "$src/dl" && mkdir -p "$src/dl"
  (cd "$src/dl" && run_logged apt-src-get apt-get source --download-only mbedtls/trixie curl/trixie)
  unset APT_CONFIG
  touch "$src/.fetched"
}

# --- 3. mbedTLS 3.6 -----------------------------------------------------------
build_mbedtls() {
  [ -f "$prefix/.mbedtls" ] && return 0
  local dsc tree
  dsc=$(ls "$src"/dl/mbedtls_3.6*.dsc | head -n 1)
  tree="$src/mbedtls"
  rm -rf "$tree" "$src/mbedtls-build"
  run_logged mbedtls-unpack dpkg-source -x "$dsc" "$tree"
  say "building mbedTLS $(basename "$dsc" .dsc | cut -d_ -f2) (static, threading on)"
  python3 "$tree/scripts/config.py" -f "$tree/include/mbedtls/mbedtls_config.h" set MBEDTLS_THREADING_C
  python3 "$tree/scripts/config.py" -f "$tree/include/mbedtls/mbedtls_config.h" set MBEDTLS_THREADING_PTHREAD
  run_logged mbedtls-cmake cmake -S "$tree" -B "$src/mbedtls-build" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF \
    -DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DUSE_STATIC_MBEDTLS_LIBRARY=ON
  run_logged mbedtls-build cmake --build "$src/mbedtls-build" -j "$jobs"
  run_logged mbedtls-install cmake --install "$src/mbedtls-build"
  touch "$prefix/.mbedtls"
}

# --- 4. libcurl 8.x on that mbedTLS -------------------------------------------
build_curl() {
  [ -f "$prefix/.curl" ] && return 0
  local dsc tree p
  dsc=$(ls "$src"/dl/curl_8*.dsc | head -n 1)
  tree="$src/curl"
  rm -rf "$tree"
  # Debian's series renames the library for GnuTLS and splits krb5 link flags; both
  # only edit the build system. Apply every other patch (the security fixes).
  run_logged curl-unpack dpkg-source --skip-patches -x "$dsc" "$tree"
  while read -r p; do
    case "$p" in ''|'#'*|ZZZgnutls-build.patch|build-Divide-mit-krb5-*) continue ;; esac
    run_logged "curl-patch-$p" patch -d "$tree" -p1 --no-backup-if-mismatch -i "debian/patches/$p"
  done <"$tree/debian/patches/series"
  say "building libcurl $(basename "$dsc" .dsc | cut -d_ -f2) against mbedTLS (HTTP/HTTPS only; 3-4 minutes)"
  (cd "$tree" && run_logged curl-configure ./configure \
    --prefix="$prefix" --disable-shared --enable-static --with-pic \
    --with-mbedtls="$prefix" --without-openssl --without-gnutls --without-wolfssl \
    --without-rustls --without-schannel --without-secure-transport --without-amissl \
    --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
    --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
    --disable-smb --disable-smtp --disable-gopher --disable-mqtt --disable-ipfs \
    --disable-websockets --disable-manual --disable-docs --disable-ntlm \
    --disable-netrc --disable-alt-svc --disable-cookies --disable-dependency-tracking \
    --without-libpsl --without-brotli --without-zstd --without-zlib --without-nghttp2 \
    --without-nghttp3 --without-ngtcp2 --without-libidn2 --without-libssh2 \
    --without-libssh --without-librtmp --without-gssapi --without-libgsasl \
    --without-ca-bundle --without-ca-path --without-ca-fallback \
    --enable-threaded-resolver)
  run_logged curl-build make -C "$tree/lib" -j "$jobs"
  run_logged curl-install-lib make -C "$tree/lib" install
  run_logged curl-install-inc make -C "$tree/include" install
  install -m 0644 "$tree/libcurl.pc" "$prefix/lib/pkgconfig/libcurl.pc" 2>/dev/null || true
  touch "$prefix/.curl"
}

fetch_sources
build_mbedtls
build_curl
touch "$prefix/.ready"   # the Makefile's stamp: every package and library is in place
say "ready: $prefix (mbedTLS + libcurl, static)"
