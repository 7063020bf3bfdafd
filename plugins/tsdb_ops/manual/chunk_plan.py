"""What the manual DAGs share: the hypertable param resolved in the catalog, chunk lists passed between tasks.

A plan is computed and logged by one task and executed by the next, so a dry run and a confirmed run list the
same chunks and the confirmed run does exactly what it listed. Chunks travel through XCom as plain dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import psycopg

from tsdb_ops.config import OpsConfig
from tsdb_ops.manual.params import ParamError
from tsdb_ops.paths import read_sql
from tsdb_ops.timescale.chunks import Chunk, compress_chunks
from tsdb_ops.timescale.hypertables import Hypertable, HypertableError, resolve_hypertable


class ManualRunError(RuntimeError):
    """A manual operation did not do all it planned; the message names what is left and what to do."""


def resolve_param_hypertable(conn: psycopg.Connection, name: Any) -> Hypertable:
    """The ``hypertable`` param, validated as identifiers and found in the catalog as a hypertable."""
    if not isinstance(name, str):
        raise ParamError(f"param hypertable={name!r} must be a table name such as market_data")
    try:
        return resolve_hypertable(conn, name.strip())
    except HypertableError as exc:
        raise ParamError(f"param hypertable: {exc}") from None


def hypertable_names(name: str, hypertable: Hypertable) -> tuple[str, ...]:
    """The spellings a confirmation may repeat: the param as given, and schema.table (last, shown in errors)."""
    return (name.strip(), str(hypertable))


def require_compression_enabled(conn: psycopg.Connection, hypertable: Hypertable) -> None:
    enabled = conn.execute(read_sql("policies/compression_settings.sql"), hypertable.params).fetchone()[0]
    if not enabled:
        raise ParamError(
            f"compression is not enabled on {hypertable}: trigger db_policy_setup with apply=true first"
        )


def hypertable_from_text(text: str) -> Hypertable:
    """The ``schema.table`` a validation task returned (already resolved in the catalog)."""
    schema, _, name = text.partition(".")
    return Hypertable(schema, name)


def chunk_as_dict(chunk: Chunk) -> dict[str, Any]:
    return {"schema": chunk.schema, "name": chunk.name, "is_compressed": chunk.is_compressed,
            "range_start": chunk.range_start.isoformat() if chunk.range_start else None,
            "range_end": chunk.range_end.isoformat() if chunk.range_end else None}


def chunk_from_dict(data: dict[str, Any]) -> Chunk:
    return Chunk(data["schema"], data["name"],
                 datetime.fromisoformat(data["range_start"]) if data["range_start"] else None,
                 datetime.fromisoformat(data["range_end"]) if data["range_end"] else None,
                 data["is_compressed"])


def describe_chunk(chunk: Chunk) -> str:
    start = f"{chunk.range_start:%Y-%m-%d %H:%M}" if chunk.range_start else "?"
    end = f"{chunk.range_end:%Y-%m-%d %H:%M}" if chunk.range_end else "?"
    return f"{chunk} ({start} to {end})"


def compress_planned_chunks(conn: psycopg.Connection, chunks: Sequence[Chunk], config: OpsConfig,
                            progress: Callable[[str], None]) -> dict[str, Any]:
    """Compress exactly the planned chunks, one per transaction with the maintenance timeouts; fail if any is left."""
    run = compress_chunks(conn, chunks, lock_timeout_ms=config.lock_timeout_ms,
                          statement_timeout_ms=config.statement_timeout_ms, progress=progress)
    progress(f"Compression done: {run.summary()}")
    if run.failed:
        raise ManualRunError(
            f"{len(run.failed)} of {len(chunks)} planned chunks were not compressed (the others were kept): "
            + run.failures()
            + ". A lock timeout means another session held the chunk: trigger the run again"
        )
    return {"compressed": run.compressed}
