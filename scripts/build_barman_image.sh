#!/usr/bin/env bash
# Builds the Barman image of the point-in-time recovery (deploy/barman/) under the name the configuration uses
# (`barman_image`), on debian:bookworm-slim where it can be pulled, else on the locally built Debian root file system
# (scripts/build_deploy_images.sh --base-only: debootstrap, once). Rebuilt only when its inputs change (the sha256
# of the Dockerfile, the service script, the base image and the CA bundle, kept as the image's label); an image of
# that name built elsewhere (no label) is used as it is.
#   BARMAN_IMAGE  the tag to build (default: the configuration's default barman_image)
set -euo pipefail
cd "$(dirname "$0")/.."

BARMAN_IMAGE=${BARMAN_IMAGE:-$(sed -n 's/^ *barman_image: str = _setting("\([^"]*\)".*/\1/p' plugins/tsdb_ops/config.py)}
[ -n "$BARMAN_IMAGE" ] || { echo "barman image: no barman_image default found in plugins/tsdb_ops/config.py" >&2; exit 1; }
LABEL=tsdb-ops.inputs
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

if docker image inspect debian:bookworm-slim >/dev/null 2>&1 || docker pull -q debian:bookworm-slim >/dev/null 2>&1; then
  base=debian:bookworm-slim
else
  base=tsdb-ops-deploy/debian:bookworm
  docker image inspect "$base" >/dev/null 2>&1 || bash scripts/build_deploy_images.sh --base-only
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PREFIX="barman image"
# shellcheck source=scripts/lib/images.sh
source scripts/lib/images.sh
hash=$(inputs_hash deploy/barman/Dockerfile deploy/barman/barman-service "$CA_BUNDLE" "$(docker image inspect -f '{{.Id}}' "$base")")
[ -n "$(needs_build "$BARMAN_IMAGE" "$hash")" ] || exit 0
echo "barman image: building $BARMAN_IMAGE on $base (Barman from the package index, about a minute)"
build_image "$BARMAN_IMAGE" deploy/barman "$hash" "$base" "$CA_BUNDLE=ca-certificates.crt"
