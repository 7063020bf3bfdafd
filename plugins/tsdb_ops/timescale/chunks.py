"""Chunks of a hypertable: listing (schema-qualified regclass), compression one chunk per transaction, drop, ANALYZE."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from tsdb_ops.files import read_sql
from tsdb_ops.timescale.table import Table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chunk:
    schema: str
    name: str
    range_start: datetime | None
    range_end: datetime | None
    is_compressed: bool

    @property
    def regclass_text(self) -> str:
        """Schema-qualified, quoted: ``chunk_name::regclass`` alone fails outside the chunk's schema."""
        return '"{}"."{}"'.format(self.schema.replace('"', '""'), self.name.replace('"', '""'))

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"

    def as_dict(self) -> dict[str, Any]:
        return {"schema": self.schema, "name": self.name, "is_compressed": self.is_compressed,
                "range_start": self.range_start.isoformat() if self.range_start else None,
                "range_end": self.range_end.isoformat() if self.range_end else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(data["schema"], data["name"],
                   datetime.fromisoformat(data["range_start"]) if data["range_start"] else None,
                   datetime.fromisoformat(data["range_end"]) if data["range_end"] else None,
                   data["is_compressed"])


@dataclass(frozen=True)
class CompressionRun:
    """What one compression pass did: chunks compressed now, already compressed, and failures with their error."""

    compressed: list[str]
    already_compressed: list[str]
    failed: dict[str, str]

    def summary(self) -> str:
        return (f"{len(self.compressed)} compressed, {len(self.already_compressed)} already compressed, "
                f"{len(self.failed)} failed")

    def failures(self) -> str:
        """The chunks left uncompressed with their errors, for the error that fails the task."""
        return "; ".join(f"{name}: {error}" for name, error in self.failed.items())


def list_chunks(conn: psycopg.Connection, hypertable: Table, older_than_days: float | None = None) -> list[Chunk]:
    """Chunks, oldest first; with ``older_than_days`` only those ``show_chunks(older_than => ...)`` selects."""
    rows = conn.execute(
        read_sql("timescale/list_chunks.sql"), {**hypertable.params, "older_than_days": older_than_days}
    ).fetchall()
    return [Chunk(*row) for row in rows]


def database_now(conn: psycopg.Connection) -> datetime:
    """The server's clock (chunk ages are measured against it, as TimescaleDB does)."""
    return conn.execute(read_sql("timescale/database_now.sql")).fetchone()[0]


def set_local_timeouts(conn: psycopg.Connection, lock_timeout_ms: int, statement_timeout_ms: int) -> None:
    """SET LOCAL both timeouts for the current transaction (they end with it)."""
    _set_timeouts(conn, lock_timeout_ms, statement_timeout_ms, is_local=True)


def _set_timeouts(conn: psycopg.Connection, lock_timeout_ms: int, statement_timeout_ms: int, *, is_local: bool) -> None:
    conn.execute(
        read_sql("timescale/set_timeouts.sql"),
        {"lock_timeout": f"{lock_timeout_ms}ms", "statement_timeout": f"{statement_timeout_ms}ms", "is_local": is_local},
    )


def compress_chunks(
    conn: psycopg.Connection,
    chunks: Sequence[Chunk],
    *,
    lock_timeout_ms: int,
    statement_timeout_ms: int,
    progress: Callable[[str], None] = log.info,
) -> CompressionRun:
    """Compress each chunk in its own transaction (``if_not_compressed``), logging "i/n chunks".

    A failure (lock timeout, statement timeout, error) rolls back that chunk only and the pass goes on, so the
    work done is kept and locks stay short; the caller decides what the failures mean.
    """
    compressed: list[str] = []
    already: list[str] = []
    failed: dict[str, str] = {}
    total = len(chunks)
    for index, chunk in enumerate(chunks, start=1):
        if chunk.is_compressed:
            already.append(str(chunk))
            progress(f"{index}/{total} chunks: {chunk} already compressed")
            continue
        try:
            with conn.transaction():
                set_local_timeouts(conn, lock_timeout_ms, statement_timeout_ms)
                conn.execute(read_sql("timescale/compress_chunk.sql"), {"chunk": chunk.regclass_text})
        except psycopg.Error as exc:
            failed[str(chunk)] = f"{type(exc).__name__}: {str(exc).strip()}"
            progress(f"{index}/{total} chunks: {chunk} NOT compressed ({failed[str(chunk)]})")
            continue
        compressed.append(str(chunk))
        progress(f"{index}/{total} chunks: {chunk} compressed")
    return CompressionRun(compressed, already, failed)


def recompress_chunk(conn: psycopg.Connection, chunk: Chunk, *, lock_timeout_ms: int, statement_timeout_ms: int) -> None:
    """decompress_chunk + compress_chunk in one transaction with the maintenance timeouts: on failure the chunk
    stays compressed as it was."""
    with conn.transaction():
        set_local_timeouts(conn, lock_timeout_ms, statement_timeout_ms)
        conn.execute(read_sql("timescale/decompress_chunk.sql"), {"chunk": chunk.regclass_text})
        conn.execute(read_sql("timescale/compress_chunk.sql"), {"chunk": chunk.regclass_text})


def drop_chunks_older_than(
    conn: psycopg.Connection, hypertable: Table, days: float, *, lock_timeout_ms: int, statement_timeout_ms: int
) -> list[str]:
    """``drop_chunks(older_than => days)`` in one transaction; returns the dropped chunks' names."""
    with conn.transaction():
        set_local_timeouts(conn, lock_timeout_ms, statement_timeout_ms)
        rows = conn.execute(read_sql("timescale/drop_chunks.sql"), {**hypertable.params, "days": days}).fetchall()
    return [row[0] for row in rows]


def analyze_chunk(conn: psycopg.Connection, chunk: Chunk, *, lock_timeout_ms: int, statement_timeout_ms: int) -> None:
    """ANALYZE one chunk (its planner statistics), with the maintenance timeouts."""
    with conn.transaction():
        set_local_timeouts(conn, lock_timeout_ms, statement_timeout_ms)
        conn.execute(sql.SQL(read_sql("timescale/analyze_chunk.sql")).format(chunk=chunk.identifier))
