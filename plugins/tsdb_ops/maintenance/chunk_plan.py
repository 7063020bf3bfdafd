"""What the manual DAGs share: the hypertable param resolved in the catalog, chunk lists passed between tasks.

A plan is computed and logged by one task and executed by the next, so a dry run and a confirmed run list the
same chunks and the confirmed run does exactly what it listed. Chunks travel through XCom as plain dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from tsdb_ops.config import OpsConfig
from tsdb_ops.files import read_sql
from tsdb_ops.params import ParamError
from tsdb_ops.timescale.chunks import Chunk, CompressionRun, compress_chunks
from tsdb_ops.timescale.table import Table, TableError, resolve_table


class MaintenanceError(RuntimeError):
    """A maintenance step did not do all it planned; the message names what is left and what to do."""


def resolve_param_hypertable(conn: psycopg.Connection, name: Any) -> Table:
    """The ``hypertable`` param, validated as identifiers and found in the catalog as a hypertable."""
    if not isinstance(name, str):
        raise ParamError(f"param hypertable={name!r} must be a table name such as market_data")
    try:
        return resolve_table(conn, name.strip())
    except TableError as exc:
        raise ParamError(f"param hypertable: {exc}") from None


def hypertable_names(name: str, hypertable: Table) -> tuple[str, ...]:
    """The spellings a confirmation may repeat: the param as given, and schema.table (last, shown in errors)."""
    return (name.strip(), str(hypertable))


def require_compression_enabled(conn: psycopg.Connection, hypertable: Table) -> None:
    enabled = conn.execute(read_sql("maintenance/compression_settings.sql"), hypertable.params).fetchone()[0]
    if not enabled:
        raise ParamError(
            f"compression is not enabled on {hypertable}: trigger db_policy_setup with apply=true first"
        )


def describe_chunk(chunk: Chunk) -> str:
    start = f"{chunk.range_start:%Y-%m-%d %H:%M}" if chunk.range_start else "?"
    end = f"{chunk.range_end:%Y-%m-%d %H:%M}" if chunk.range_end else "?"
    return f"{chunk} ({start} to {end})"


def compress_planned_chunks(conn: psycopg.Connection, chunks: Sequence[Chunk], config: OpsConfig,
                            progress: Callable[[str], None], *,
                            retry_hint: str = "trigger the run again") -> CompressionRun:
    """Compress exactly these chunks, one per transaction with the maintenance timeouts; fail if any is left
    (the work done is kept). Every compressing step of the package goes through here."""
    run = compress_chunks(conn, chunks, lock_timeout_ms=config.lock_timeout_ms,
                          statement_timeout_ms=config.statement_timeout_ms, progress=progress)
    progress(f"Compression done: {run.summary()}")
    if run.failed:
        raise MaintenanceError(
            f"{len(run.failed)} of {len(chunks) - len(run.already_compressed)} chunks were not compressed (the others "
            f"were kept): {run.failures()}. A lock timeout means another session held the chunk: {retry_hint}"
        )
    return run
