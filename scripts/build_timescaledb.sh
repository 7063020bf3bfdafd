#!/usr/bin/env bash
# Builds and installs native TimescaleDB into Debian's PostgreSQL 15 from a source tarball, once.
#   TSDB_SOURCE_TARBALL  the public TimescaleDB source (timescaledb-<version>.tar.gz); unset: nothing to do
# Skipped when the installed extension already has the tarball's version. About 4 minutes on 2 cores.
set -euo pipefail

tarball=${TSDB_SOURCE_TARBALL:-}
[ -n "$tarball" ] || exit 0
[ -f "$tarball" ] || { echo "TSDB_SOURCE_TARBALL=$tarball: no such file (give the timescaledb-<version>.tar.gz source)" >&2; exit 1; }

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
version=$(basename "$tarball" | sed -n 's/^timescaledb-\([0-9][0-9.]*\)\.tar\.gz$/\1/p')
[ -n "$version" ] || { echo "TSDB_SOURCE_TARBALL=$tarball: expected a file named timescaledb-<version>.tar.gz" >&2; exit 1; }
extdir="$("$PG_CONFIG" --sharedir)/extension"
if [ -f "$extdir/timescaledb--$version.sql" ] && [ -f "$("$PG_CONFIG" --pkglibdir)/timescaledb-$version.so" ]; then
  exit 0
fi

need_apt=()
[ -x "$PG_CONFIG" ] && [ -f "$("$PG_CONFIG" --includedir-server)/postgres.h" ] || need_apt+=(postgresql-server-dev-15)
command -v cmake >/dev/null || need_apt+=(cmake)
command -v cc >/dev/null && command -v make >/dev/null || need_apt+=(build-essential)
[ -f /usr/include/openssl/ssl.h ] || need_apt+=(libssl-dev)
[ -f /usr/include/krb5.h ] || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "setup: building TimescaleDB $version for PostgreSQL $("$PG_CONFIG" --version | awk '{print $2}') (a few minutes, once)"
tar -xzf "$tarball" -C "$work"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
(
  cd "$src"
  ./bootstrap -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF -DPG_CONFIG="$PG_CONFIG" >"$work/bootstrap.log" 2>&1 \
    || { tail -n 30 "$work/bootstrap.log" >&2; exit 1; }
  make -C build -j"$(nproc)" install >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; exit 1; }
)
[ -f "$extdir/timescaledb--$version.sql" ] || { echo "TimescaleDB $version did not install into $extdir" >&2; exit 1; }
echo "setup: TimescaleDB $version installed"
