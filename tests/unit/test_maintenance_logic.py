"""Pure decisions of the maintenance DAGs: prune filters and summary, policy plan, report numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tsdb_ops.config import OpsConfig
from tsdb_ops.maintenance.compression_report import (
    human_bytes,
    ratio,
    render_report,
    report_path,
    timeline_by_month,
    uncompressed_older_than,
)
from tsdb_ops.maintenance.docker_prune import prune_filters, summarize_prune
from tsdb_ops.maintenance.policy_setup import (
    ActualJob,
    ActualPolicies,
    DesiredPolicies,
    compression_advice,
    plan_policy_changes,
    staggered_starts,
)
from tsdb_ops.timescale.compression_stats import ChunkStatus, CompressionStatus, HypertableStatus

NOW = datetime(2026, 11, 28, tzinfo=UTC)
DESIRED = DesiredPolicies.from_config(OpsConfig())
GOOD_JOBS = {"compression": ActualJob(1000, 12, 7, None), "retention": ActualJob(1001, 24, 90, None),
             "reorder": ActualJob(1002, 12, None, "ux_market_data_sym_tf_ts")}
GOOD = ActualPolicies(True, ("symbol",), ("timestamp",), GOOD_JOBS)


@pytest.mark.parametrize(("configured", "expected_images", "expected_builds"), [
    ({}, {"dangling": True}, {}),
    ({"until": "24h"}, {"until": "24h", "dangling": True}, {"until": "24h"}),
    ({"label": ["a=b"], "until": ""}, {"label": ["a=b"], "dangling": True}, {}),
])
def test_prune_filters_keep_images_dangling_and_give_build_cache_only_the_age(configured, expected_images, expected_builds):
    filters = prune_filters(configured)
    assert filters["images"] == expected_images
    assert filters["build_cache"] == expected_builds
    assert "dangling" not in filters["containers"]


def test_prune_summary_counts_removed_objects_and_adds_bytes_freed_even_from_null_answers():
    report = summarize_prune(
        {"ContainersDeleted": ["c1", "c2"], "SpaceReclaimed": 100},
        {"ImagesDeleted": [{"Untagged": "x:latest"}, {"Deleted": "sha256:1"}], "SpaceReclaimed": 2000},
        {"NetworksDeleted": None},
        {"CachesDeleted": None, "SpaceReclaimed": 5},
    )
    assert (report.containers, report.images, report.networks, report.build_cache) == (
        ["c1", "c2"], ["x:latest", "sha256:1"], [], [])
    assert report.bytes_freed == 2105
    assert "2 containers, 2 images, 0 networks, 0 build cache records removed; 2105 bytes" in report.summary()


@pytest.mark.parametrize(("actual", "expected_actions"), [
    (GOOD, []),
    (ActualPolicies(False, (), (), {}), ["set_compression", "add_compression_policy", "add_retention_policy",
                                         "add_reorder_policy"]),
    (ActualPolicies(True, ("symbol",), ("timestamp",), {k: v for k, v in GOOD_JOBS.items() if k != "reorder"}),
     ["add_reorder_policy"]),
    (ActualPolicies(True, ("symbol",), ("timestamp",), {**GOOD_JOBS, "compression": ActualJob(1000, 12, 14, None)}),
     ["remove_compression_policy", "add_compression_policy"]),
    (ActualPolicies(True, ("symbol",), ("timestamp",), {**GOOD_JOBS, "reorder": ActualJob(1002, 84, None,
                                                                                         "ux_market_data_sym_tf_ts")}),
     ["set_schedule"]),
    (ActualPolicies(True, ("symbol",), ("timestamp",), {**GOOD_JOBS, "reorder": ActualJob(1002, 12, None, "other")}),
     ["remove_reorder_policy", "add_reorder_policy"]),
    (ActualPolicies(True, ("symbol", "timeframe"), ("timestamp",), GOOD_JOBS), ["set_compression"]),
])
def test_policy_plan_lists_exactly_the_drift_in_apply_order(actual, expected_actions):
    assert [c.action for c in plan_policy_changes(DESIRED, actual)] == expected_actions


def test_every_add_and_schedule_change_names_the_policy_kind_it_starts():
    changes = plan_policy_changes(DESIRED, ActualPolicies(False, (), (), {}))
    assert {c.action: c.kind for c in changes} == {"set_compression": None, "add_compression_policy": "compression",
                                                   "add_retention_policy": "retention", "add_reorder_policy": "reorder"}


@pytest.mark.parametrize(("hours", "step_hours"), [((12, 12, 24), 3), ((1, 12, 24), 0.25), ((24, 6, 48), 1.5)])
def test_staggered_starts_are_a_quarter_of_the_shortest_schedule_apart_and_never_now(hours, step_hours):
    compression, reorder, retention = hours
    desired = DesiredPolicies(("symbol",), ("timestamp",), 7, compression, 90, retention, "ux", reorder)
    starts = staggered_starts(NOW, desired)
    step = timedelta(hours=step_hours)
    assert starts == {"compression": NOW + step, "reorder": NOW + 2 * step, "retention": NOW + 3 * step}


def test_staggered_policies_of_the_guide_never_run_at_the_same_moment_in_a_month():
    starts = staggered_starts(NOW, DESIRED)
    hours = {"compression": DESIRED.compression_schedule_hours, "reorder": DESIRED.reorder_schedule_hours,
             "retention": DESIRED.retention_schedule_hours}
    runs = {kind: {starts[kind] + timedelta(hours=hours[kind] * n) for n in range(62)} for kind in starts}
    month = NOW + timedelta(days=31)
    for a, b in (("compression", "reorder"), ("compression", "retention"), ("reorder", "retention")):
        assert not {t for t in runs[a] & runs[b] if t < month}, (a, b)


def test_compression_advice_names_unique_index_columns_neither_segmented_nor_ordered():
    advice = compression_advice(DESIRED, {"ux_market_data_sym_tf_ts": ("symbol", "timeframe", "timestamp")})
    assert len(advice) == 1 and "['timeframe']" in advice[0] and "Not changed automatically" in advice[0]
    assert compression_advice(DESIRED, {"ux": ("symbol", "timestamp")}) == []


def _chunk(name: str, start_days_ago: int, compressed: bool, before: int | None, after: int | None, now_bytes: int):
    start = NOW - timedelta(days=start_days_ago)
    return ChunkStatus("_timescaledb_internal", name, start, start + timedelta(days=7), compressed, before, after, now_bytes)


CHUNKS = [_chunk("old", 60, True, 1000, 100, 120), _chunk("late", 20, False, None, None, 900),
          _chunk("new", 3, False, None, None, 800)]


def test_uncompressed_older_than_uses_the_chunk_range_end():
    assert [c.name for c in uncompressed_older_than(CHUNKS, NOW, 7)] == ["late"]
    assert uncompressed_older_than(CHUNKS, NOW, 30) == []


def test_timeline_groups_chunks_by_month_of_start_newest_first():
    lines = timeline_by_month(CHUNKS)
    assert [(m.month, m.chunks, m.compressed, m.before_bytes, m.size_now_bytes) for m in lines] == [
        ("2026-11", 2, 0, 1700, 1700), ("2026-09", 1, 1, 1000, 120)]


@pytest.mark.parametrize(("before", "after", "expected"), [(1000, 100, 10.0), (None, None, None), (1000, 0, None)])
def test_ratio_is_before_over_after_or_none(before, after, expected):
    assert ratio(before, after) == expected


def test_report_shows_totals_overdue_chunks_timeline_and_timeframes():
    status = CompressionStatus("public.market_data", NOW, HypertableStatus(3, 1, 1000, 100, 1820, 5000), CHUNKS,
                               {"M1": 0.75, "H1": 0.25})
    text = render_report(status, policy_days=7, weekly_days=30)
    assert "| 3 | 1 | 2 | 1000 B | 100 B | 10.0 | 90.0 % | 1.8 kB | 5000 |" in text
    assert "1 chunks (of which 0 older than the weekly age of 30 days):" in text
    assert "- _timescaledb_internal.late (2026-11-08 to 2026-11-15, 900 B)" in text
    assert "| M1 | 75.0 % | 3750 |" in text
    assert human_bytes(5 * 1024**3) == "5.0 GB"
    assert report_path("/r", "public.market_data", NOW).name == "compression_public_market_data_20261128T000000.md"


def test_compression_status_from_sql_step_rows_reads_columns_by_name_not_by_key_order():
    """A SQL step's rows reach the next task as dicts whose key order XCom does not keep (keys come back sorted)."""
    from tsdb_ops.timescale.compression_stats import status_from_rows

    summary = {"total_bytes": 900, "taken_at": NOW, "total_chunks": 2, "compressed_chunks": 1, "approximate_rows": 50,
               "after_compression_total_bytes": 100, "before_compression_total_bytes": 1000}
    chunk = {"total_bytes": 120, "range_end": NOW, "range_start": NOW - timedelta(days=7), "is_compressed": True,
             "chunk_schema": "_timescaledb_internal", "chunk_name": "_hyper_1_1_chunk",
             "before_compression_total_bytes": 1000, "after_compression_total_bytes": 100}
    status = status_from_rows("public.market_data", summary, [chunk], [{"share": 0.75, "value": "M1"}])
    assert status.timeframe_shares == {"M1": 0.75} and status.summary.total_chunks == 2
    assert status.chunks[0].name == "_hyper_1_1_chunk" and status.chunks[0].before_bytes == 1000
