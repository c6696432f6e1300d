#!/usr/bin/env bash
# Makes an ahead-of-time cache for Ordo nodes (JDK 25 on: JEP 483, 514, 515): the classes a node
# loads, linked, and the method profiles of a training run, so a node starts with them instead of
# learning them while it serves (after 150,000 records a node's JIT compilers still took a quarter
# of its CPU). Trains on a fresh local 3-node cluster: a topic of 6 partitions, RECORDS records
# produced and read back, then a clean stop, at which each node writes its cache; node 1's is kept.
#
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 bench/aot-cache.sh [FILE]
#
# FILE defaults to bench/target/ordo-node.aot. A node uses it with ORDO_NODE_AOT_CACHE=FILE
# (bin/ordo-node), on the same JDK and jars as the training run; the JVM ignores a cache that does
# not match them, with a warning.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/bench/target/ordo-node.aot}"
RECORDS="${RECORDS:-300000}"
WORK="$(mktemp -d)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
export ORDO_DATA="$WORK/cluster"
cleanup() {
  "$ROOT/bin/ordo-cluster" down >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# %p: each node writes its own file, named by its process id.
ORDO_NODE_AOT_CACHE= ORDO_NODE_JAVA_OPTS="-Xms256m -Xmx1g -XX:AOTCacheOutput=$WORK/node-%p.aot" \
  "$ROOT/bin/ordo-cluster" up >&2
ordo_topic_ready aot-training 6 300
"$ROOT/bin/ordo" bench produce --topic aot-training --records "$RECORDS" --record-size 1024 --rate 0 --warmup-records 0 >&2
"$ROOT/bin/ordo" bench consume --topic aot-training --records "$RECORDS" >&2
node1="$(cat "$ORDO_DATA/node-1.pid")"
"$ROOT/bin/ordo-cluster" down >&2
cache="$(await_aot_cache "$WORK" node "$node1")" || { echo "aot-cache: node 1 wrote no cache (a JDK before 25?)" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
mv "$cache" "$OUT"
echo "$OUT"
