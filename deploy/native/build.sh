#!/usr/bin/env bash
# Builds libordo-rocksdb-crc32c.so (see rocksdb-crc32c.c) into the distribution's lib directory,
# beside the jars (the JVM's lib/* class path takes only jars). Run by the deploy module's build.
# Without a C compiler, or off Linux on x86-64, it builds nothing and says so: the node then runs
# on RocksDB's software CRC32C, correct but slower.
#   build.sh OUTPUT_DIR [SOURCE]
# SOURCE (default: rocksdb-crc32c.c here) NAME.c becomes OUTPUT_DIR/libordo-NAME.so, once NAME-check.c
# beside it (if there is one) passed; RocksDbCrc32cTest builds a planted replacement with it, the same way.
set -euo pipefail
out="$1"
src="${2:-$(dirname "${BASH_SOURCE[0]}")/rocksdb-crc32c.c}"
lib="$out/libordo-$(basename "$src" .c).so"
rm -f "$lib"
if [ "$(uname -s)" != Linux ] || [ "$(uname -m)" != x86_64 ]; then
  echo "ordo: no RocksDB CRC32C replacement for $(uname -s) on $(uname -m): nodes use RocksDB's own" >&2
  exit 0
fi
cc="${CC:-cc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "ordo: WARNING: no C compiler ($cc): nodes will compute RocksDB's checksums in software," \
    "using more CPU (install gcc and build again)" >&2
  exit 0
fi
mkdir -p "$out"
"$cc" -O2 -fPIC -shared -Wall -Werror -o "$lib" "$src"
# A source's NAME-check.c, if it has one, compares it with the plain CRC32C; a difference fails the build.
check="${src%.c}-check.c"
if [ -f "$check" ]; then
  checker="$(mktemp)"
  trap 'rm -f "$checker"' EXIT
  "$cc" -O2 -Wall -Werror -o "$checker" "$check"
  if ! "$checker"; then
    rm -f "$lib"
    echo "ordo: $(basename "$src") computes wrong checksums: not built" >&2
    exit 1
  fi
fi
