"""Compression status of a hypertable from TimescaleDB's catalog and stats functions only (O(chunks), no row scan)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from tsdb_ops.files import read_sql
from tsdb_ops.timescale.table import Table


@dataclass(frozen=True)
class ChunkStatus:
    schema: str
    name: str
    range_start: datetime | None
    range_end: datetime | None
    is_compressed: bool
    before_bytes: int | None      # chunk_compression_stats().before_compression_total_bytes (compressed chunks)
    after_bytes: int | None       # chunk_compression_stats().after_compression_total_bytes
    total_bytes: int | None       # chunks_detailed_size().total_bytes: the chunk's size now

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class HypertableStatus:
    total_chunks: int
    compressed_chunks: int
    before_bytes: int | None      # hypertable_compression_stats(): over the compressed chunks
    after_bytes: int | None
    total_bytes: int              # hypertable_detailed_size().total_bytes: the whole hypertable now
    approximate_rows: int         # approximate_row_count(): from statistics, no scan


@dataclass(frozen=True)
class CompressionStatus:
    hypertable: str
    taken_at: datetime            # the database's now()
    summary: HypertableStatus
    chunks: list[ChunkStatus]
    timeframe_shares: dict[str, float]  # planner statistics of the timeframe column (inherited), may be empty


# The three catalog queries, also run as SQL steps of the weekly DAG (parameters: the table's params + column).
SUMMARY_SQL = "timescale/hypertable_compression_summary.sql"
CHUNKS_SQL = "timescale/chunk_compression_status.sql"
TIMEFRAME_SHARES_SQL = "timescale/timeframe_shares.sql"


# The column order of the three queries (a row from a SQL step arrives as a dict, whose key order XCom does not keep).
SUMMARY_COLUMNS = ("taken_at", "total_chunks", "compressed_chunks", "before_compression_total_bytes",
                   "after_compression_total_bytes", "total_bytes", "approximate_rows")
CHUNK_COLUMNS = ("chunk_schema", "chunk_name", "range_start", "range_end", "is_compressed",
                 "before_compression_total_bytes", "after_compression_total_bytes", "total_bytes")
SHARE_COLUMNS = ("value", "share")


def status_from_rows(hypertable: str, summary_row: Sequence[Any] | Mapping[str, Any],
                     chunk_rows: Sequence[Sequence[Any] | Mapping[str, Any]],
                     share_rows: Sequence[Sequence[Any] | Mapping[str, Any]]) -> CompressionStatus:
    """The status from the rows of the three queries: tuples in column order, or dicts by column name."""
    taken_at, *summary = _values(summary_row, SUMMARY_COLUMNS)
    return CompressionStatus(
        hypertable=hypertable,
        taken_at=taken_at,
        summary=HypertableStatus(*summary),
        chunks=chunk_statuses(chunk_rows),
        timeframe_shares={str(value): float(share) for value, share in (_values(r, SHARE_COLUMNS) for r in share_rows)},
    )


def chunk_statuses(chunk_rows: Sequence[Sequence[Any] | Mapping[str, Any]]) -> list[ChunkStatus]:
    """The chunks of CHUNKS_SQL's rows (tuples in column order, or dicts by column name)."""
    return [ChunkStatus(*_values(row, CHUNK_COLUMNS)) for row in chunk_rows]


def _values(row: Sequence[Any] | Mapping[str, Any], columns: tuple[str, ...]) -> list[Any]:
    return [row[c] for c in columns] if isinstance(row, Mapping) else list(row)


def compression_status(conn: psycopg.Connection, hypertable: Table, timeframe_column: str) -> CompressionStatus:
    """Collect the per-hypertable and per-chunk numbers in one short read-only transaction."""
    with conn.transaction():
        summary_row = conn.execute(read_sql(SUMMARY_SQL), hypertable.params).fetchone()
        chunk_rows = conn.execute(read_sql(CHUNKS_SQL), hypertable.params).fetchall()
        share_rows = conn.execute(read_sql(TIMEFRAME_SHARES_SQL), {**hypertable.params, "column": timeframe_column}).fetchall()
    assert summary_row is not None
    return status_from_rows(str(hypertable), summary_row, chunk_rows, share_rows)
