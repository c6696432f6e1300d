#!/usr/bin/env bash
# make-certs.sh DIR NAME...: a throwaway certificate authority and one node certificate valid for
# every NAME (host names, or IP addresses), for trying a secured cluster: DIR/ca.pem (what clients
# trust: ORDO_TLS_CA), DIR/node.pem and DIR/node.key (every node's --tls-cert and --tls-key), and
# an administrator's client certificate, DIR/admin.pem and DIR/admin.key (subject CN=ordo-admin:
# the principal User:CN=ordo-admin, for --super-users).
# Anyone holding DIR/ca.key can issue certificates the cluster trusts: for production, use your
# own authority. Needs openssl. Keys are EC P-256, PKCS#8 ("BEGIN PRIVATE KEY"), mode 600.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: make-certs.sh DIR NAME..." >&2; exit 2; }
command -v openssl >/dev/null || { echo "make-certs.sh: needs openssl (apt install openssl)" >&2; exit 1; }
dir="$1"; shift
sans=""
for name in "$@"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then sans+="${sans:+,}IP:$name"; else sans+="${sans:+,}DNS:$name"; fi
done
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -sha256 -days 30 -subj "/CN=ordo-throwaway-ca" -out ca.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out node.key 2>/dev/null
openssl req -new -key node.key -subj "/CN=ordo-node" -out node.csr
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$sans" > node.ext
openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 -extfile node.ext \
  -out node.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out admin.key 2>/dev/null
openssl req -new -key admin.key -subj "/CN=ordo-admin" -out admin.csr
printf 'basicConstraints=CA:FALSE\n' > admin.ext
openssl x509 -req -in admin.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 -extfile admin.ext \
  -out admin.pem 2>/dev/null
rm -f node.csr node.ext admin.csr admin.ext ca.srl
chmod 600 ca.key node.key admin.key
chmod 644 ca.pem node.pem admin.pem
