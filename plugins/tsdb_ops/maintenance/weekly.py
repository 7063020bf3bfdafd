"""Weekly maintenance steps (guide: Weekly Tasks): drop old chunks, compress old chunks, chunk statistics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg

from tsdb_ops.config import OpsConfig
from tsdb_ops.maintenance.chunk_plan import compress_planned_chunks
from tsdb_ops.timescale.chunks import (
    Chunk,
    analyze_chunk,
    drop_chunks_older_than,
    list_chunks,
)
from tsdb_ops.timescale.table import Table


def drop_old_chunks(conn: psycopg.Connection, hypertable: Table, config: OpsConfig,
                    progress: Callable[[str], None]) -> list[str]:
    """Drop chunks older than ``drop_chunks_older_than_days``. With a shorter retention policy this is a no-op."""
    progress(f"Dropping chunks of {hypertable} older than {config.drop_chunks_older_than_days} days...")
    dropped = drop_chunks_older_than(conn, hypertable, config.drop_chunks_older_than_days,
                                     lock_timeout_ms=config.lock_timeout_ms, statement_timeout_ms=config.statement_timeout_ms)
    progress(f"Dropped {len(dropped)} chunks" + (f": {', '.join(dropped)}" if dropped else ""))
    return dropped


def compress_old_chunks(conn: psycopg.Connection, hypertable: Table, config: OpsConfig,
                        progress: Callable[[str], None]) -> dict[str, Any]:
    """Compress chunks older than ``weekly_compress_older_than_days``, one per transaction; fail if any is left."""
    days = config.weekly_compress_older_than_days
    chunks = list_chunks(conn, hypertable, older_than_days=days)
    pending = [c for c in chunks if not c.is_compressed]
    progress(f"Compressing old chunks: {len(pending)} of {len(chunks)} chunks older than {days} days are uncompressed")
    run = compress_planned_chunks(conn, chunks, config, progress,
                                  retry_hint="the retry or next week's run compresses it")
    return {"compressed": run.compressed, "already_compressed": run.already_compressed, "older_than_days": days}


def chunks_needing_analyze(stats: list[tuple[Chunk, datetime | None]], since: datetime) -> list[Chunk]:
    """Chunks whose planner statistics were not refreshed since ``since`` (never analyzed counts as stale)."""
    return [chunk for chunk, analyzed in stats if analyzed is None or analyzed < since]


# SQL steps of the weekly DAG (run by SQLExecuteQueryOperator): the whole-database VACUUM (ANALYZE), autocommit,
# and the per-chunk statistics that analyze_stale_chunks judges (parameters: the hypertable's params).
VACUUM_ANALYZE_SQL = "maintenance/vacuum_analyze.sql"
CHUNK_STATISTICS_SQL = "maintenance/chunk_statistics.sql"


def analyze_stale_chunks(conn: psycopg.Connection, rows: list[dict[str, Any]], config: OpsConfig, since: datetime,
                         progress: Callable[[str], None]) -> dict[str, Any]:
    """ANALYZE every chunk whose statistics predate ``since``, and report live/dead tuples summed over the chunks.

    ``rows`` come from CHUNK_STATISTICS_SQL. The whole-database VACUUM ANALYZE before this step normally refreshed
    every chunk, so this usually only verifies; it catches chunks VACUUM skipped or that appeared since. The
    parent table's own statistics row describes an empty parent, so tuple counts are summed over the chunks.
    """
    stats = [(Chunk(r["chunk_schema"], r["chunk_name"], r["range_start"], r["range_end"], r["is_compressed"]),
              r["last_analyzed"]) for r in rows]
    stale = chunks_needing_analyze(stats, since)
    for index, chunk in enumerate(stale, start=1):
        analyze_chunk(conn, chunk, lock_timeout_ms=config.lock_timeout_ms, statement_timeout_ms=config.statement_timeout_ms)
        progress(f"{index}/{len(stale)} chunks analyzed: {chunk}")
    live = sum(r["n_live_tup"] or 0 for r in rows)
    dead = sum(r["n_dead_tup"] or 0 for r in rows)
    progress(f"Chunk statistics: {len(rows)} chunks, {len(rows) - len(stale)} fresh after VACUUM ANALYZE, "
             f"{len(stale)} analyzed now; live tuples {live}, dead tuples {dead} (uncompressed chunks)")
    return {"chunks": len(rows), "analyzed_now": [str(c) for c in stale], "live_tuples": live, "dead_tuples": dead}
