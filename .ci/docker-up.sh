#!/usr/bin/env bash
# Makes a Docker engine ready for the Docker tests of tests-integration (DockerCluster's fault
# injection, ComposeClusterTest's run of deploy/docker-compose.yml) on a Debian machine: installs
# docker.io, iptables, debootstrap and (unless `docker compose` works) docker-compose if missing,
# starts dockerd if no engine answers, and builds the offline base image ordo-base:bookworm-2 if it
# is missing. The node images themselves are built by the tests, from the jars of the same Maven
# run. Idempotent; runs as root or through sudo. Usage: bash .ci/docker-up.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

need_apt=()
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io) # a docker client alone is not enough
command -v iptables >/dev/null 2>&1 || need_apt+=(iptables)
command -v debootstrap >/dev/null 2>&1 || need_apt+=(debootstrap)
# Compose v2 is a docker CLI plugin from GitHub; Debian packages v1 (1.29), which the file also suits.
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
  need_apt+=(docker-compose)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "ci: installing ${need_apt[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

if ! docker info >/dev/null 2>&1; then
  dockerd_log="${ORDO_DOCKERD_LOG:-/tmp/ordo-dockerd.log}"
  echo "ci: starting dockerd, log in $dockerd_log"
  # No systemd on CI machines: run it in the background, detached from this script.
  as_root sh -c "nohup dockerd >>'$dockerd_log' 2>&1 </dev/null &"
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! docker info >/dev/null 2>&1; then
    echo "ci: dockerd did not answer within 60 s; the end of its log:" >&2
    tail -n 40 "$dockerd_log" >&2 || true
    exit 1
  fi
fi
docker version --format 'ci: docker engine {{.Server.Version}} (API {{.Server.APIVersion}})'

as_root bash deploy/docker/build-base-image.sh ordo-base:bookworm-2
