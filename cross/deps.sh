#!/usr/bin/env bash
# cross/deps.sh — install the Debian packages Hearth builds with, and build the
# dependency stack Debian 12 does not ship for the target: mbedTLS 3.6 LTS and
# libcurl 8.x (HTTP/HTTPS only) linked against that mbedTLS, all static. For an
# ARM board (armhf, arm64) also SQLite, zlib, the protobuf-c runtime and cmocka, so
# the agent links fully static and its unit tests run under qemu-user. For the
# host, the protobuf-c runtime's source, which the fuzzing targets compile in.
#
# Sources are Debian source packages fetched by cross/fetch-source.sh (newest
# version that downloads whole), kept under build/deps/src/ for every target.
# Each library leaves a stamp in build/deps/TARGET/; a second run only checks
# that every Debian package is still installed (and installs what is missing).
#
# One trimmed configuration everywhere (cross/mbedtls.sh, the curl options
# below), so what the host tests exercise is what the boards run.
#
# HH_DEPS_TRIM lists the size trims applied (default: all of "os sections
# mbedtls curl sqlite"; os and sections matter on boards only). Only
# tests/bench/cross_size.sh changes it, to measure what each trim saves.
#
# usage: cross/deps.sh [--target host|armhf|arm64] [--build-dir DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
target=host
build_dir=build
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deps: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
# shellcheck source=cross/targets.sh
. "$here/targets.sh"
hh_target "$target" || exit 2

build_dir=$(mkdir -p "$build_dir" && cd "$build_dir" && pwd)
deps="$build_dir/deps"
prefix="$deps/$target"
src="$deps/src"
work="$prefix/src"
logs="$prefix/logs"
mkdir -p "$prefix/lib" "$prefix/include" "$src" "$work" "$logs"
jobs=$(nproc 2>/dev/null || echo 2)

