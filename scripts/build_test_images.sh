#!/usr/bin/env bash
# Builds the test images locally (Docker Hub is not reachable): `docker import` of small root filesystems
# made from Debian's packages. busybox-static gives sh/tar/gzip; the PostgreSQL 15 client tools are copied
# with the shared libraries they load.
#   tsdb-ops-test/busybox:latest     stands in for busybox:1.36
#   tsdb-ops-test/pg-client:15       stands in for the TimescaleDB image's pg_dump/pg_restore/psql, and its
#                                    pg_basebackup/pg_verifybackup/pg_waldump for the physical base backup
# An image is rebuilt when it is missing or REBUILD=1; the client image also when its list of tools changed (label).
set -euo pipefail

BUSYBOX_IMAGE=${BUSYBOX_IMAGE:-tsdb-ops-test/busybox:latest}
PG_CLIENT_IMAGE=${PG_CLIENT_IMAGE:-tsdb-ops-test/pg-client:15}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CLIENT_TOOLS=(pg_dump pg_restore psql pg_dumpall createdb dropdb pg_isready pg_basebackup pg_verifybackup pg_waldump)
LABEL=tsdb-ops.test-image
PG_CLIENT_HASH=$(printf '%s\n' "$PG_BIN" "${PG_CLIENT_TOOLS[@]}" | sha256sum | cut -c1-16)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

base_rootfs() {  # $1: target dir
  mkdir -p "$1"/{bin,etc,tmp,usr/bin,lib,lib64,dev,proc,sys,root}
  chmod 1777 "$1/tmp"
  cp /bin/busybox "$1/bin/busybox"
  for applet in $("$1/bin/busybox" --list); do
    [ -e "$1/bin/$applet" ] || ln -s busybox "$1/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\npostgres:x:999:999:postgres:/tmp:/bin/sh\n' > "$1/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\npostgres:x:999:\n' > "$1/etc/group"
}

copy_with_libs() {  # $1: rootfs, rest: binaries
  local root=$1; shift
  for bin in "$@"; do
    cp -L "$bin" "$root/usr/bin/$(basename "$bin")"
    ldd "$bin" | awk '/=>/ {print $3} /^\t\/lib/ {print $1}' | while read -r lib; do
      [ -n "$lib" ] && [ -f "$lib" ] || continue
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  done
}

if ! docker image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1 || [ "${REBUILD:-0}" = 1 ]; then
  base_rootfs "$work/busybox"
  tar -C "$work/busybox" -c . | docker import -c 'CMD ["sh"]' - "$BUSYBOX_IMAGE" >/dev/null
  echo "built $BUSYBOX_IMAGE"
fi

built_hash=$(docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$PG_CLIENT_IMAGE" 2>/dev/null || true)
if [ "$built_hash" != "$PG_CLIENT_HASH" ] || [ "${REBUILD:-0}" = 1 ]; then
  base_rootfs "$work/pg"
  copy_with_libs "$work/pg" "${PG_CLIENT_TOOLS[@]/#/$PG_BIN/}"
  # libpq reads these at run time
  mkdir -p "$work/pg/usr/share/postgresql-common" "$work/pg/etc/ssl/certs"
  [ -d /usr/lib/x86_64-linux-gnu/gconv ] && mkdir -p "$work/pg/usr/lib/x86_64-linux-gnu" || true
  tar -C "$work/pg" -c . | docker import -c "LABEL $LABEL=$PG_CLIENT_HASH" -c 'ENV PATH=/usr/bin:/bin' \
    -c 'CMD ["sh"]' - "$PG_CLIENT_IMAGE" >/dev/null
  echo "built $PG_CLIENT_IMAGE"
fi
