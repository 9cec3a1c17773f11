#!/usr/bin/env bash
# cross/size-report.sh — how big the board's agent is, and what each library costs.
#
# Reads the linker map written next to the binary and adds up, per library, the
# bytes of every input section that made it into the stripped file (code, read-
# only data, data, unwind tables; not .bss, not debug info). What the sections do
# not account for (ELF headers, alignment) is shown as "headers and padding".
#
# usage: cross/size-report.sh TARGET STRIPPED_BINARY LINKER_MAP
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: cross/size-report.sh TARGET STRIPPED_BINARY LINKER_MAP" >&2; exit 2; }
exec /usr/bin/python3 - "$@" <<'PY'
import os, re, sys

target, binary, mapfile = sys.argv[1:4]
size = os.path.getsize(binary)

def owner(path):
    name = os.path.basename(path.split('(')[0])
    table = [('libcurl.a', 'libcurl'), ('libmbedtls.a', 'mbedTLS'), ('libmbedx509.a', 'mbedTLS'),
             ('libmbedcrypto.a', 'mbedTLS'), ('libsqlite3.a', 'SQLite'),
             ('libprotobuf-c.a', 'protobuf-c runtime')]
    for lib, label in table:
        if name == lib:
            return label
    if '/obj/gen/' in path:
        return 'generated (protobuf messages, rulebook)'
    if '/obj/' in path:
        return 'Hearth (agent, sync, model, platform)'
    return 'C library and compiler runtime'

skip = re.compile(r'^\.(bss|tbss|debug|comment|note|ARM\.attributes|stab|gnu\.attributes|gnu_debuglink)')
line_full = re.compile(r'^ (\.\S+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$')
line_name = re.compile(r'^ (\.\S+)\s*$')
line_rest = re.compile(r'^\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$')
totals = {}
in_map = False
pending = None
with open(mapfile, errors='replace') as f:
    for line in f:
        line = line.rstrip('\n')
        if not in_map:
            in_map = line.startswith('Linker script and memory map')
            continue
        m = line_full.match(line)
        if m:
            sect, hexsize, path = m.groups()
        else:
            m = line_name.match(line)
            if m:
                pending = m.group(1)
                continue
            m = line_rest.match(line)
            if not (m and pending):
                pending = None
                continue
            sect, (hexsize, path) = pending, m.groups()
        pending = None
        if skip.match(sect) or path.startswith('load address'):
            continue
        n = int(hexsize, 16)
        if n:
            key = owner(path)
            totals[key] = totals.get(key, 0) + n

counted = sum(totals.values())
print(f'cross: {target} hearth: {size:,} bytes stripped ({binary})')
for key, n in sorted(totals.items(), key=lambda kv: -kv[1]):
    print(f'  {key:<42} {n:>10,}  {100.0 * n / size:5.1f} %')
print(f'  {"headers and padding":<42} {size - counted:>10,}  {100.0 * (size - counted) / size:5.1f} %')
PY
