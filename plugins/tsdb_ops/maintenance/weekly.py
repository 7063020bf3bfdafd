"""Weekly maintenance steps (guide: Weekly Tasks): drop old chunks, compress old chunks, chunk statistics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg

from tsdb_ops.config import OpsConfig
from tsdb_ops.paths import read_sql
from tsdb_ops.timescale.chunks import (
    Chunk,
    analyze_chunk,
    compress_chunks,
    drop_chunks_older_than,
    list_chunks,
    set_session_timeouts,
)
from tsdb_ops.timescale.hypertables import Hypertable


class MaintenanceError(RuntimeError):
    """A maintenance step could not finish its work; the message names what is left and what to do."""


def drop_old_chunks(conn: psycopg.Connection, hypertable: Hypertable, config: OpsConfig,
                    progress: Callable[[str], None]) -> list[str]:
    """Drop chunks older than ``drop_chunks_older_than_days``. With a shorter retention policy this is a no-op."""
    progress(f"Dropping chunks of {hypertable} older than {config.drop_chunks_older_than_days} days...")
    dropped = drop_chunks_older_than(conn, hypertable, config.drop_chunks_older_than_days,
                                     lock_timeout_ms=config.lock_timeout_ms, statement_timeout_ms=config.statement_timeout_ms)
    progress(f"Dropped {len(dropped)} chunks" + (f": {', '.join(dropped)}" if dropped else ""))
    return dropped


def compress_old_chunks(conn: psycopg.Connection, hypertable: Hypertable, config: OpsConfig,
                        progress: Callable[[str], None]) -> dict[str, Any]:
    """Compress chunks older than ``weekly_compress_older_than_days``, one per transaction; fail if any is left."""
    days = config.weekly_compress_older_than_days
    chunks = list_chunks(conn, hypertable, older_than_days=days)
    pending = [c for c in chunks if not c.is_compressed]
    progress(f"Compressing old chunks: {len(pending)} of {len(chunks)} chunks older than {days} days are uncompressed")
    run = compress_chunks(conn, chunks, lock_timeout_ms=config.lock_timeout_ms,
                          statement_timeout_ms=config.statement_timeout_ms, progress=progress)
    progress(f"Compression done: {run.summary()}")
    if run.failed:
        raise MaintenanceError(
            f"{len(run.failed)} chunks of {hypertable} were not compressed (the others were kept): "
            + run.failures()
            + ". A lock timeout means another session held the chunk: the retry or next week's run compresses it"
        )
    return {"compressed": run.compressed, "already_compressed": run.already_compressed, "older_than_days": days}


def chunks_needing_analyze(stats: list[tuple[Chunk, datetime | None]], since: datetime) -> list[Chunk]:
    """Chunks whose planner statistics were not refreshed since ``since`` (never analyzed counts as stale)."""
    return [chunk for chunk, analyzed in stats if analyzed is None or analyzed < since]


def update_chunk_statistics(conn: psycopg.Connection, hypertable: Hypertable, config: OpsConfig, since: datetime,
                            progress: Callable[[str], None]) -> dict[str, Any]:
    """ANALYZE every chunk whose statistics predate ``since``, and report live/dead tuples summed over the chunks.

    The whole-database VACUUM ANALYZE before this step normally refreshed every chunk, so this usually only
    verifies; it catches chunks VACUUM skipped or that appeared since. The parent table's own statistics row
    describes an empty parent, so tuple counts are summed over the chunks.
    """
    rows = conn.execute(read_sql("maintenance/chunk_statistics.sql"), hypertable.params).fetchall()
    stats = [(Chunk(*row[:5]), row[5]) for row in rows]
    stale = chunks_needing_analyze(stats, since)
    for index, chunk in enumerate(stale, start=1):
        analyze_chunk(conn, chunk, lock_timeout_ms=config.lock_timeout_ms, statement_timeout_ms=config.statement_timeout_ms)
        progress(f"{index}/{len(stale)} chunks analyzed: {chunk}")
    live = sum(row[6] or 0 for row in rows)
    dead = sum(row[7] or 0 for row in rows)
    progress(f"Chunk statistics: {len(rows)} chunks, {len(rows) - len(stale)} fresh after VACUUM ANALYZE, "
             f"{len(stale)} analyzed now; live tuples {live}, dead tuples {dead} (uncompressed chunks)")
    return {"chunks": len(rows), "analyzed_now": [str(c) for c in stale], "live_tuples": live, "dead_tuples": dead}


def vacuum_analyze(conn: psycopg.Connection, config: OpsConfig) -> None:
    """VACUUM (ANALYZE) the whole database on an autocommit session (not VACUUM FULL), with the maintenance timeouts."""
    if not conn.autocommit:
        raise MaintenanceError("VACUUM cannot run inside a transaction: open the session with autocommit")
    set_session_timeouts(conn, config.lock_timeout_ms, config.statement_timeout_ms)
    conn.execute(read_sql("maintenance/vacuum_analyze.sql"))
