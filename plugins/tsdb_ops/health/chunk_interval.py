"""The hypertable's chunk_time_interval against TimescaleDB's sizing advice.

TimescaleDB advises an interval at which the indexes of the chunks being written fit in 25 % of main memory
(they stay cached while rows arrive). Too large an interval: those indexes no longer fit and every insert reads
index pages from disk. Too small: many tiny chunks, each one more relation to plan, lock and maintain.

Memory: PostgreSQL does not show the machine's RAM to SQL. ``health_memory_bytes`` is the server's memory when
set; when 0, memory is taken as 4 x shared_buffers, because timescaledb-tune (which the TimescaleDB Docker image
runs when it initialises the database) sets shared_buffers to a quarter of the memory; the budget is then
shared_buffers itself. The report says which source was used.

What is measured: the chunks of the two newest time slices (the one being written and the last complete one),
summed per slice (several chunks when the hypertable has a space dimension), from ``chunks_detailed_size``.
A compressed slice is not judged: its sizes are the compressed ones, not those it had while written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tsdb_ops.config import OpsConfig
from tsdb_ops.findings import Finding
from tsdb_ops.health.result import CheckResult
from tsdb_ops.health.target import HealthTarget

CHECK = "chunk_interval"
TITLE = "Chunk interval against memory"
TOO_LARGE = "health.chunk_interval.too_large"
TOO_SMALL = "health.chunk_interval.too_small"
DAY_SECONDS = 86_400.0
HOUR_SECONDS = 3_600.0
TUNE_SHARED_BUFFERS_SHARE = 4   # timescaledb-tune: shared_buffers = memory / 4

# The check's query, a SQL step of db_health_check (parameters: HealthTarget.sql_params).
CHUNK_INTERVAL_SQL = "health/chunk_interval.sql"


@dataclass(frozen=True)
class TimeSlice:
    """The chunks of one time range of the hypertable (one chunk without a space dimension)."""

    number: int                # 1: the newest (being written), 2: the one before (complete)
    range_start: Any
    range_end: Any
    chunks: int
    index_bytes: int
    total_bytes: int
    compressed: bool


def interval_text(seconds: float) -> str:
    """A chunk interval for people and for SQL: whole days when it is a multiple of a day, else hours."""
    if seconds >= DAY_SECONDS and seconds % DAY_SECONDS == 0:
        days = int(seconds // DAY_SECONDS)
        return f"{days} day" + ("s" if days != 1 else "")
    hours = max(1, round(seconds / HOUR_SECONDS))
    return f"{hours} hour" + ("s" if hours != 1 else "")


def suggested_interval_seconds(interval_seconds: float, measured_bytes: int, wanted_bytes: float) -> float:
    """The interval at which a slice would hold about ``wanted_bytes`` (sizes grow about linearly with time),
    rounded down to whole days from a day up, else to whole hours, at least an hour."""
    seconds = interval_seconds * wanted_bytes / max(measured_bytes, 1)
    if seconds >= DAY_SECONDS:
        return (seconds // DAY_SECONDS) * DAY_SECONDS
    return max(HOUR_SECONDS, (seconds // HOUR_SECONDS) * HOUR_SECONDS)


def memory_bytes(setting_bytes: int, shared_buffers_bytes: int) -> tuple[int, str]:
    """The memory the budget is a share of, and where it came from (pure)."""
    if setting_bytes > 0:
        return setting_bytes, f"health_memory_bytes ({setting_bytes} bytes)"
    memory = TUNE_SHARED_BUFFERS_SHARE * shared_buffers_bytes
    return memory, (f"{TUNE_SHARED_BUFFERS_SHARE} x shared_buffers ({shared_buffers_bytes} bytes), as timescaledb-tune "
                    "sizes it; set health_memory_bytes to the server's memory when shared_buffers is tuned otherwise")


def time_slices(rows: Sequence[Mapping[str, Any]]) -> list[TimeSlice]:
    """The rows of CHUNK_INTERVAL_SQL summed per time slice, newest first."""
    groups: dict[int, list[Mapping[str, Any]]] = {}
    for row in rows:
        if row["chunk"] is not None:
            groups.setdefault(int(row["slice"]), []).append(row)
    return [
        TimeSlice(number, group[0]["range_start"], group[0]["range_end"], len(group),
                  sum(int(r["index_bytes"] or 0) for r in group), sum(int(r["total_bytes"] or 0) for r in group),
                  any(r["is_compressed"] for r in group))
        for number, group in sorted(groups.items())
    ]


def judge_chunk_interval(target: HealthTarget, rows: Sequence[Mapping[str, Any]], config: OpsConfig) -> CheckResult:
    """Warning when the indexes of a recent slice exceed ``health_chunk_index_max_memory_percent`` of memory
    (interval too large), or when a complete recent slice is smaller than ``health_chunk_small_bytes`` and
    slices come more often than ``health_chunks_max_per_day`` (interval too small); notes say what was measured."""
    result = CheckResult(CHECK, TITLE, columns=["slice", "from", "to", "chunks", "compressed", "index bytes",
                                                "total bytes"])
    name = target.name
    if not rows:
        result.notes.append(f"{name} is not a TimescaleDB hypertable: it has no chunk interval to judge.")
        return result
    first = rows[0]
    if first["interval_seconds"] is None:
        result.notes.append(f"{name} is partitioned by an integer column (chunk interval {first['integer_interval']}): "
                            "only time intervals are judged.")
        return result
    interval = float(first["interval_seconds"])
    memory, source = memory_bytes(config.health_memory_bytes, int(first["shared_buffers_bytes"]))
    budget = memory * config.health_chunk_index_max_memory_percent / 100
    per_day = DAY_SECONDS / interval
    slices = time_slices(rows)
    result.rows = [[s.number, s.range_start, s.range_end, s.chunks, s.compressed, s.index_bytes, s.total_bytes]
                   for s in slices]
    result.notes.append(
        f"{name}: chunk_time_interval {interval_text(interval)} ({per_day:.3g} chunk intervals per day), "
        f"{first['chunk_count']} chunks; index budget {int(budget)} bytes = "
        f"{config.health_chunk_index_max_memory_percent:g} % of {memory} bytes of memory, from {source}.")
    uncompressed = [s for s in slices if not s.compressed]
    if not slices:
        result.notes.append(f"{name} has no chunks yet: nothing to measure.")
        return result
    if not uncompressed:
        result.notes.append("The newest chunks are already compressed: their sizes are not those they had while "
                            "written, so the interval is not judged.")
        return result
    facts = {"table": name, "interval_seconds": interval, "memory_bytes": memory, "budget_bytes": int(budget)}
    largest = max(uncompressed, key=lambda s: s.index_bytes)
    if largest.index_bytes > budget:
        better = suggested_interval_seconds(interval, largest.index_bytes, budget)
        result.findings.append(Finding(
            TOO_LARGE, "warning",
            f"The indexes of one chunk interval of {name} ({interval_text(interval)}, from {largest.range_start}) take "
            f"{largest.index_bytes} bytes, more than {config.health_chunk_index_max_memory_percent:g} % of memory "
            f"({int(budget)} bytes): inserts read index pages from disk. Shorten the interval for new chunks, e.g. "
            f"SELECT set_chunk_time_interval('{name}', INTERVAL '{interval_text(better)}')",
            {**facts, "index_bytes": largest.index_bytes, "suggested_interval_seconds": better}))
    complete = next((s for s in slices if s.number == 2 and not s.compressed), None)
    if complete is None:
        result.notes.append("No uncompressed complete chunk interval (the one before the newest): small chunks are "
                            "not judged.")
    elif complete.total_bytes < config.health_chunk_small_bytes:
        if per_day > config.health_chunks_max_per_day:
            better = suggested_interval_seconds(interval, complete.total_bytes, config.health_chunk_small_bytes)
            result.findings.append(Finding(
                TOO_SMALL, "warning",
                f"{name} gets {per_day:.3g} chunk intervals per day (limit {config.health_chunks_max_per_day:g}) of "
                f"{complete.total_bytes} bytes each (less than {config.health_chunk_small_bytes}): many tiny chunks "
                f"slow planning and maintenance. Lengthen the interval for new chunks, e.g. "
                f"SELECT set_chunk_time_interval('{name}', INTERVAL '{interval_text(better)}')",
                {**facts, "total_bytes": complete.total_bytes, "chunks_per_day": per_day,
                 "suggested_interval_seconds": better}))
        else:
            result.notes.append(f"The last complete chunk interval holds {complete.total_bytes} bytes (less than "
                                f"{config.health_chunk_small_bytes}), at {per_day:.3g} per day: small, not too many.")
    return result
