"""Weekly steps, the daily policy run and policy setup against the harness's TimescaleDB."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.rows import dict_row

from harness.market_data import load_market_data
from tsdb_ops.config import OpsConfig
from tsdb_ops.files import read_sql
from tsdb_ops.maintenance.policy_run import judge_policy_run, prepare_policy_run
from tsdb_ops.maintenance.policy_setup import apply_policy_changes, policy_drift, read_actual_policies
from tsdb_ops.maintenance.weekly import (
    CHUNK_STATISTICS_SQL,
    VACUUM_ANALYZE_SQL,
    analyze_stale_chunks,
    compress_old_chunks,
    drop_old_chunks,
)
from tsdb_ops.timescale.chunks import list_chunks
from tsdb_ops.timescale.jobs import run_job
from tsdb_ops.timescale.table import resolve_table


def ensure_policies(conn, hypertable, config, *, apply, progress):
    """db_policy_setup's steps (read, plan, apply) in one call, as its tasks run them."""
    drift = policy_drift(config, read_actual_policies(conn, hypertable), str(hypertable))
    for line in drift.lines():
        progress(line)
    result = {**drift.as_dict(), "applied": [], "notices": []}
    if not apply:
        progress(drift.dry_run_line())
        return result
    return {**result, **apply_policy_changes(conn, hypertable, config, drift.changes, progress)}


DROP_AGE_DAYS = 300  # the ancient rows are 400 days old: older than this, as 6-year-old rows are older than 5 years



@pytest.fixture
def market(tsdb, tmp_path):
    schema = f"mt_{uuid.uuid4().hex[:8]}"
    with tsdb.connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        load_market_data(conn, now=datetime.now(UTC), hypertable=True, h1_days=105, m1_days=2, ancient_days=7,
                         ancient_age_days=400)
    config = OpsConfig.from_mapping({"hypertable": f"{schema}.market_data", "drop_chunks_older_than_days": DROP_AGE_DAYS,
                                     "log_dir": str(tmp_path / "logs"), "report_dir": str(tmp_path / "reports")})
    yield config
    with tsdb.connect() as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _rows_newer_than(conn: psycopg.Connection, table: str, days: int) -> int:
    return conn.execute(f"SELECT count(*) FROM {table} WHERE timestamp >= now() - make_interval(days => %s)",
                        (days,)).fetchone()[0]


def test_weekly_steps_drop_ancient_compress_old_keep_new_and_rows_and_rerun_harmlessly(tsdb, market):
    progress: list[str] = []
    with tsdb.connect() as conn:
        hypertable = resolve_table(conn, market.hypertable)
        ensure_policies(conn, hypertable, market, apply=False, progress=progress.append)  # dry run: compression off
        conn.execute(f"ALTER TABLE {market.hypertable} SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol')")
        kept_rows = _rows_newer_than(conn, market.hypertable, DROP_AGE_DAYS)
        newest_before = {str(c) for c in list_chunks(conn, hypertable) if c.range_end > datetime.now(UTC) - timedelta(30)}
        started = datetime.now(UTC)

        dropped = drop_old_chunks(conn, hypertable, market, progress.append)
        compressed = compress_old_chunks(conn, hypertable, market, progress.append)
        conn.execute(read_sql(VACUUM_ANALYZE_SQL))  # the DAG's SQL step (autocommit session)
        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(read_sql(CHUNK_STATISTICS_SQL), hypertable.params).fetchall()
        statistics = analyze_stale_chunks(conn, rows, market, started, progress.append)

        chunks = list_chunks(conn, hypertable)
        now = datetime.now(UTC)
        assert len(dropped) >= 1
        assert all(c.range_end > now - timedelta(DROP_AGE_DAYS) for c in chunks)
        old = [c for c in chunks if c.range_end <= now - timedelta(30)]
        assert old and all(c.is_compressed for c in old)
        assert all(not c.is_compressed for c in chunks if str(c) in newest_before)
        assert _rows_newer_than(conn, market.hypertable, DROP_AGE_DAYS) == kept_rows
        assert statistics["chunks"] == len(chunks) and statistics["live_tuples"] > 0
        assert any(line.startswith(f"1/{len(compressed['compressed'])} chunks:") for line in progress)

        assert drop_old_chunks(conn, hypertable, market, progress.append) == []
        again = compress_old_chunks(conn, hypertable, market, progress.append)
        assert again["compressed"] == [] and sorted(again["already_compressed"]) == sorted(compressed["compressed"])
        assert _rows_newer_than(conn, market.hypertable, DROP_AGE_DAYS) == kept_rows


