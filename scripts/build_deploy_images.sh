#!/usr/bin/env bash
# Builds the base images of the deployment test where they cannot be pulled (tests/deploy/images/README.md):
# a Debian bookworm root file system (debootstrap --variant=minbase, docker import), and on it stand-ins for
# the official Airflow, PostgreSQL and Redis images, TimescaleDB and busybox, tagged with the names
# docker-compose.airflow.yml and the tsdb-ops configuration use.
#   TSDB_SOURCE_TARBALL  the public TimescaleDB source, timescaledb-<version>.tar.gz (required); the image gets the
#                        extension that scripts/build_timescaledb.sh builds from it for Debian's PostgreSQL 15
# An image of such a name that was not built here (no tsdb-ops.stand-in label: pulled) is used as it is. A stand-in
# is rebuilt only when the sha256 of its inputs (its label) changed. Root is needed for debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."

# The names the deployment uses (tests/deploy/test_compose_file.py checks them against the compose file and config).
BASE_IMAGE=tsdb-ops-deploy/debian:bookworm
AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
METADATA_DB_IMAGE=postgres:16
BROKER_IMAGE=redis:7.2-bookworm
BUSYBOX_IMAGE=busybox:1.36
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
LABEL=tsdb-ops.stand-in
IMAGES=tests/deploy/images
PG_LIB=/usr/lib/postgresql/15/lib
PG_SHARE=/usr/share/postgresql/15

# --base-only: only the Debian root file system image (scripts/build_barman_image.sh builds on it; no tarball needed);
# --timescaledb-only: the base and the TimescaleDB stand-in (the point-in-time recovery tests start recovered copies in it)
BASE_ONLY=$([ "${1:-}" = --base-only ] && echo 1 || true)
TSDB_ONLY=$([ "${1:-}" = --timescaledb-only ] && echo 1 || true)
wanted() { [ -z "$TSDB_ONLY" ] || [ "$1" = timescaledb ]; }
tarball=${TSDB_SOURCE_TARBALL:-}
[ -n "$BASE_ONLY" ] || [ -f "$tarball" ] || { echo "TSDB_SOURCE_TARBALL=${tarball}: give the TimescaleDB source tarball (timescaledb-<version>.tar.gz)" >&2; exit 1; }
tsdb_version=$(basename "$tarball" | sed -n 's/^timescaledb-\([0-9][0-9.]*\)\.tar\.gz$/\1/p')
[ -n "$BASE_ONLY" ] || [ -n "$tsdb_version" ] || { echo "TSDB_SOURCE_TARBALL=$tarball: expected a file named timescaledb-<version>.tar.gz" >&2; exit 1; }
TIMESCALEDB_IMAGE=timescale/timescaledb:${tsdb_version}-pg15

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PREFIX="deploy images"
# shellcheck source=scripts/lib/images.sh
source scripts/lib/images.sh

REPLACED_BASE=
build_base() {
  local hash previous
  hash=$(inputs_hash bookworm minbase updates security "$DEBIAN_MIRROR" v2)
  [ -n "$(needs_build "$BASE_IMAGE" "$hash")" ] || return 0
  command -v debootstrap >/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  }
  echo "deploy images: debootstrap bookworm (about a minute)"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
  # with the point-release and security updates, as Debian's own images have (the same PostgreSQL as the host's)
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s-security bookworm-security main\n' \
    "$DEBIAN_MIRROR" "$DEBIAN_MIRROR" "$DEBIAN_MIRROR" > "$work/rootfs/etc/apt/sources.list"
  previous=$(docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }} {{.Id}}" "$BASE_IMAGE" 2>/dev/null || true)
  tar -C "$work/rootfs" -c . | docker import -c "LABEL $LABEL=$hash" -c 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$work/rootfs"
  echo "deploy images: built $BASE_IMAGE"
  REPLACED_BASE=${previous#* }  # removed once no stand-in is built on it any more
  [ -n "${previous%% *}" ] || REPLACED_BASE=
}

