"""db_compress_time_range end to end with dag.test(run_conf=...) against the harness's TimescaleDB.

GBPUSD and EURUSD H1 bars over the last 8 weeks in a unique schema, 7-day chunks, compression enabled (segmentby
symbol), no chunk compressed yet.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from harness.dag_runs import load_dag, rendered_fields, task_states
from harness.market_data import create_schema, insert_bars


@pytest.fixture
def range_env(tsdb, airflow_home, monkeypatch, tmp_path):
    schema = f"rng_{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with tsdb.connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        create_schema(conn, hypertable=True)
        for symbol in ("GBPUSD", "EURUSD"):
            insert_bars(conn, symbol, "H1", now - timedelta(days=56), now)
        conn.execute(f'ALTER TABLE "{schema}".market_data SET (timescaledb.compress,'
                     " timescaledb.compress_segmentby = 'symbol', timescaledb.compress_orderby = 'timestamp')")
    config = {"hypertable": f"{schema}.market_data", "retries": 0, "log_dir": str(tmp_path / "logs"),
              "report_dir": str(tmp_path / "reports")}
    monkeypatch.setenv("AIRFLOW_CONN_TSDB_POSTGRES", tsdb.dsn())
    monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps(config))
    yield {"schema": schema, "log": tmp_path / "logs" / "db_maintenance.log"}
    with tsdb.connect() as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _chunks(tsdb, schema: str) -> list[tuple[str, datetime, datetime, bool]]:
    with tsdb.connect() as conn:
        return conn.execute("SELECT chunk_name, range_start, range_end, is_compressed FROM timescaledb_information.chunks"
                            " WHERE hypertable_schema = %s ORDER BY range_start", (schema,)).fetchall()


def _rows(tsdb, schema: str) -> int:
    with tsdb.connect() as conn:
        return conn.execute(f'SELECT count(*) FROM "{schema}".market_data').fetchone()[0]


def test_dry_run_changes_nothing_and_a_run_compresses_exactly_the_chunks_lying_within_the_range(tsdb, range_env):
    chunks = _chunks(tsdb, range_env["schema"])
    assert len(chunks) >= 6 and not any(c[3] for c in chunks)
    # The range starts in the middle of the second chunk and ends at the start of the fifth (excluded):
    # exactly the third and fourth chunks lie within it.
    start = (chunks[1][1] + timedelta(days=1)).isoformat()
    end = chunks[4][1].isoformat()
    expected = {chunks[2][0], chunks[3][0]}
    rows = _rows(tsdb, range_env["schema"])

    dry = load_dag("db_compress_time_range").test(run_conf={"start": start, "end": end})
    assert task_states(dry) == {"validate_params": "success", "list_chunks_in_range": "success",
                                "compress_listed_chunks": "skipped"}
    assert _chunks(tsdb, range_env["schema"]) == chunks
    log = range_env["log"].read_text()
    assert "2 uncompressed chunks lie within" in log
    assert all(f"compress _timescaledb_internal.{name}" in log for name in expected)
    listed = rendered_fields(dry, "list_chunks_in_range")
    assert "OR c.range_end <= %(end)s::timestamptz" in listed["sql"] and "Guide section" in listed["sql"]
    assert listed["parameters"]["schema"] == range_env["schema"]
    assert listed["parameters"]["start"] == datetime.fromisoformat(start).isoformat()

    run = load_dag("db_compress_time_range").test(run_conf={"start": start, "end": end, "dry_run": False})
    assert set(task_states(run).values()) == {"success"}
    assert {c[0] for c in _chunks(tsdb, range_env["schema"]) if c[3]} == expected
    assert _rows(tsdb, range_env["schema"]) == rows

    # Open-ended: everything before the range's end; the two compressed ones are no longer listed.
    again = load_dag("db_compress_time_range").test(run_conf={"end": end, "dry_run": False})
    assert set(task_states(again).values()) == {"success"}
    assert {c[0] for c in _chunks(tsdb, range_env["schema"]) if c[3]} == {c[0] for c in chunks[:4]}


@pytest.mark.parametrize(("conf", "error"), [
    ({"start": "2026-03-01", "end": "2026-02-01"}, "give an empty range"),
    ({"start": "yesterday"}, "param start='yesterday' is not a time"),
    ({"end": "2026-02-01'; DROP TABLE market_data; --"}, "is not a time"),
], ids=["start-after-end", "not-a-date", "injection"])
def test_invalid_ranges_fail_the_first_task_and_change_nothing(tsdb, range_env, capfd, conf, error):
    chunks = _chunks(tsdb, range_env["schema"])
    capfd.readouterr()
    run = load_dag("db_compress_time_range").test(run_conf={**conf, "dry_run": False})
    states = task_states(run)
    assert states.pop("validate_params") == "failed"
    assert set(states.values()) == {"upstream_failed"}
    assert error in capfd.readouterr().out
    assert _chunks(tsdb, range_env["schema"]) == chunks


def test_weekly_report_shows_days_and_distribution_and_a_range_picked_from_it_compresses_those_days(
        tsdb, range_env, tmp_path):
    weekly = load_dag("db_weekly_maintenance").test()
    assert set(task_states(weekly).values()) == {"success"}
    report = next((tmp_path / "reports" / "compression").glob("*.md")).read_text()
    assert "## Timeline (per day of chunk start)" in report and "### Per symbol and timeframe" in report
    with tsdb.connect() as conn:
        exact = dict(conn.execute(f'SELECT symbol, count(*) FROM "{range_env["schema"]}".market_data GROUP BY 1'))
    for symbol, rows in exact.items():
        assert f"| {symbol} | {rows} |" in report  # per symbol: exact, unlabelled
    # The uncompressed days of the per-day timeline, oldest first, picked as the range [first day, last day + 1).
    days = sorted(line.split(" | ")[0].strip("| ") for line in report.split("## Timeline (per day")[1].split("##")[0]
                  .splitlines() if line.startswith("| 20") and " | 0 | " in line)
    chunks = _chunks(tsdb, range_env["schema"])
    pending = [c for c in chunks if not c[3] and c[1].strftime("%Y-%m-%d") in days[:2]]
    assert len(pending) == 2
    run = load_dag("db_compress_time_range").test(run_conf={
        "start": days[0], "end": (pending[-1][2]).isoformat(), "dry_run": False})
    assert set(task_states(run).values()) == {"success"}
    assert {c[0] for c in _chunks(tsdb, range_env["schema"]) if c[3]} == {c[0] for c in chunks if c[3]} | {
        c[0] for c in pending}
