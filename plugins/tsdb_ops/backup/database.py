"""The database side of a backup: server facts, counts per table, jobs, read in a session of ``db.db_session``.

The counts and jobs recorded in the manifest are taken in the snapshot that pg_dump dumps (``--snapshot``), so the
test restore can demand exact equality although the market-data feed keeps writing during the dump.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from tsdb_ops.backup.manifest import HypertableStats, JobRecord
from tsdb_ops.config import OpsConfig
from tsdb_ops.files import read_sql
from tsdb_ops.timescale.table import TableError, resolve_table


@dataclass(frozen=True)
class DatabaseFacts:
    server_version: str
    timescaledb_version: str | None
    database_bytes: int


DATABASE_FACTS_SQL = "backup/database_facts.sql"  # also the nightly pre-flight's SQL step


def database_facts(conn: psycopg.Connection) -> DatabaseFacts:
    row = conn.execute(read_sql(DATABASE_FACTS_SQL)).fetchone()
    return DatabaseFacts(row[0], row[1], int(row[2]))


def export_snapshot(conn: psycopg.Connection) -> str:
    """Start a REPEATABLE READ transaction on ``conn`` (autocommit off; the caller ends it) and export its snapshot
    for pg_dump."""
    conn.autocommit = False
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
    try:
        table = resolve_table(conn, config.hypertable, require_hypertable=False, default_time_column=config.time_column)
    except TableError:
        return sorted(tables)  # no market-data table (yet): only the hypertables are counted
    if table.time_column and (table.schema, table.name) not in {(s, t) for s, t, _ in tables}:
        tables.append((table.schema, table.name, table.time_column))
    return sorted(tables)


def table_stats(conn: psycopg.Connection, config: OpsConfig, timescaledb: bool) -> list[HypertableStats]:
    """Row count and min/max time (ISO 8601 in UTC) of each table to count; chunk and compressed-chunk counts of
    each hypertable, which tell a restore that lost chunks or their compression from one that kept them."""
    template = sql.SQL(read_sql("backup/table_time_stats.sql"))
    chunks: dict[str, tuple[int, int]] = {}
    if timescaledb:
        chunks = {f"{s}.{t}": (int(n), int(c)) for s, t, n, c in conn.execute(read_sql("backup/hypertable_chunk_counts.sql"))}
    stats = []
    for schema, table, column in tables_to_count(conn, config, timescaledb):
        query = template.format(table=sql.Identifier(schema, table), time_column=sql.Identifier(column))
        rows, min_time, max_time = conn.execute(query).fetchone()
        name = f"{schema}.{table}"
        chunk_count, compressed = chunks.get(name, (None, None))
        stats.append(HypertableStats(name, int(rows), _iso(min_time), _iso(max_time), chunk_count, compressed))
    return stats


def job_records(conn: psycopg.Connection) -> list[JobRecord]:
    """The TimescaleDB jobs a dump of this database carries, as they are now (in the caller's snapshot).

    ``next_start`` can be ``-infinity`` (a job altered before it ever ran) or ``infinity``: psycopg cannot load
    those into a datetime, so the query hands them over as text.
    """
    return [
        JobRecord(int(job_id), proc, hypertable, bool(scheduled), _iso(next_start) if next_start else infinite)
        for job_id, proc, hypertable, scheduled, _interval, next_start, infinite, _runs
        in conn.execute(read_sql("backup/dumped_jobs.sql")).fetchall()
    ]


def base_backup_refusal(conn: psycopg.Connection) -> str | None:
    """Why the physical base backup cannot be taken with this connection's role, with the fix; None when it can."""
    role, can_replicate, tablespaces = conn.execute(read_sql("backup/base_backup_preconditions.sql")).fetchone()
    quoted = sql.Identifier(role).as_string(conn)
    if not can_replicate:
        return (f"role {role} has no REPLICATION attribute, which pg_basebackup needs: run ALTER ROLE {quoted} "
                "REPLICATION as a superuser (pg_hba.conf must also allow its replication connections), or set "
                "physical_backup_enabled=false")
    if tablespaces:
        return (f"the cluster has user tablespaces {tablespaces}: the base backup's verification unpacks only the "
                "default tablespace; set physical_backup_enabled=false")
    return None
