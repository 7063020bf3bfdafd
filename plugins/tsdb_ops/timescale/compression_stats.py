"""Compression status of a hypertable from TimescaleDB's catalog and stats functions only (O(chunks), no row scan)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from tsdb_ops.paths import read_sql
from tsdb_ops.timescale.hypertables import Hypertable


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


def compression_status(conn: psycopg.Connection, hypertable: Hypertable, timeframe_column: str) -> CompressionStatus:
    """Collect the per-hypertable and per-chunk numbers in one short read-only transaction."""
    with conn.transaction():
        summary_row = conn.execute(read_sql("reports/hypertable_compression_summary.sql"), hypertable.params).fetchone()
        chunk_rows = conn.execute(read_sql("reports/chunk_compression_status.sql"), hypertable.params).fetchall()
        share_rows = conn.execute(
            read_sql("reports/timeframe_shares.sql"), {**hypertable.params, "column": timeframe_column}
        ).fetchall()
    assert summary_row is not None
    taken_at, *summary = summary_row
    return CompressionStatus(
        hypertable=str(hypertable),
        taken_at=taken_at,
        summary=HypertableStatus(*summary),
        chunks=[ChunkStatus(*row) for row in chunk_rows],
        timeframe_shares={str(value): float(share) for value, share in share_rows},
    )
