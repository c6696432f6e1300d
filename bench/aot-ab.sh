#!/usr/bin/env bash
# Nodes with and without the ahead-of-time cache of bench/aot-cache.sh (JDK 25 on), run after run
# in turn, each on a fresh local 3-node cluster of this checkout: a topic of 6 partitions, WARMUP
# records unthrottled, then RECORDS unthrottled; prints each run's records/s and node CPU seconds
# per 100,000 records (from `ordo bench produce`). Trains the cache first unless CACHE names one.
#
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 bench/aot-ab.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}"
WARMUP="${WARMUP:-150000}"
RECORDS="${RECORDS:-300000}"
CACHE="${CACHE:-$ROOT/bench/target/ordo-node.aot}"
WORK="${COMPARE_DIR:-$ROOT/bench/target/aot-ab}"
ORDO_DATA_DIR="$WORK/ordo"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap ordo_down EXIT
mkdir -p "$WORK"
[ -f "$CACHE" ] || "$ROOT/bench/aot-cache.sh" "$CACHE" >/dev/null

run() { # side: plain or aot
  rm -rf "$ORDO_DATA_DIR"
  if [ "$1" = aot ]; then export ORDO_NODE_AOT_CACHE="$CACHE"; else unset ORDO_NODE_AOT_CACHE; fi
  ordo_up 2>/dev/null
  ordo_topic_ready bench 6 300
  "$ROOT/bin/ordo" bench produce --topic bench --records "$WARMUP" --record-size 1024 --rate 0 --warmup-records 0 >/dev/null 2>&1
  local out
  out="$("$ROOT/bin/ordo" bench produce --topic bench --records "$RECORDS" --record-size 1024 --rate 0 --warmup-records 0 2>/dev/null)"
  ordo_down 2>/dev/null
  echo "$1: $(grep -o '[0-9.]* records/s' <<<"$out" | tail -1), $(grep -o '[0-9.]* s per 100,000 records' <<<"$out")"
}

for ((i = 1; i <= RUNS; i++)); do
  run plain
  run aot
done