say() { printf 'deps[%s]: %s\n' "$target" "$*"; }
run_logged() {   # run_logged LOGNAME cmd...: quiet on success, the log tail on failure
  local log="$logs/$1.log"; shift
  if ! "$@" >"$log" 2>&1; then
    echo "deps[$target]: '$*' failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

# --- 1. Debian packages -------------------------------------------------------
packages=(build-essential pkg-config cmake dpkg-dev patch python3 python3-protobuf
          libsqlite3-dev sqlite3 protobuf-c-compiler libprotobuf-c-dev libcmocka-dev
          libmicrohttpd-dev zlib1g-dev openssl util-linux faketime testssl.sh
          curl iproute2 nftables bc strace libargon2-dev gettext tmux
          libxlsxwriter-dev chromium chromium-driver python3-selenium python3-openpyxl
          fonts-wqy-zenhei)
# The fuzzing targets (make fuzz, and their corpus in make test): clang's
# libFuzzer with ASan and UBSan, and llvm-symbolizer for readable reports.
[ "$target" = host ] && packages+=(clang-14 libclang-rt-14-dev llvm-14)
if [ "$target" != host ]; then
  packages+=("gcc-$HH_TRIPLET" "libc6-dev-$HH_DEBARCH-cross" qemu-user tcl binutils-"$HH_TRIPLET")
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "deps[$target]: need root to install: ${missing[*]}" >&2; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  run_logged apt-update apt-get update
  run_logged apt-install apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- 2. source packages -------------------------------------------------------
sources=(mbedtls/trixie curl/trixie)
# The runtime libraries Debian 12 builds with, at the same versions as the host
# (protoc-c 1.4.1 output needs the 1.4.1 runtime).
# The host takes the protobuf-c runtime's source too: the fuzzing targets
# compile it in, so coverage reaches the decoder.
if [ "$target" = host ]; then
  sources+=(protobuf-c/bookworm)
else
  sources+=(sqlite3/bookworm zlib/bookworm protobuf-c/bookworm cmocka/bookworm)
fi
"$here/fetch-source.sh" --dest "$src" --apt-dir "$deps/apt" "${sources[@]}"

dsc_of() {   # dsc_of PACKAGE: the .dsc of the version fetch-source took
  local v
  v=$(cat "$src/$1/.taken")
  echo "$src/$1/$v/${1}_${v#*:}.dsc"
}
unpack() {   # unpack PACKAGE TREE [dpkg-source options]: a fresh tree of the taken version
  local pkg=$1 tree=$2; shift 2
  rm -rf "$tree"
  run_logged "$pkg-unpack" dpkg-source "$@" -x "$(dsc_of "$pkg")" "$tree"
}
version_of() { local v; v=$(cat "$src/$1/.taken"); v=${v#*:}; echo "${v%%-*}"; }

# A library is rebuilt when its recipe changes, not only when it is missing: its
# stamp holds the source version taken and a hash of every option it was built with.
recipe() {   # recipe PACKAGE WORDS...: the stamp text for PACKAGE built with WORDS
  local pkg=$1; shift
  printf '%s %s\n' "$(cat "$src/$pkg/.taken")" "$(printf '%s\n' "$@" | sha256sum | cut -c1-16)"
}
fresh() {    # fresh STAMP PACKAGE WORDS...: is the library built with exactly this recipe?
  local stamp="$prefix/.$1"; shift
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(recipe "$@")" ]
}
rebuilt=0
stamp() {    # stamp STAMP PACKAGE WORDS...: record the recipe just built
  local stamp="$prefix/.$1"; shift
  recipe "$@" >"$stamp"
  rebuilt=1
}

trims=${HH_DEPS_TRIM-os sections mbedtls curl sqlite}
trimmed() { case " $trims " in *" $1 "*) return 0 ;; esac; return 1; }

# Size matters on the boards: -Os, one section per function so --gc-sections
# drops what the agent never calls. The host keeps -O2 (the collector runs there).
if [ "$target" = host ]; then
  dep_cflags="-O2 -g -ffunction-sections -fdata-sections"
else
  dep_cflags="-O2"
  trimmed os && dep_cflags="-Os"
  trimmed sections && dep_cflags="$dep_cflags -ffunction-sections -fdata-sections"
  # 64-bit time_t and file offsets on 32-bit boards too, in every library and in
  # our code alike (the Makefile passes the same), so no struct differs in ABI.
  dep_cflags="$dep_cflags -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64"
fi

# --- 3. mbedTLS 3.6 -----------------------------------------------------------
mbedtls_trim=--full
trimmed mbedtls && mbedtls_trim=--trim
mbedtls_recipe=("$dep_cflags" "$mbedtls_trim" "$(cat "$here/mbedtls.sh")")
build_mbedtls() {
  fresh mbedtls mbedtls "${mbedtls_recipe[@]}" && return 0
  local tree="$work/mbedtls" cmake_cross=()
  unpack mbedtls "$tree"
  say "building mbedTLS $(version_of mbedtls) (static, trimmed to what Hearth speaks)"
  "$here/mbedtls.sh" "$mbedtls_trim" "$tree"
  if [ "$target" != host ]; then
    cmake_cross=(-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$HH_CPU"
                 -DCMAKE_C_COMPILER="$HH_TRIPLET-gcc")
  fi
  run_logged mbedtls-cmake cmake -S "$tree" -B "$tree/_build" "${cmake_cross[@]}" \
    -DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS="$dep_cflags" \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF -DMBEDTLS_FATAL_WARNINGS=OFF \
    -DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DUSE_STATIC_MBEDTLS_LIBRARY=ON
  run_logged mbedtls-build cmake --build "$tree/_build" -j "$jobs"
  run_logged mbedtls-install cmake --install "$tree/_build"
  rm -rf "$tree/_build"
  stamp mbedtls mbedtls "${mbedtls_recipe[@]}"
}

# --- 4. libcurl 8.x on that mbedTLS -------------------------------------------
# HTTP and HTTPS only; trimmed, also everything else the agent never asks of
# curl: auth schemes, forms, DoH, HSTS, the progress meter.
curl_options=(
    --disable-shared --enable-static --with-pic
    --without-openssl --without-gnutls --without-wolfssl
    --without-rustls --without-schannel --without-secure-transport --without-amissl
    --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp
    --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap
    --disable-smb --disable-smtp --disable-gopher --disable-mqtt --disable-ipfs
    --disable-websockets --disable-manual --disable-docs --disable-ntlm
    --disable-netrc --disable-alt-svc --disable-cookies --disable-dependency-tracking
    --without-libpsl --without-brotli --without-zstd --without-zlib --without-nghttp2
    --without-nghttp3 --without-ngtcp2 --without-libidn2 --without-libssh2
    --without-libssh --without-librtmp --without-gssapi --without-libgsasl
    --without-ca-bundle --without-ca-path --without-ca-fallback
    --enable-threaded-resolver
)
trimmed curl && curl_options+=(
    --disable-http-auth --disable-aws --disable-mime --disable-form-api
    --disable-hsts --disable-doh --disable-unix-sockets --disable-get-easy-options
    --disable-progress-meter --disable-bindlocal --disable-tls-srp --disable-sspi
    --disable-headers-api --disable-sha512-256
)
curl_recipe=("$dep_cflags" "${curl_options[@]}" "${mbedtls_recipe[@]}")
build_curl() {
  fresh curl curl "${curl_recipe[@]}" && return 0
  local tree="$work/curl" p host_opt=()
  # Debian's series renames the library for GnuTLS and splits krb5 link flags; both
  # only edit the build system. Apply every other patch (the security fixes).
  unpack curl "$tree" --skip-patches
  while read -r p; do
    case "$p" in ''|'#'*|ZZZgnutls-build.patch|build-Divide-mit-krb5-*) continue ;; esac
    run_logged "curl-patch-$p" patch -d "$tree" -p1 --no-backup-if-mismatch -i "debian/patches/$p"
  done <"$tree/debian/patches/series"
  [ "$target" != host ] && host_opt=(--host="$HH_TRIPLET")
  say "building libcurl $(version_of curl) against mbedTLS (HTTP/HTTPS only; 3-4 minutes)"
  (cd "$tree" && run_logged curl-configure ./configure "${host_opt[@]}" \
    CFLAGS="$dep_cflags" --prefix="$prefix" --with-mbedtls="$prefix" "${curl_options[@]}")
  run_logged curl-build make -C "$tree/lib" -j "$jobs"
  run_logged curl-install-lib make -C "$tree/lib" install
  run_logged curl-install-inc make -C "$tree/include" install
  rm -rf "$tree"
  stamp curl curl "${curl_recipe[@]}"
}

# --- 5. SQLite for a board: the amalgamation, with what the agent never uses omitted
# (only omissions that leave the grammar alone: those are safe on an amalgamation).
sqlite_options=(-DSQLITE_THREADSAFE=1 -DSQLITE_DEFAULT_WAL_SYNCHRONOUS=2)
trimmed sqlite && sqlite_options+=(
  -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_DQS=0 -DSQLITE_OMIT_LOAD_EXTENSION
  -DSQLITE_OMIT_DEPRECATED -DSQLITE_OMIT_SHARED_CACHE -DSQLITE_OMIT_PROGRESS_CALLBACK
  -DSQLITE_OMIT_JSON -DSQLITE_OMIT_UTF16 -DSQLITE_OMIT_COMPLETE -DSQLITE_OMIT_GET_TABLE
  -DSQLITE_OMIT_TCL_VARIABLE -DSQLITE_OMIT_COMPILEOPTION_DIAGS -DSQLITE_OMIT_DECLTYPE
  -DSQLITE_OMIT_AUTHORIZATION -DSQLITE_OMIT_TRACE -DSQLITE_UNTESTABLE
  -DSQLITE_MAX_EXPR_DEPTH=0 -DSQLITE_LIKE_DOESNT_MATCH_BLOBS
)
build_sqlite() {
  fresh sqlite sqlite3 "$dep_cflags" "${sqlite_options[@]}" && return 0
  local amalg="$src/sqlite3-amalgamation" tree="$work/sqlite3"
  if [ ! -f "$amalg/sqlite3.c" ]; then
    unpack sqlite3 "$tree"
    say "making the SQLite $(version_of sqlite3) amalgamation (once, on the host)"
    (cd "$tree" && run_logged sqlite-configure ./configure --disable-tcl --disable-readline)
    run_logged sqlite-amalgamation make -C "$tree" sqlite3.c
    mkdir -p "$amalg.new"
    cp "$tree/sqlite3.c" "$tree/sqlite3.h" "$amalg.new/"
    rm -rf "$amalg" && mv "$amalg.new" "$amalg"
    rm -rf "$tree"
  fi
  say "building SQLite $(version_of sqlite3) for $target"
  run_logged sqlite-build "$HH_TRIPLET-gcc" $dep_cflags "${sqlite_options[@]}" \
    -c "$amalg/sqlite3.c" -o "$work/sqlite3.o"
  rm -f "$prefix/lib/libsqlite3.a"
  run_logged sqlite-ar "$HH_TRIPLET-ar" rcs "$prefix/lib/libsqlite3.a" "$work/sqlite3.o"
  cp "$amalg/sqlite3.h" "$prefix/include/"
  rm -f "$work/sqlite3.o"
  stamp sqlite sqlite3 "$dep_cflags" "${sqlite_options[@]}"
}

# --- 5b. zlib for a board (the sync bodies are deflated): the compression and
# inflation sources only, built like SQLite's amalgamation. (zlib's own build
# also compiles the gz* file functions, which refuse 64-bit time_t on 32-bit
# boards, and the agent never uses them.)
zlib_sources=(adler32 crc32 deflate inffast inflate inftrees trees zutil compress uncompr)
build_zlib() {
  fresh zlib zlib "$dep_cflags" "${zlib_sources[@]}" && return 0
  local tree="$work/zlib" f objs=()
  unpack zlib "$tree"
  say "building zlib $(version_of zlib) for $target"
  for f in "${zlib_sources[@]}"; do
    run_logged "zlib-$f" "$HH_TRIPLET-gcc" $dep_cflags -I"$tree" -c "$tree/$f.c" -o "$work/zlib-$f.o"
    objs+=("$work/zlib-$f.o")
  done
  rm -f "$prefix/lib/libz.a"
  run_logged zlib-ar "$HH_TRIPLET-ar" rcs "$prefix/lib/libz.a" "${objs[@]}"
  cp "$tree/zlib.h" "$tree/zconf.h" "$prefix/include/"
  rm -rf "$tree" "${objs[@]}"
  stamp zlib zlib "$dep_cflags" "${zlib_sources[@]}"
}

# --- 6. the protobuf-c runtime: one file of Debian's source -------------------
build_protobuf_c() {
  fresh protobuf-c protobuf-c "$dep_cflags" && return 0
  local tree="$work/protobuf-c"
  unpack protobuf-c "$tree"
  say "building the protobuf-c $(version_of protobuf-c) runtime for $target"
  run_logged protobuf-c-build "$HH_TRIPLET-gcc" $dep_cflags -I"$tree" \
    -c "$tree/protobuf-c/protobuf-c.c" -o "$work/protobuf-c.o"
  rm -f "$prefix/lib/libprotobuf-c.a"
  run_logged protobuf-c-ar "$HH_TRIPLET-ar" rcs "$prefix/lib/libprotobuf-c.a" "$work/protobuf-c.o"
  mkdir -p "$prefix/include/protobuf-c"
  cp "$tree/protobuf-c/protobuf-c.h" "$prefix/include/protobuf-c/"
  rm -rf "$tree" "$work/protobuf-c.o"
  stamp protobuf-c protobuf-c "$dep_cflags"
}

# --- 6b. the same runtime's source for the host's fuzzing build (the Makefile
# compiles it with clang's instrumentation, VARIANT=fuzz).
stage_protobuf_c_source() {
  fresh protobuf-c-src protobuf-c && return 0
  local tree="$work/protobuf-c" dest="$prefix/protobuf-c-src/protobuf-c"
  unpack protobuf-c "$tree"
  say "keeping the protobuf-c $(version_of protobuf-c) runtime's source for the fuzzing targets"
  rm -rf "$dest" && mkdir -p "$dest"
  cp "$tree/protobuf-c/protobuf-c.c" "$tree/protobuf-c/protobuf-c.h" "$dest/"
  rm -rf "$tree"
  stamp protobuf-c-src protobuf-c
}

# --- 7. cmocka for the unit tests under qemu ----------------------------------
build_cmocka() {
  fresh cmocka cmocka && return 0
  local tree="$work/cmocka"
  unpack cmocka "$tree"
  say "building cmocka $(version_of cmocka) for $target (unit tests under qemu)"
  run_logged cmocka-cmake cmake -S "$tree" -B "$tree/_build" \
    -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$HH_CPU" \
    -DCMAKE_C_COMPILER="$HH_TRIPLET-gcc" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF \
    -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF
  run_logged cmocka-build cmake --build "$tree/_build" -j "$jobs"
  run_logged cmocka-install cmake --install "$tree/_build"
  # Some cmocka versions name the static library cmocka-static.
  [ -f "$prefix/lib/libcmocka.a" ] || cp "$prefix/lib/libcmocka-static.a" "$prefix/lib/libcmocka.a"
  rm -rf "$tree"
  stamp cmocka cmocka
}

build_mbedtls
build_curl
[ "$target" = host ] && stage_protobuf_c_source
if [ "$target" != host ]; then
  build_sqlite
  build_zlib
  build_protobuf_c
  build_cmocka
fi
# The Makefile's stamp, that objects depend on: moved when a library or these
# scripts changed, so a run that merely checked (or reinstalled packages)
# rebuilds nothing.
if [ ! -f "$prefix/.ready" ] || [ "$rebuilt" = 1 ] ||
   [ -n "$(find "$here" -name '*.sh' -newer "$prefix/.ready")" ]; then
  touch "$prefix/.ready"
fi
say "ready: $prefix"
