#!/usr/bin/env bash
# One-command bring-up of docker-compose.airflow.yml: checks what the file needs, builds the image once, starts
# every service and waits until each is healthy (airflow-init: completed).
#   scripts/deploy_up.sh [more `docker compose up` arguments, e.g. --scale airflow-worker=2]
# Reads .env (cp .env.example .env). DOCKER_GID left empty there is filled in with the group of the Docker
# socket. COMPOSE_PROJECT_NAME names the project (default: this directory's name); DEPLOY_WAIT_TIMEOUT is the
# health wait in seconds (default 600).
set -euo pipefail
cd "$(dirname "$0")/.."

COMPOSE_MIN_VERSION=2.24.1
SOCKET=/var/run/docker.sock
compose=(docker compose -f docker-compose.airflow.yml)

fail() { echo "deploy: $*" >&2; exit 1; }

version=$(docker compose version --short 2>/dev/null) \
  || fail "no Docker Compose v2 (\`docker compose version\`): install the compose plugin $COMPOSE_MIN_VERSION or newer (the Python docker-compose 1.x cannot read the file)"
version=${version#v}
[ "$(printf '%s\n%s\n' "$COMPOSE_MIN_VERSION" "$version" | sort -V | head -n 1)" = "$COMPOSE_MIN_VERSION" ] \
  || fail "Docker Compose $version is too old: docker-compose.airflow.yml needs $COMPOSE_MIN_VERSION or newer"
[ -f .env ] || fail "no .env: cp .env.example .env and fill it in"

[ -S "$SOCKET" ] || fail "no Docker socket at $SOCKET: the workers' Docker tasks need it"
socket_gid=$(stat -c %g "$SOCKET")
configured_gid=${DOCKER_GID:-$(sed -n 's/^DOCKER_GID=//p' .env | tail -n 1)}
if [ -z "$configured_gid" ]; then
  if grep -q '^DOCKER_GID=' .env; then
    sed -i "s/^DOCKER_GID=.*/DOCKER_GID=$socket_gid/" .env
  else
    echo "DOCKER_GID=$socket_gid" >> .env
  fi
  echo "deploy: DOCKER_GID=$socket_gid (group of $SOCKET) written to .env"
elif [ "$configured_gid" != "$socket_gid" ]; then
  fail "DOCKER_GID=$configured_gid, but $SOCKET belongs to group $socket_gid: set DOCKER_GID=$socket_gid in .env"
fi

"${compose[@]}" build
"${compose[@]}" up -d --wait --wait-timeout "${DEPLOY_WAIT_TIMEOUT:-600}" "$@"
"${compose[@]}" ps
