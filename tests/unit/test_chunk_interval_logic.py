"""The chunk-interval judge: TimescaleDB's sizing advice (the indexes of the chunk interval being written within
25 % of memory) and tiny chunks, on rows shaped like the SQL step's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tsdb_ops.config import OpsConfig
from tsdb_ops.health.chunk_interval import (
    TOO_LARGE,
    TOO_SMALL,
    interval_text,
    judge_chunk_interval,
    memory_bytes,
    suggested_interval_seconds,
)
from tsdb_ops.health.target import HealthTarget
from tsdb_ops.timescale.table import Table

MB = 1_000_000
DAY = 86_400.0
HOUR = 3_600.0
SHARED_BUFFERS = 128 * 1024 * 1024          # PostgreSQL's default: budget 128 MiB when health_memory_bytes = 0
TARGET = HealthTarget("mt5", "15.20", "2.28.3", None, False, Table("public", "market_data"), [])
NOW = datetime(2026, 3, 2, tzinfo=UTC)


def rows(interval_seconds: float | None, slices: list[tuple[int, int, bool]], *, chunks_per_slice: int = 1,
         integer_interval: int | None = None, shared_buffers: int = SHARED_BUFFERS) -> list[dict]:
    """Rows like health/chunk_interval.sql's: ``slices`` newest first as (index_bytes, total_bytes, compressed)
    per chunk; no slices: one row with empty chunk columns."""
    base = {"time_column": "timestamp", "interval_seconds": interval_seconds, "integer_interval": integer_interval,
            "shared_buffers_bytes": shared_buffers, "chunk_count": 40}
    out = []
    for number, (index_bytes, total_bytes, compressed) in enumerate(slices, 1):
        start = NOW - timedelta(seconds=(interval_seconds or DAY) * number)
        for i in range(chunks_per_slice):
            out.append({**base, "chunk": f"_timescaledb_internal._hyper_1_{number}{i}_chunk", "slice": number,
                        "range_start": start, "range_end": start + timedelta(seconds=interval_seconds or DAY),
                        "is_compressed": compressed, "index_bytes": index_bytes, "total_bytes": total_bytes})
    return out or [{**base, "chunk": None, "slice": None, "range_start": None, "range_end": None,
                    "is_compressed": None, "index_bytes": None, "total_bytes": None}]


CASES = {
    # name: (rows, config overrides, expected finding keys, a note that must appear)
    "7-day chunks whose indexes fit in shared_buffers: nothing": (
        rows(7 * DAY, [(20 * MB, 60 * MB, False), (40 * MB, 120 * MB, False)]), {}, [], "index budget 134217728 bytes"),
    "indexes of the last complete interval above the budget: too large": (
        rows(7 * DAY, [(60 * MB, 200 * MB, False), (150 * MB, 500 * MB, False)]), {}, [TOO_LARGE], None),
    "the partial newest interval alone above the budget: too large": (
        rows(7 * DAY, [(140 * MB, 400 * MB, False), (10 * MB, 30 * MB, True)]), {}, [TOO_LARGE], None),
    "a configured 64 GB memory: 150 MB of indexes fit in its 25 %": (
        rows(7 * DAY, [(60 * MB, 200 * MB, False), (150 * MB, 500 * MB, False)]), {"health_memory_bytes": 64_000 * MB},
        [], "from health_memory_bytes"),
    "a stricter 10 % of a configured 1 GB memory": (
        rows(7 * DAY, [(60 * MB, 200 * MB, False), (150 * MB, 500 * MB, False)]),
        {"health_memory_bytes": 1_000 * MB, "health_chunk_index_max_memory_percent": 10.0}, [TOO_LARGE], None),
    "space partitions: four chunks per slice summed over the budget": (
        rows(DAY, [(10 * MB, 30 * MB, False), (40 * MB, 100 * MB, False)], chunks_per_slice=4), {}, [TOO_LARGE], None),
    "hourly chunks of 50 kB: 24 a day, too small": (
        rows(HOUR, [(10_000, 30_000, False), (20_000, 50_000, False)]), {}, [TOO_SMALL], None),
    "daily chunks of 50 kB: small, but one a day is allowed: a note": (
        rows(DAY, [(10_000, 30_000, False), (20_000, 50_000, False)]), {}, [], "small, not too many"),
    "hourly chunks of 50 MB: many, but not small": (
        rows(HOUR, [(10 * MB, 30 * MB, False), (20 * MB, 50 * MB, False)]), {}, [], None),
    "hourly tiny chunks allowed by a higher per-day limit": (
        rows(HOUR, [(10_000, 30_000, False), (20_000, 50_000, False)]), {"health_chunks_max_per_day": 48.0}, [],
        "small, not too many"),
    "the complete interval compressed: small chunks not judged": (
        rows(HOUR, [(10_000, 30_000, False), (2_000, 5_000, True)]), {}, [], "small chunks are not judged"),
    "a single chunk: nothing complete to call small": (
        rows(HOUR, [(10_000, 30_000, False)]), {}, [], "small chunks are not judged"),
    "every recent chunk compressed: not judged": (
        rows(7 * DAY, [(900 * MB, 900 * MB, True), (900 * MB, 900 * MB, True)]), {}, [], "already compressed"),
    "a hypertable without chunks": (rows(7 * DAY, []), {}, [], "has no chunks yet"),
    "an integer time column": (rows(None, [], integer_interval=100_000), {}, [], "integer column"),
    "a plain table (no rows)": ([], {}, [], "is not a TimescaleDB hypertable"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_chunk_interval_judge(case):
    case_rows, overrides, keys, note = CASES[case]
    result = judge_chunk_interval(TARGET, case_rows, OpsConfig.from_mapping(overrides))
    assert [f.key for f in result.findings] == keys
    assert all(f.severity == "warning" for f in result.findings)
    if note:
        assert any(note in n for n in result.notes), result.notes
    assert result.as_dict()["check"] == "chunk_interval"


def test_too_large_suggests_a_shorter_interval_that_fits_and_names_the_command():
    result = judge_chunk_interval(TARGET, rows(7 * DAY, [(50 * MB, 80 * MB, False), (300 * MB, 900 * MB, False)]),
                                  OpsConfig())
    finding = result.findings[0]
    assert finding.facts["index_bytes"] == 300 * MB and finding.facts["budget_bytes"] == SHARED_BUFFERS
    assert finding.facts["suggested_interval_seconds"] == 3 * DAY        # 7 days x 134 MB / 300 MB = 3.1 days
    assert "SELECT set_chunk_time_interval('public.market_data', INTERVAL '3 days')" in finding.message


def test_too_small_suggests_a_longer_interval():
    result = judge_chunk_interval(TARGET, rows(HOUR, [(10_000, 30_000, False), (100_000, 500_000, False)]), OpsConfig())
    assert result.findings[0].facts["suggested_interval_seconds"] == 20 * HOUR   # 10 MB / 0.5 MB an hour
    assert "INTERVAL '20 hours'" in result.findings[0].message


@pytest.mark.parametrize(("setting", "shared_buffers", "expected"), [
    (0, SHARED_BUFFERS, 4 * SHARED_BUFFERS),
    (16_000 * MB, SHARED_BUFFERS, 16_000 * MB),
])
def test_memory_is_the_setting_or_four_times_shared_buffers(setting, shared_buffers, expected):
    assert memory_bytes(setting, shared_buffers)[0] == expected


@pytest.mark.parametrize(("seconds", "text"), [(7 * DAY, "7 days"), (DAY, "1 day"), (HOUR, "1 hour"),
                                               (36 * HOUR, "36 hours"), (600, "1 hour")])
def test_interval_text(seconds, text):
    assert interval_text(seconds) == text


def test_suggestion_is_at_least_an_hour():
    assert suggested_interval_seconds(HOUR, 10**12, 1) == HOUR
