# Sourced by the bin/ scripts: where Ordo's jars are, and building them on first use.
ORDO_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ORDO_LIB="$ORDO_HOME/deploy/target/ordo/lib"
ORDO_JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# jraft takes SIGUSR2 for a Java handler that dumps node state into the working directory, but
# SIGUSR2 is also HotSpot's thread suspend signal: JFR and other profilers would then sample
# nothing and litter files at every sample. This moves HotSpot's signal to a free one.
export _JAVA_SR_SIGNUM="${_JAVA_SR_SIGNUM:-39}"

# RocksDB's CRC32C on SSE4.2 (deploy/native), preloaded into nodes when it was built: what a
# node's LD_PRELOAD should be (the caller's, if any, kept after it).
ordo_node_preload() {
  local crc32c="$ORDO_LIB/libordo-rocksdb-crc32c.so"
  if [ -f "$crc32c" ]; then
    echo "$crc32c${LD_PRELOAD:+ $LD_PRELOAD}"
  else
    echo "${LD_PRELOAD:-}"
  fi
}

# A node's heap by default: up to 1 GB, and given back once idle. G1 keeps the heap a load grew
# (1,000 partitions, 200,000 records: 1,273 MB RSS per node after, 1,277 two minutes later); a
# concurrent cycle every 15 s that saw no collection, after which at most 30% of the heap stays
# free, brought it from 1,211 to 784 MB in two minutes (beside each other; no cost unthrottled).
# Regions of 4 MB, not the 1 MB G1 picks for this heap: an object of half a region or more is
# "humongous", allocated in the old generation, and a node's Raft entries, replication requests and
# stored batches (up to 4 MiB) mostly were; unthrottled, GC time fell from 16-21 s to 9-10 s per 4M
# records on three nodes, concurrent cycles from 6 s to 1.3 s, and no full collections remained.
# No class unloading in G1's remark pause: in that small heap G1 runs a concurrent cycle every few
# seconds under load, and unloading (walking the JIT's compiled code) took 30 of a remark's 34 ms;
# paced at 16,776 records/s the nodes' remarks took 10-113 ms each, every 6 s, without it 2-5 ms.
# A node loads a fixed set of classes; a full collection still unloads any that die. Without
# unloading in concurrent cycles, metaspace past its threshold sets off a full collection instead:
# two at each start (33-232 ms), as metaspace grew to its 44 MB; a threshold of 128 MB leaves none.
ORDO_NODE_HEAP_OPTS="-Xms256m -Xmx1g -XX:G1HeapRegionSize=4m -XX:G1PeriodicGCInterval=15000 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:-ClassUnloadingWithConcurrentMark -XX:MetaspaceSize=128m"

# A node JVM's options: ORDO_NODE_JAVA_OPTS (default ORDO_NODE_HEAP_OPTS), and if ORDO_NODE_AOT_CACHE
# names a file, the ahead-of-time cache bench/aot-cache.sh made (JDK 25 on) to start from.
ordo_node_java_opts() {
  local opts="${ORDO_NODE_JAVA_OPTS:-$ORDO_NODE_HEAP_OPTS}"
  if [ -n "${ORDO_NODE_AOT_CACHE:-}" ] && [ -f "$ORDO_NODE_AOT_CACHE" ]; then
    opts="$opts -XX:AOTCache=$ORDO_NODE_AOT_CACHE"
  fi
  echo "$opts"
}

ordo_build() {
  echo "ordo: building (mvn -DskipTests install; the first build downloads dependencies)..." >&2
  (cd "$ORDO_HOME" && mvn -B -q -DskipTests install >&2)
}

ordo_ensure_built() {
  if ! ls "$ORDO_LIB"/ordo-node-*.jar >/dev/null 2>&1 || ! ls "$ORDO_LIB"/ordo-cli-*.jar >/dev/null 2>&1; then
    ordo_build
  fi
}