def test_policy_setup_dry_run_changes_nothing_apply_converges_and_re_adds_a_missing_policy(tsdb, market):
    lines: list[str] = []
    with tsdb.connect() as conn:
        hypertable = resolve_table(conn, market.hypertable)
        dry = ensure_policies(conn, hypertable, market, apply=False, progress=lines.append)
        assert len(dry["drift"]) == 4 and dry["applied"] == []
        assert any("timeframe" in advice for advice in dry["advice"])
        assert conn.execute("SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_name = 'market_data'"
                            " AND hypertable_schema = %s", (hypertable.schema,)).fetchone()[0] == 0

        applied = ensure_policies(conn, hypertable, market, apply=True, progress=lines.append)
        assert any("timeframe" in notice for notice in applied["notices"])
        jobs = dict(conn.execute(
            "SELECT proc_name, schedule_interval FROM timescaledb_information.jobs WHERE hypertable_schema = %s",
            (hypertable.schema,)).fetchall())
        assert jobs == {"policy_compression": timedelta(hours=12), "policy_retention": timedelta(days=1),
                        "policy_reorder": timedelta(hours=12)}
        assert ensure_policies(conn, hypertable, market, apply=True, progress=lines.append)["drift"] == []

        conn.execute("SELECT remove_reorder_policy(%s::regclass)", (market.hypertable,))
        assert [d.split(":")[0] for d in ensure_policies(conn, hypertable, market, apply=False,
                                                          progress=lines.append)["drift"]] == ["add_reorder_policy"]
        ensure_policies(conn, hypertable, market, apply=True, progress=lines.append)
        assert ensure_policies(conn, hypertable, market, apply=False, progress=lines.append)["drift"] == []


def test_policy_setup_reads_a_never_run_job_at_minus_infinity_and_staggers_every_policy(tsdb, market):
    """alter_job(schedule_interval) on a job that never ran stores next_start = -infinity; apply must read it, change
    it and leave the three policies due at different, finite moments."""
    from tsdb_ops.timescale.jobs import find_policy_jobs, job_stats

    with tsdb.connect() as conn:
        hypertable = resolve_table(conn, market.hypertable)
        ensure_policies(conn, hypertable, market, apply=True, progress=lambda _: None)
        reorder = find_policy_jobs(conn, hypertable, "reorder")[0]
        conn.execute("SELECT alter_job(%s, schedule_interval => interval '1 day')", (reorder.job_id,))
        assert conn.execute("SELECT next_start::text FROM timescaledb_information.jobs WHERE job_id = %s",
                            (reorder.job_id,)).fetchone()[0] == "-infinity"
        assert find_policy_jobs(conn, hypertable, "reorder")[0].next_start is None
        assert [row["next_start"] for row in job_stats(conn, [reorder.job_id])] == [None]

        lines: list[str] = []
        result = ensure_policies(conn, hypertable, market, apply=True, progress=lines.append)
        assert [line.split(":")[0] for line in result["applied"]] == ["set_schedule"]
        jobs = {job.kind: job for job in find_policy_jobs(conn, hypertable)}
        now = conn.execute("SELECT now()").fetchone()[0]
    starts = sorted(job.next_start for job in jobs.values())
    assert len(starts) == 3 and all(start is not None and start > now for start in starts), jobs
    assert all(later - earlier >= timedelta(hours=2, minutes=59) for earlier, later in itertools.pairwise(starts)), starts
    assert any("first run" in line for line in lines)


def _run_policies(conn, hypertable):
    """What db_daily_cleanup does: find the jobs, CALL run_job for each (its SQL steps), judge by the chunks."""
    start = prepare_policy_run(conn, hypertable)
    for job_id in start.jobs.values():
        run_job(conn, job_id)
    return judge_policy_run(conn, hypertable, start)


def test_daily_policy_run_drops_past_retention_compresses_past_policy_and_judges_by_chunks(tsdb, market):
    with tsdb.connect() as conn:
        hypertable = resolve_table(conn, market.hypertable)
        ensure_policies(conn, hypertable, market, apply=True, progress=lambda _: None)
        report = _run_policies(conn, hypertable)
        again = _run_policies(conn, hypertable)
    assert report.problems == [] and report.chunks_after < report.chunks_before
    assert len(report.dropped) >= 1 and len(report.newly_compressed) >= 10
    assert again.problems == [] and again.dropped == [] and again.newly_compressed == []
    if tsdb.is_wasm:
        assert "no run recorded" in report.job_stats_note
