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
hash=$({ sha256sum < deploy/barman/Dockerfile; sha256sum < deploy/barman/barman-service; sha256sum < "$CA_BUNDLE"
         docker image inspect -f '{{.Id}}' "$base"; } | sha256sum | cut -c1-16)
if docker image inspect "$BARMAN_IMAGE" >/dev/null 2>&1; then
  found=$(docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$BARMAN_IMAGE")
  [ "$found" != "$hash" ] || exit 0
  if [ -z "$found" ]; then
    echo "barman image: $BARMAN_IMAGE exists and was not built here: using it"
    exit 0
  fi
fi
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp -p deploy/barman/Dockerfile deploy/barman/barman-service "$context/"
cp "$CA_BUNDLE" "$context/ca-certificates.crt"
echo "barman image: building $BARMAN_IMAGE on $base (Barman from the package index, about a minute)"
if ! docker build --network host --build-arg BASE_IMAGE="$base" --label "$LABEL=$hash" -t "$BARMAN_IMAGE" "$context" \
    >"$context/build.log" 2>&1; then
  echo "barman image: building $BARMAN_IMAGE failed:" >&2
  tail -n 40 "$context/build.log" >&2
  exit 1
fi
echo "barman image: built $BARMAN_IMAGE"
