#!/usr/bin/env bash
# Entrypoint of the stand-in PostgreSQL images: on an empty data directory, what the official postgres image does
# (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, scram-sha-256 over the network); TimescaleDB, where installed,
# is preloaded and created in POSTGRES_DB as in the official timescaledb image. Then the server runs as postgres.
set -euo pipefail
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

if [ "${1:-postgres}" != postgres ]; then
  exec "$@"
fi
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "${POSTGRES_PASSWORD:-}" ] || { echo "ERROR: POSTGRES_PASSWORD is not set" >&2; exit 1; }
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null
  rm -f "$pwfile"
  printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
  printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  timescaledb=$(ls /usr/lib/postgresql/*/lib/timescaledb.so 2>/dev/null || true)
  if [ -n "$timescaledb" ]; then
    printf "shared_preload_libraries = 'timescaledb'\ntimescaledb.telemetry_level = off\n" >> "$PGDATA/postgresql.conf"
  fi
  pg_ctl -w -o "-c listen_addresses=''" start >/dev/null
  if [ "$db" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres -c "CREATE DATABASE \"$db\"" >/dev/null
  fi
  if [ -n "$timescaledb" ]; then
    psql -v ON_ERROR_STOP=1 --username="$user" --dbname="$db" -c "CREATE EXTENSION IF NOT EXISTS timescaledb" >/dev/null
  fi
  pg_ctl -w -m fast stop >/dev/null
  echo "initialised $PGDATA (user $user, database $db${timescaledb:+, timescaledb})"
fi
exec postgres "${@:2}"
