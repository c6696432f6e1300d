#!/usr/bin/env bash
# Builds a local base image for deploy/docker/Dockerfile without any registry: a Debian bookworm
# rootfs from debootstrap with a JRE, tini and the network tools the fault tests use, imported
# with `docker import`. Usage: build-base-image.sh [IMAGE_NAME]   (default ordo-base:bookworm)
set -euo pipefail
image="${1:-ordo-base:bookworm}"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image already exists"
  exit 0
fi
command -v debootstrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq debootstrap; }
# The machine's own Debian mirror: the only one reachable on closed networks.
mirror="$(grep -rhoE '^(deb|URIs:) *(\[[^]]*\] *)?https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | grep -v security | head -1 | grep -oE 'https?://[^ ]+')"
mirror="${mirror:-http://deb.debian.org/debian}"
rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase \
  --include=openjdk-17-jre-headless,tini,iptables,iproute2,procps \
  bookworm "$rootfs" "$mirror"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$image"
echo "built $image"
