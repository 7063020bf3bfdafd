"""Pure decisions of the manual DAGs: params validation, chunk and job selection, health findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tsdb_ops.maintenance.crash_recovery import chunk_health_findings
from tsdb_ops.maintenance.job_control import plan_job_action, select_job
from tsdb_ops.maintenance.recompress import inefficient_chunks
from tsdb_ops.maintenance.space_recovery import plan_space_recovery
from tsdb_ops.params import (
    ParamError,
    check_action,
    check_confirmation,
    check_percent,
    check_positive_int,
    check_symbol,
    optional_days,
    parse_days,
    parse_job_selector,
)
from tsdb_ops.timescale.chunks import Chunk
from tsdb_ops.timescale.compression_stats import ChunkStatus
from tsdb_ops.timescale.jobs import NO_RUNS_NOTE, PolicyJob, job_findings, job_notes

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
INJECTION = "EURUSD'; DROP TABLE market_data;--"


@pytest.mark.parametrize(("value", "days"), [
    (30, 30), ("30", 30), ("30 days", 30), (" 1 day ", 1), ("30d", 30), ("4 weeks", 28), ("2W", 14), (36500, 36500),
])
def test_ages_in_days_are_accepted_as_integers_or_day_and_week_text(value, days):
    assert parse_days(value, "older_than_days") == days


@pytest.mark.parametrize("value", [-5, 0, "-5", 36501, True, 1.5, None, "", "30 months", "1; DROP TABLE market_data",
                                   "interval '1 day'"])
def test_invalid_ages_are_refused_naming_the_param_and_the_allowed_forms(value):
    with pytest.raises(ParamError, match=r"param older_than_days=.* is not an age in days: give a whole number"):
        parse_days(value, "older_than_days")


@pytest.mark.parametrize(("value", "expected"), [(None, None), ("", None), ("  ", None), ("7 days", 7)])
def test_an_optional_age_may_be_left_empty(value, expected):
    assert optional_days(value, "drop_older_than_days") == expected


@pytest.mark.parametrize("symbol", ["EURUSD", "EURUSD.m", "#AAPL", "US30-Cash", "XAUUSD+", "BTC_USD"])
def test_broker_symbol_names_are_accepted(symbol):
    assert check_symbol(symbol) == symbol


@pytest.mark.parametrize("symbol", [INJECTION, "", "EUR USD", "A" * 33, 123, None, "-EURUSD", "EURUSD%"])
def test_symbols_outside_the_symbol_alphabet_are_refused(symbol):
    with pytest.raises(ParamError, match="is not a symbol name"):
        check_symbol(symbol)


def test_confirmation_must_repeat_the_hypertable_as_given_or_schema_qualified():
    names = ("market_data", "public.market_data")
    check_confirmation("market_data", names, "dropping chunks")
    check_confirmation(" public.market_data ", names, "dropping chunks")
    for wrong in (None, "", "yes", "market_data_typo", True):
        with pytest.raises(ParamError, match=r"dropping chunks is destructive: set param confirm to .*'public.market_data'"):
            check_confirmation(wrong, names, "dropping chunks")


@pytest.mark.parametrize(("value", "expected"), [
    (1000, 1000), ("1000", 1000), (" 1001 ", 1001), ("policy_compression", "policy_compression"), ("retention", "retention"),
])
def test_a_job_is_selected_by_id_or_proc_name(value, expected):
    assert parse_job_selector(value) == expected


@pytest.mark.parametrize("value", ["1); DROP TABLE market_data; --", "1000 OR 1=1", 0, -3, "0", True, None, 1.5, ""])
def test_job_selectors_that_are_neither_id_nor_name_are_refused(value):
    with pytest.raises(ParamError, match="is neither a job id nor a proc name"):
        parse_job_selector(value)


def test_number_params_are_range_checked():
    assert check_positive_int(0, "compress_largest", minimum=0) == 0
    assert check_percent(50, "max_saved_percent") == 50.0
    for bad in (-1, True, "5", 2.5):
        with pytest.raises(ParamError, match="compress_largest"):
            check_positive_int(bad, "compress_largest", minimum=0)
    for bad in (0, 101, "50", False):
        with pytest.raises(ParamError, match="max_saved_percent"):
            check_percent(bad, "max_saved_percent")
    with pytest.raises(ParamError, match=r"must be one of \['pause', 'resume', 'run_now'\]"):
        check_action("delete")


def _job(job_id: int, proc: str, kind: str, scheduled: bool = True) -> PolicyJob:
    return PolicyJob(job_id, kind, proc, timedelta(hours=12), {}, scheduled, None)


JOBS = [_job(1000, "policy_compression", "compression"), _job(1001, "policy_retention", "retention", scheduled=False)]


def test_select_job_by_id_proc_name_or_kind_and_refuse_a_job_of_another_hypertable():
    assert select_job(JOBS, 1001, "public.market_data").job_id == 1001
    assert select_job(JOBS, "policy_compression", "public.market_data").job_id == 1000
    assert select_job(JOBS, "retention", "public.market_data").job_id == 1001
    with pytest.raises(ParamError, match=r"job=1005 is not a job of public.market_data; its jobs are: "
                                         r"1000 \(policy_compression\), 1001 \(policy_retention\)"):
        select_job(JOBS, 1005, "public.market_data")
    with pytest.raises(ParamError, match="matches several jobs"):
        select_job([*JOBS, _job(1002, "policy_compression", "compression")], "policy_compression", "x.y")
    with pytest.raises(ParamError, match="trigger db_policy_setup"):
        select_job([], "policy_reorder", "x.y")


@pytest.mark.parametrize(("job", "action", "needed", "destructive"), [
    (JOBS[0], "pause", True, False),
    (JOBS[0], "resume", False, False),
    (JOBS[1], "resume", True, False),
    (JOBS[1], "pause", False, False),
    (JOBS[0], "run_now", True, False),
    (JOBS[1], "run_now", True, True),
])
def test_job_action_is_skipped_when_already_in_state_and_running_retention_is_destructive(job, action, needed, destructive):
    planned = plan_job_action(job, action)
    assert (planned.needed, planned.destructive) == (needed, destructive)
    assert ("nothing to do" in planned.line()) is not needed


def _status(name: str, start_days_ago: float, compressed: bool, before: int | None = None, after: int | None = None,
            total: int | None = 1000) -> ChunkStatus:
    start = NOW - timedelta(days=start_days_ago)
    return ChunkStatus("_timescaledb_internal", name, start, start + timedelta(days=7), compressed, before, after, total)


def test_inefficient_chunks_are_compressed_ones_above_the_floor_that_saved_less_than_the_threshold():
    chunks = [
        _status("poor_big", 70, True, 10_000_000, 8_000_000),     # saved 20 %
        _status("good_big", 63, True, 10_000_000, 1_000_000),     # saved 90 %
        _status("poor_small", 56, True, 500_000, 400_000),        # below the 1 MB floor
        _status("poor_bigger", 49, True, 20_000_000, 15_000_000),  # saved 25 %
        _status("uncompressed", 42, False, None, None),
        _status("at_threshold", 35, True, 2_000_000, 1_000_000),  # saved exactly 50 %: not below
    ]
    found = inefficient_chunks(chunks, 50, 1_000_000)
    assert [c.name for c in found] == ["poor_bigger", "poor_big"]
    assert found[1].saved_percent == 20.0


def test_space_plan_drops_old_chunks_and_compresses_the_largest_closed_others():
    chunks = [
        _status("ancient", 60, False, total=9000),
        _status("old_big", 30, False, total=5000),
        _status("old_compressed", 23, True, 5000, 500, total=500),
        _status("mid", 16, False, total=3000),
        _status("small", 9, False, total=100),
        _status("active", 3, False, total=8000),  # range ends in the future: still receiving rows
    ]
    plan = plan_space_recovery("public.market_data", chunks, NOW, 2, drop_older_than_days=45)
    assert [c.name for c in plan.to_drop] == ["ancient"]
    assert [c.name for c in plan.to_compress] == ["old_big", "mid"]
    assert [c.name for c in plan.largest_uncompressed][:2] == ["active", "old_big"]
    assert plan.drop_cutoff == NOW - timedelta(days=45)
    text = "\n".join(plan.lines())
    assert "active: 8000 bytes" in text and "still receiving rows, not compressed" in text
    assert "DROP 1 chunks entirely older than" in text

    no_drop = plan_space_recovery("public.market_data", chunks, NOW, 5, drop_older_than_days=None)
    assert no_drop.to_drop == [] and no_drop.drop_cutoff is None
    assert [c.name for c in no_drop.to_compress] == ["ancient", "old_big", "mid", "small"]
    assert "drop: nothing" in "\n".join(no_drop.lines())


def test_chunk_health_flags_a_catalog_chunk_without_size_as_critical():
    findings = chunk_health_findings([
        _status("fine", 20, True, 100, 10), _status("lost", 13, False, total=None), _status("odd", 6, True, None, None),
    ])
    assert [(f.key, f.severity) for f in findings] == [
        ("chunk_without_size:_timescaledb_internal.lost", "critical"),
        ("compressed_chunk_without_stats:_timescaledb_internal.odd", "warning"),
    ]


def test_job_findings_report_paused_failed_jobs_and_errors_and_empty_job_stats_is_not_healthy():
    stats = [{"job_id": 1000, "procedure": "_timescaledb_functions.policy_compression", "scheduled": True,
              "last_run_status": "Failed", "total_runs": 4, "total_failures": 3, "last_run_started_at": NOW},
             {"job_id": 1001, "procedure": "_timescaledb_functions.policy_retention", "scheduled": False,
              "last_run_status": "Success", "total_runs": 1, "total_failures": 0, "last_run_started_at": NOW}]
    errors = [{"job_id": 1000, "procedure": "_timescaledb_functions.policy_compression", "sqlerrcode": "40P01",
               "message": "deadlock detected"}]
    findings = job_findings(stats, errors, 168, area="recovery", paused=True)
    assert [f.key for f in findings] == ["recovery.jobs.failing.1000", "recovery.jobs.paused.1001"]
    assert "[40P01] deadlock detected" in findings[0].message and "db_job_control" in findings[1].message
    assert job_notes(stats) == []
    never_run = [{**stats[0], "total_runs": 0, "last_run_started_at": None}]
    assert job_notes(never_run) == [NO_RUNS_NOTE]


def test_planned_chunks_survive_the_trip_through_xcom():
    chunk = Chunk("_timescaledb_internal", "_hyper_1_2_chunk", NOW, NOW + timedelta(days=7), False)
    assert Chunk.from_dict(chunk.as_dict()) == chunk
