#!/usr/bin/env bash
# Builds a local base image for deploy/docker/Dockerfile without any registry: a Debian bookworm
# rootfs from debootstrap with a JRE, tini, and the network tools and libfaketime (clock skew) the
# fault tests use, imported
# with `docker import`. Usage: build-base-image.sh [IMAGE_NAME]   (default ordo-base:bookworm-2)
# Needs root (debootstrap) and a running Docker engine. The Debian mirror is taken from this
# machine's apt sources (one-line *.list or deb822 *.sources), since on a closed network that is
# the only one reachable; ORDO_DEBIAN_MIRROR overrides it.
set -euo pipefail
image="${1:-ordo-base:bookworm-2}"
suite=bookworm
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image already exists"
  exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
fi

# Prints the URI of the first enabled apt source that serves $suite itself (not -updates or
# -security). Only files apt reads count: sources.list, sources.list.d/*.list and *.sources.
apt_mirror() {
  local files=()
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || return 0
  awk -v suite="$suite" '
    function flush() {
      if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " suite " ")) {
        split(uris, u, " "); if (u[1] != "") { print u[1]; found = 1; exit }
      }
      types = ""; uris = ""; suites = ""; enabled = ""
    }
    FNR == 1 { flush() }
    /^[ \t]*#/ { next }
    # one-line format: deb [options] URI SUITE COMPONENTS...
    /^deb[ \t]/ {
      line = $0; sub(/\[[^]]*\]/, "", line); n = split(line, w, /[ \t]+/)
      if (n >= 3 && w[3] == suite) { print w[2]; found = 1; exit }
      next
    }
    # deb822 format: stanzas separated by blank lines
    /^[ \t]*$/ { flush(); next }
    tolower($1) == "types:"   { $1 = ""; types = $0 }
    tolower($1) == "uris:"    { $1 = ""; uris = $0 }
    tolower($1) == "suites:"  { $1 = ""; suites = $0 }
    tolower($1) == "enabled:" { enabled = tolower($2) }
    END { if (!found) flush() }
  ' "${files[@]}"
}
mirror="${ORDO_DEBIAN_MIRROR:-$(apt_mirror)}"
mirror="${mirror:-http://deb.debian.org/debian}"
echo "building $image from $suite at $mirror"

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase \
  --include=openjdk-17-jre-headless,tini,iptables,iproute2,procps,libfaketime \
  "$suite" "$rootfs" "$mirror"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENV LANG=C.UTF-8' \
  -m "debootstrap $suite from $mirror" \
  - "$image"
echo "built $image"
