"""db_emergency_space_recovery: report the largest uncompressed chunks, compress the N largest, optionally drop old ones.

Sizes come from chunks_detailed_size() (the guide's pg_relation_size is about 0 for a compressed chunk and misses
indexes and TOAST). The chunk still receiving rows (its range not yet over) is reported but not compressed.
Dropping uses one cutoff time fixed by the plan, so the chunks dropped are exactly the ones listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from tsdb_ops.config import OpsConfig
from tsdb_ops.files import read_sql
from tsdb_ops.maintenance.chunk_plan import MaintenanceError
from tsdb_ops.timescale.chunks import set_local_timeouts
from tsdb_ops.timescale.compression_stats import ChunkStatus
from tsdb_ops.timescale.table import Table


@dataclass(frozen=True)
class SpacePlan:
    hypertable: str
    taken_at: datetime
    largest_uncompressed: list[ChunkStatus]  # the report, largest first (includes the chunk receiving rows)
    to_compress: list[ChunkStatus]
    drop_cutoff: datetime | None
    to_drop: list[ChunkStatus]

    def lines(self) -> list[str]:
        out = [f"{self.hypertable} at {self.taken_at:%Y-%m-%d %H:%M:%S %Z}: largest uncompressed chunks "
               "(chunks_detailed_size):"]
        out += [f"  {c.qualified_name}: {c.total_bytes} bytes ({c.range_start:%Y-%m-%d} to {c.range_end:%Y-%m-%d})"
                + ("" if is_closed(c, self.taken_at) else " - still receiving rows, not compressed")
                for c in self.largest_uncompressed]
        out.append(f"compress {len(self.to_compress)} chunks ({sum(c.total_bytes or 0 for c in self.to_compress)} "
                   "bytes uncompressed):")
        out += [f"  compress {c.qualified_name}" for c in self.to_compress]
        if self.drop_cutoff is None:
            out.append("drop: nothing (param drop_older_than_days not set)")
        else:
            out.append(f"DROP {len(self.to_drop)} chunks entirely older than {self.drop_cutoff.isoformat()} "
                       f"({sum(c.total_bytes or 0 for c in self.to_drop)} bytes; their rows are deleted for good):")
            out += [f"  drop {c.qualified_name} ({c.range_start:%Y-%m-%d} to {c.range_end:%Y-%m-%d})"
                    for c in self.to_drop]
        return out


def is_closed(chunk: ChunkStatus, now: datetime) -> bool:
    """A chunk whose time range is over: no more rows arrive for it in normal ingest."""
    return chunk.range_end is not None and chunk.range_end <= now


def chunks_before(chunks: list[ChunkStatus], cutoff: datetime) -> list[ChunkStatus]:
    """Chunks entirely before ``cutoff``: what drop_chunks(older_than => cutoff) removes."""
    return [c for c in chunks if c.range_end is not None and c.range_end <= cutoff]


def plan_space_recovery(hypertable: str, chunks: list[ChunkStatus], taken_at: datetime, compress_count: int,
                        drop_older_than_days: int | None) -> SpacePlan:
    """Drop (when asked) the chunks older than the age; compress the ``compress_count`` largest closed others."""
    cutoff = taken_at - timedelta(days=drop_older_than_days) if drop_older_than_days else None
    to_drop = chunks_before(chunks, cutoff) if cutoff else []
    dropped = {c.qualified_name for c in to_drop}
    uncompressed = sorted((c for c in chunks if not c.is_compressed and c.qualified_name not in dropped),
                          key=lambda c: c.total_bytes or 0, reverse=True)
    to_compress = [c for c in uncompressed if is_closed(c, taken_at)][:compress_count]
    return SpacePlan(hypertable, taken_at, uncompressed[:max(compress_count, 5)], to_compress, cutoff, to_drop)


def drop_planned_chunks(conn: psycopg.Connection, hypertable: Table, cutoff: datetime, planned: list[str],
                        config: OpsConfig, progress: Callable[[str], None]) -> list[str]:
    """drop_chunks(older_than => the plan's cutoff) in one transaction; roll back if it would drop an unlisted chunk."""
    with conn.transaction():
        set_local_timeouts(conn, config.lock_timeout_ms, config.statement_timeout_ms)
        rows = conn.execute(read_sql("maintenance/drop_chunks_before.sql"),
                            {**hypertable.params, "cutoff": cutoff}).fetchall()
        dropped = sorted(".".join(_split(row[0])) for row in rows)
        unlisted = sorted(set(dropped) - set(planned))
        if unlisted:
            # raising inside the transaction block rolls the drop back
            raise MaintenanceError(f"drop_chunks would also drop chunks the plan did not list: {unlisted}; nothing "
                                 "was dropped. Chunks were added to that range since planning: run a dry run again")
    progress(f"Dropped {len(dropped)} chunks: {', '.join(dropped) or 'none'}")
    return dropped


def _split(regclass_text: str) -> tuple[str, str]:
    """``schema.chunk`` as drop_chunks returns it (quoted only where needed) split into its two names."""
    schema, _, name = regclass_text.partition(".")
    return schema.strip('"'), name.strip('"')


def plan_as_dict(plan: SpacePlan) -> dict[str, Any]:
    return {"hypertable": plan.hypertable,
            "to_compress": [{"schema": c.schema, "name": c.name, "range_start": c.range_start.isoformat(),
                             "range_end": c.range_end.isoformat(), "is_compressed": False} for c in plan.to_compress],
            "drop_cutoff": plan.drop_cutoff.isoformat() if plan.drop_cutoff else None,
            "to_drop": [c.qualified_name for c in plan.to_drop]}
