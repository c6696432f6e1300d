#!/bin/sh
# Runs ordo-node with options from the environment: the node reads every option --some-option
# not given as a flag from ORDO_SOME_OPTION (ORDO_NODE_ID, ORDO_CLIENT_ADDR, ORDO_RAFT_ADDR,
# ORDO_INITIAL_CLUSTER, ...; `docker run --rm IMAGE --help` lists them). Arguments are passed on
# as flags. ORDO_DATA_DIR defaults to the image's volume, JAVA_OPTS to a 1 GB heap given back
# when idle (bin/ordo-env.sh says why). ORDO_NODE_ID may be derived from a StatefulSet pod name
# (ordo-0 -> 1) with ORDO_NODE_ID_FROM_HOSTNAME=true.
set -eu
if [ "${ORDO_NODE_ID_FROM_HOSTNAME:-false}" = true ]; then
  ORDO_NODE_ID=$(( ${HOSTNAME##*-} + 1 ))
  export ORDO_NODE_ID
fi
export ORDO_DATA_DIR="${ORDO_DATA_DIR:-/var/lib/ordo}"
# HotSpot's thread suspend signal away from jraft's SIGUSR2 handler (see bin/ordo-env.sh).
export _JAVA_SR_SIGNUM="${_JAVA_SR_SIGNUM:-39}"
# RocksDB's CRC32C on SSE4.2 (deploy/native), when the image has it, before any preload given.
crc32c=/opt/ordo/lib/libordo-rocksdb-crc32c.so
if [ -f "$crc32c" ]; then
  export LD_PRELOAD="$crc32c${LD_PRELOAD:+ $LD_PRELOAD}"
fi
set -- java ${JAVA_OPTS:--Xms256m -Xmx1g -XX:G1HeapRegionSize=4m -XX:G1PeriodicGCInterval=15000 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:-ClassUnloadingWithConcurrentMark -XX:MetaspaceSize=128m} -cp '/opt/ordo/lib/*' io.ordo.node.OrdoNodeMain "$@"
if command -v tini >/dev/null 2>&1 && [ "$$" = 1 ]; then
  exec tini -- "$@"
fi
exec "$@"
