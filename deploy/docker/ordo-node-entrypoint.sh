#!/bin/sh
# Runs ordo-node with options from the environment (ORDO_NODE_ID, ORDO_CLIENT_ADDR,
# ORDO_RAFT_ADDR, ORDO_INITIAL_CLUSTER, ...; see `ordo-node --help`). ORDO_NODE_ID may be
# derived from a StatefulSet pod name (ordo-0 -> 1) with ORDO_NODE_ID_FROM_HOSTNAME=true.
set -eu
if [ "${ORDO_NODE_ID_FROM_HOSTNAME:-false}" = true ]; then
  ORDO_NODE_ID=$(( ${HOSTNAME##*-} + 1 ))
  export ORDO_NODE_ID
fi
export ORDO_DATA_DIR="${ORDO_DATA_DIR:-/var/lib/ordo}"
set -- java ${JAVA_OPTS:--Xms256m -Xmx1g} -cp '/opt/ordo/lib/*' io.ordo.node.OrdoNodeMain "$@"
if command -v tini >/dev/null 2>&1 && [ "$$" = 1 ]; then
  exec tini -- "$@"
fi
exec "$@"
