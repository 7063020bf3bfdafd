"""db_recompress_inefficient: decompress and compress again the chunks that compressed poorly.

Chunks compressed before the compression settings were fixed (segmentby/orderby), or compressed while still
receiving rows, can save far less than their neighbours. The selection reads chunk_compression_stats() (the
guide read a view that does not exist); each chunk is decompressed and compressed again in ONE transaction,
so a failure rolls back to the compressed chunk instead of leaving it decompressed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from tsdb_ops.config import OpsConfig
from tsdb_ops.maintenance.chunk_plan import MaintenanceError
from tsdb_ops.maintenance.compression_report import saved_percent
from tsdb_ops.timescale.chunks import Chunk, recompress_chunk
from tsdb_ops.timescale.compression_stats import ChunkStatus


@dataclass(frozen=True)
class RecompressCandidate:
    schema: str
    name: str
    before_bytes: int
    after_bytes: int

    @property
    def saved_percent(self) -> float:
        return saved_percent(self.before_bytes, self.after_bytes) or 0.0

    @property
    def chunk(self) -> Chunk:
        return Chunk(self.schema, self.name, None, None, True)

    def line(self) -> str:
        return (f"{self.schema}.{self.name}: {self.before_bytes} -> {self.after_bytes} bytes, "
                f"saved {self.saved_percent:g} %")


def inefficient_chunks(chunks: list[ChunkStatus], max_saved_percent: float, min_before_bytes: int) -> list[RecompressCandidate]:
    """Compressed chunks larger than ``min_before_bytes`` before compression that saved less than the threshold."""
    found = [
        RecompressCandidate(c.schema, c.name, c.before_bytes, c.after_bytes)
        for c in chunks
        if c.is_compressed and c.before_bytes and c.after_bytes is not None and c.before_bytes > min_before_bytes
        and (saved_percent(c.before_bytes, c.after_bytes) or 0.0) < max_saved_percent
    ]
    return sorted(found, key=lambda c: c.before_bytes, reverse=True)


def recompress_chunks(conn: psycopg.Connection, candidates: list[RecompressCandidate], config: OpsConfig,
                      progress: Callable[[str], None]) -> dict[str, Any]:
    """Recompress each planned chunk in its own transaction; keep going after a failure, then fail naming it."""
    done: list[str] = []
    failed: dict[str, str] = {}
    for index, candidate in enumerate(candidates, start=1):
        name = f"{candidate.schema}.{candidate.name}"
        try:
            recompress_chunk(conn, candidate.chunk, lock_timeout_ms=config.lock_timeout_ms,
                             statement_timeout_ms=config.statement_timeout_ms)
        except psycopg.Error as exc:
            failed[name] = f"{type(exc).__name__}: {str(exc).strip()}"
            progress(f"{index}/{len(candidates)} chunks: {name} NOT recompressed ({failed[name]}); it stays compressed")
            continue
        done.append(name)
        progress(f"{index}/{len(candidates)} chunks: {name} recompressed")
    if failed:
        raise MaintenanceError(
            f"{len(failed)} of {len(candidates)} chunks were not recompressed (they stay compressed as before): "
            + "; ".join(f"{n}: {e}" for n, e in failed.items()) + ". Trigger the run again"
        )
    return {"recompressed": done}


def compare_after(candidates: list[RecompressCandidate], chunks_after: list[ChunkStatus]) -> list[str]:
    """One line per recompressed chunk: saved percent before and after."""
    after = {c.qualified_name: c for c in chunks_after}
    lines = []
    for candidate in candidates:
        now = after.get(f"{candidate.schema}.{candidate.name}")
        saved_now = saved_percent(now.before_bytes, now.after_bytes) if now else None
        lines.append(f"{candidate.schema}.{candidate.name}: saved {candidate.saved_percent:g} % before, "
                     f"{saved_now if saved_now is not None else '-'} % after recompression")
    return lines
