#!/usr/bin/env bash
# Builds libordo-rocksdb-crc32c.so (see rocksdb-crc32c.c) into the distribution's lib directory,
# beside the jars (the JVM's lib/* class path takes only jars). Run by the deploy module's build.
# Without a C compiler, or off Linux on x86-64, it builds nothing and says so: the node then runs
# on RocksDB's software CRC32C, correct but slower.
#   build.sh OUTPUT_DIR
set -euo pipefail
out="$1"
src="$(dirname "${BASH_SOURCE[0]}")/rocksdb-crc32c.c"
lib="$out/libordo-rocksdb-crc32c.so"
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