build_base
[ -z "$BASE_ONLY" ] || exit 0  # a replaced base stays: the stand-ins built on it still use it
base_hash=$(docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$BASE_IMAGE")

declare -A jobs=()
airflow_hash=$(inputs_hash "$base_hash" "$IMAGES"/airflow/* requirements.lock)
if wanted airflow && [ -n "$(needs_build "$AIRFLOW_IMAGE" "$airflow_hash")" ]; then
  echo "deploy images: building $AIRFLOW_IMAGE (Airflow from the package index, a few minutes)"
  build_image "$AIRFLOW_IMAGE" "$IMAGES/airflow" "$airflow_hash" "$BASE_IMAGE" \
    /etc/ssl/certs/ca-certificates.crt=ca-certificates.crt requirements.lock=requirements.lock &
  jobs[airflow]=$!
fi
tsdb_hash=$(inputs_hash "$base_hash" "$IMAGES"/timescaledb/* "$IMAGES"/postgres/pg-entrypoint.sh "$tarball")
if wanted timescaledb && [ -n "$(needs_build "$TIMESCALEDB_IMAGE" "$tsdb_hash")" ]; then
  # the extension of the tarball's version, built for Debian's PostgreSQL 15 (once; the test suite uses it too)
  TSDB_SOURCE_TARBALL="$tarball" bash scripts/build_timescaledb.sh
  mkdir -p "$work/tsdb/lib" "$work/tsdb/extension"
  cp -p "$PG_LIB"/timescaledb*.so "$work/tsdb/lib/"
  cp -p "$PG_SHARE"/extension/timescaledb* "$work/tsdb/extension/"
  [ -f "$work/tsdb/lib/timescaledb-$tsdb_version.so" ] && [ -f "$work/tsdb/extension/timescaledb--$tsdb_version.sql" ] \
    || { echo "deploy images: TimescaleDB $tsdb_version is not installed in $PG_LIB" >&2; exit 1; }
  build_image "$TIMESCALEDB_IMAGE" "$IMAGES/timescaledb" "$tsdb_hash" "$BASE_IMAGE" "$IMAGES/postgres/pg-entrypoint.sh=pg-entrypoint.sh" \
    "$work/tsdb/lib=timescaledb-lib" "$work/tsdb/extension=timescaledb-extension" &
  jobs[timescaledb]=$!
fi
pg_hash=$(inputs_hash "$base_hash" "$IMAGES"/postgres/*)
if wanted postgres && [ -n "$(needs_build "$METADATA_DB_IMAGE" "$pg_hash")" ]; then
  build_image "$METADATA_DB_IMAGE" "$IMAGES/postgres" "$pg_hash" "$BASE_IMAGE"
fi
redis_hash=$(inputs_hash "$base_hash" "$IMAGES"/redis/*)
if wanted redis && [ -n "$(needs_build "$BROKER_IMAGE" "$redis_hash")" ]; then
  build_image "$BROKER_IMAGE" "$IMAGES/redis" "$redis_hash" "$BASE_IMAGE"
fi
busybox_hash=$(inputs_hash /bin/busybox v1)
if wanted busybox && [ -n "$(needs_build "$BUSYBOX_IMAGE" "$busybox_hash")" ]; then
  # busybox-static alone, as in the busybox image: sh, tar, gzip and the other applets
  mkdir -p "$work/busybox/bin" "$work/busybox/tmp" "$work/busybox/etc"
  chmod 1777 "$work/busybox/tmp"
  cp /bin/busybox "$work/busybox/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$work/busybox/bin/$applet" ] || ln -s busybox "$work/busybox/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$work/busybox/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$work/busybox/etc/group"
  tar -C "$work/busybox" -c . | docker import -c "LABEL $LABEL=$busybox_hash" -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - \
    "$BUSYBOX_IMAGE" >/dev/null
  echo "deploy images: built $BUSYBOX_IMAGE"
fi

failed=0
for name in "${!jobs[@]}"; do
  wait "${jobs[$name]}" || failed=1
done
[ "$failed" = 0 ] || exit 1
if [ -n "$REPLACED_BASE" ]; then
  docker image rm "$REPLACED_BASE" >/dev/null 2>&1 || true
fi
echo "deploy images: ready ($AIRFLOW_IMAGE, $METADATA_DB_IMAGE, $BROKER_IMAGE, $TIMESCALEDB_IMAGE, $BUSYBOX_IMAGE)"
