"""The database side of a backup: connecting with the Airflow connection, server facts, row counts per table.

The counts recorded in the manifest are taken in the snapshot that pg_dump dumps (``--snapshot``), so the test
restore can demand exact equality although the market-data feed keeps writing during the dump.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from tsdb_ops.backup.manifest import HypertableStats
from tsdb_ops.config import OpsConfig
from tsdb_ops.paths import read_sql


@dataclass(frozen=True)
class DatabaseLogin:
    """Who and what pg_dump connects to; the password travels only as a private container environment value."""

    user: str
    password: str
    dbname: str
    host: str
    port: int
    sslmode: str | None = None     # the connection's extra "sslmode", passed on to libpq (and PGSSLMODE in containers)

    def connect(self, dbname: str | None = None, **kwargs: Any) -> psycopg.Connection:
        if self.sslmode:
            kwargs.setdefault("sslmode", self.sslmode)
        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=dbname or self.dbname,
            application_name="tsdb_ops_backup", connect_timeout=15, **kwargs,
        )


def database_login(conn_id: str) -> DatabaseLogin:
    """Login of the Airflow connection ``conn_id``, with a clear error when it is missing or incomplete."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        raise RuntimeError(f"Airflow connection {conn_id!r} (postgres_conn_id) does not exist; create it") from None
    if not conn.login or not conn.schema or not conn.host:
        raise RuntimeError(f"Airflow connection {conn_id!r} needs a host, a login and a schema (the database name)")
    sslmode = (conn.extra_dejson or {}).get("sslmode")
    return DatabaseLogin(conn.login, conn.password or "", conn.schema, conn.host, conn.port or 5432, sslmode)


@dataclass(frozen=True)
class DatabaseFacts:
    server_version: str
    timescaledb_version: str | None
    database_bytes: int


def database_facts(conn: psycopg.Connection) -> DatabaseFacts:
    row = conn.execute(read_sql("backup/database_facts.sql")).fetchone()
    return DatabaseFacts(row[0], row[1], int(row[2]))


def export_snapshot(conn: psycopg.Connection) -> str:
    """Start a REPEATABLE READ transaction on ``conn`` (not autocommit) and export its snapshot for pg_dump."""
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn.execute(read_sql("backup/export_snapshot.sql")).fetchone()[0]


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    return str(value)


def tables_to_count(conn: psycopg.Connection, config: OpsConfig, timescaledb: bool) -> list[tuple[str, str, str]]:
    """(schema, table, time column) of every hypertable, plus the configured market-data table when it is a
    plain table (plain PostgreSQL, or not converted yet)."""
    tables: list[tuple[str, str, str]] = []
    if timescaledb:
        tables = [tuple(row) for row in conn.execute(read_sql("backup/hypertable_time_columns.sql")).fetchall()]
    row = conn.execute(
        read_sql("backup/resolve_table.sql"), {"table": config.hypertable, "time_column": config.time_column}
    ).fetchone()
    if row and row[2] and (row[0], row[1]) not in {(s, t) for s, t, _ in tables}:
        tables.append(tuple(row))
    return sorted(tables)


def table_stats(conn: psycopg.Connection, tables: list[tuple[str, str, str]]) -> list[HypertableStats]:
    """Row count and min/max time of each table (times as ISO 8601 in UTC)."""
    template = sql.SQL(read_sql("backup/table_time_stats.sql"))
    stats = []
    for schema, table, column in tables:
        query = template.format(table=sql.Identifier(schema, table), time_column=sql.Identifier(column))
        rows, min_time, max_time = conn.execute(query).fetchone()
        stats.append(HypertableStats(f"{schema}.{table}", int(rows), _iso(min_time), _iso(max_time)))
    return stats
