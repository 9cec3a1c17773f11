# cross/targets.sh — the boards Hearth's agent is built for, in one place.
#
# Sourced by cross/deps.sh and the cross tests: `hh_target NAME` sets
#   HH_TRIPLET  the GNU triplet of the cross toolchain (empty for the host)
#   HH_DEBARCH  Debian's name for the architecture
#   HH_CPU      CMake's CMAKE_SYSTEM_PROCESSOR
#   HH_QEMU     the qemu-user program that runs its binaries (empty for the host)
# and fails, naming the known targets, for any other name.

hh_target() {
  case "$1" in
    host)  HH_TRIPLET=""; HH_DEBARCH=$(dpkg --print-architecture 2>/dev/null || echo host)
           HH_CPU=$(uname -m); HH_QEMU="" ;;
    armhf) HH_TRIPLET=arm-linux-gnueabihf; HH_DEBARCH=armhf; HH_CPU=arm; HH_QEMU=qemu-arm ;;
    arm64) HH_TRIPLET=aarch64-linux-gnu; HH_DEBARCH=arm64; HH_CPU=aarch64; HH_QEMU=qemu-aarch64 ;;
    *) echo "unknown target '$1' (known: host, armhf, arm64)" >&2; return 1 ;;
  esac
}
