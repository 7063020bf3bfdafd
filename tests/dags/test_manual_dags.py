"""The manual chunk and job DAGs end to end with dag.test(run_conf=...) against the harness's TimescaleDB.

Market data in a unique schema: GBPUSD H1 bars for the last 8 weeks, EURUSD H1 bars only from 8 to 5 weeks ago,
7-day chunks, compression enabled (segmentby symbol). So some old chunks hold EURUSD rows and some do not.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from harness.dag_runs import load_dag, rendered_fields, task_states
from harness.market_data import create_schema, insert_bars

MALICIOUS_SYMBOL = "EURUSD'; DROP TABLE market_data;--"


@pytest.fixture
def manual_env(tsdb, airflow_home, monkeypatch, tmp_path):
    schema = f"man_{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with tsdb.connect() as conn:
        conn.prepare_threshold = None
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        create_schema(conn, hypertable=True)
        insert_bars(conn, "GBPUSD", "H1", now - timedelta(days=56), now)
        insert_bars(conn, "EURUSD", "H1", now - timedelta(days=56), now - timedelta(days=35))
        conn.execute(f'ALTER TABLE "{schema}".market_data SET (timescaledb.compress,'
                     " timescaledb.compress_segmentby = 'symbol', timescaledb.compress_orderby = 'timestamp')")
    config = {"hypertable": f"{schema}.market_data", "retries": 0, "log_dir": str(tmp_path / "logs"),
              "report_dir": str(tmp_path / "reports")}
    monkeypatch.setenv("AIRFLOW_CONN_TSDB_POSTGRES", tsdb.dsn())
    monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps(config))
    yield {"schema": schema, "hypertable": f"{schema}.market_data", "log": tmp_path / "logs" / "db_maintenance.log"}
    with tsdb.connect() as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _snapshot(tsdb, schema: str) -> dict:
    """Everything a manual DAG could change: chunks and their compression, row count, jobs and their state."""
    with tsdb.connect() as conn:
        chunks = dict(conn.execute(
            "SELECT chunk_name, is_compressed FROM timescaledb_information.chunks WHERE hypertable_schema = %s",
            (schema,)).fetchall())
        rows = conn.execute(f'SELECT count(*) FROM "{schema}".market_data').fetchone()[0]
        jobs = conn.execute("SELECT job_id, scheduled FROM timescaledb_information.jobs WHERE hypertable_schema = %s"
                            " ORDER BY job_id", (schema,)).fetchall()
    return {"chunks": chunks, "rows": rows, "jobs": jobs}


def _chunks_with_symbol_older_than(tsdb, hypertable: str, symbol: str, days: int) -> set[str]:
    """Computed independently of the DAG: count the symbol's rows in each old chunk's own table."""
    with tsdb.connect() as conn:
        old = [r[0] for r in conn.execute(
            "SELECT show_chunks(%s::regclass, older_than => make_interval(days => %s))::text", (hypertable, days))]
        return {name.split(".")[-1].strip('"') for name in old
                if conn.execute(f"SELECT count(*) FROM {name} WHERE symbol = %s", (symbol,)).fetchone()[0] > 0}


def _add_compression_policy(tsdb, hypertable: str) -> int:
    """A 21-day compression policy whose first background run is a day away (a native scheduler must not act)."""
    with tsdb.connect() as conn:
        return conn.execute("SELECT add_compression_policy(%s::regclass, interval '21 days',"
                            " initial_start => now() + interval '1 day')", (hypertable,)).fetchone()[0]


def test_compress_symbol_dry_run_changes_nothing_and_confirmed_run_compresses_exactly_the_symbols_chunks(
        tsdb, manual_env):
    before = _snapshot(tsdb, manual_env["schema"])
    expected = _chunks_with_symbol_older_than(tsdb, manual_env["hypertable"], "EURUSD", 14)
    older = _chunks_with_symbol_older_than(tsdb, manual_env["hypertable"], "GBPUSD", 14)
    assert expected and older - expected, "the data must have old chunks with and without EURUSD"

    dry = load_dag("db_compress_symbol").test(run_conf={"symbol": "EURUSD", "older_than_days": "2 weeks"})
    assert task_states(dry) == {"validate_params": "success", "check_symbol_has_rows": "success",
                                "list_old_chunks_holding_symbol": "success", "list_chunks_holding_symbol": "success",
                                "compress_listed_chunks": "skipped"}
    assert _snapshot(tsdb, manual_env["schema"]) == before
    log = manual_env["log"].read_text()
    assert f"{len(expected)} uncompressed chunks older than 14 days hold rows of EURUSD" in log
    assert all(f"compress _timescaledb_internal.{name}" in log for name in expected)
    # The SQL as it ran: the hypertable and its columns quoted as identifiers, the symbol and age bound.
    listed = rendered_fields(dry, "list_old_chunks_holding_symbol")
    assert f'SELECT 1 FROM "{manual_env["schema"]}"."market_data" AS m' in listed["sql"]
    assert 'WHERE m."symbol" = %(symbol)s' in listed["sql"] and 'm."timestamp" < c.range_end' in listed["sql"]
    assert "{hypertable}" not in listed["sql"] and "Guide section" in listed["sql"]
    assert (listed["parameters"]["symbol"], listed["parameters"]["older_than_days"]) == ("EURUSD", 14)
    checked = rendered_fields(dry, "check_symbol_has_rows")
    assert checked["sql"].strip().endswith(
        f'FROM "{manual_env["schema"]}"."market_data" WHERE "symbol" = %(symbol)s) AS symbol_has_rows')

    run = load_dag("db_compress_symbol").test(run_conf={"symbol": "EURUSD", "older_than_days": 14, "dry_run": False})
    assert set(task_states(run).values()) == {"success"}
    after = _snapshot(tsdb, manual_env["schema"])
    assert {name for name, compressed in after["chunks"].items() if compressed} == expected
    assert after["rows"] == before["rows"]


@pytest.mark.parametrize(("dag_id", "conf", "error"), [
    ("db_compress_symbol", {"symbol": MALICIOUS_SYMBOL, "dry_run": False}, "ParamError: param symbol="),
    ("db_compress_symbol", {"symbol": "EURUSD", "hypertable": 'market_data" WHERE true; --', "dry_run": False},
     "ParamError: param hypertable: hypertable name"),
    ("db_compress_symbol", {"hypertable": "market_data; drop", "dry_run": False},
     "ParamError: param hypertable: hypertable name 'market_data; drop' must be a table name"),
    ("db_compress_symbol", {"symbol": "EURUSD", "older_than_days": -5, "dry_run": False},
     "ParamError: param older_than_days=-5 is not an age in days"),
    ("db_emergency_space_recovery", {"drop_older_than_days": "1; DROP TABLE market_data", "dry_run": False},
     "ParamError: param drop_older_than_days='1; DROP TABLE market_data' is not an age in days"),
    ("db_job_control", {"job": "1); DROP TABLE market_data; --", "action": "run_now", "dry_run": False},
     "ParamError: param job='1); DROP TABLE market_data; --' is neither a job id nor a proc name"),
    ("db_recompress_inefficient", {"hypertable": "pg_catalog.pg_class", "dry_run": False},
     "is not a TimescaleDB hypertable"),
], ids=["symbol-injection", "hypertable-injection", "hypertable-identifier-injection", "negative-days",
        "drop-age-injection", "job-injection", "not-a-hypertable"])
def test_malicious_or_invalid_params_fail_the_first_task_with_a_clear_error_and_change_nothing(
        tsdb, manual_env, capfd, dag_id, conf, error):
    if "hypertable" not in conf:
        conf = {**conf, "confirm": manual_env["hypertable"]}
    _add_compression_policy(tsdb, manual_env["hypertable"])
    before = _snapshot(tsdb, manual_env["schema"])
    capfd.readouterr()
    run = load_dag(dag_id).test(run_conf=conf)
    states = task_states(run)
    first = next(iter(load_dag(dag_id).topological_sort())).task_id
    assert states.pop(first) == "failed"
    assert set(states.values()) == {"upstream_failed"}
    assert error in capfd.readouterr().out
    assert _snapshot(tsdb, manual_env["schema"]) == before


def test_compress_symbol_without_rows_fails_the_plan_at_once_naming_the_symbol_and_changes_nothing(
        tsdb, manual_env, capfd):
    before = _snapshot(tsdb, manual_env["schema"])
    capfd.readouterr()
    run = load_dag("db_compress_symbol").test(run_conf={"symbol": "EURUSX", "older_than_days": 14, "dry_run": False})
    assert task_states(run) == {"validate_params": "success", "check_symbol_has_rows": "success",
                                "list_old_chunks_holding_symbol": "success", "list_chunks_holding_symbol": "failed",
                                "compress_listed_chunks": "upstream_failed"}
    assert (f"ParamError: param symbol='EURUSX': {manual_env['hypertable']} holds no row of this symbol; "
            "check its spelling") in capfd.readouterr().out
    assert rendered_fields(run, "check_symbol_has_rows")["parameters"]["symbol"] == "EURUSX"
    assert _snapshot(tsdb, manual_env["schema"]) == before


def test_emergency_drop_needs_the_confirmation_and_then_drops_exactly_the_listed_chunks(tsdb, manual_env, capfd):
    before = _snapshot(tsdb, manual_env["schema"])
    conf = {"drop_older_than_days": 42, "compress_largest": 2, "dry_run": False}
    capfd.readouterr()
    refused = load_dag("db_emergency_space_recovery").test(run_conf={**conf, "confirm": "market_data_typo"})
    assert task_states(refused)["validate_params"] == "failed"
    assert "dropping chunks older than 42 days is destructive: set param confirm" in capfd.readouterr().out
    assert _snapshot(tsdb, manual_env["schema"]) == before

    dry = load_dag("db_emergency_space_recovery").test(run_conf={"drop_older_than_days": 42, "compress_largest": 2})
    assert task_states(dry)["drop_listed_chunks"] == "skipped" and task_states(dry)["compress_largest_chunks"] == "skipped"
    assert _snapshot(tsdb, manual_env["schema"]) == before
    listed = {line.split("drop ")[-1].split(" (")[0].split(".")[-1]
              for line in manual_env["log"].read_text().splitlines() if "  drop _timescaledb_internal." in line}
    assert listed

    run = load_dag("db_emergency_space_recovery").test(run_conf={**conf, "confirm": manual_env["hypertable"]})
    assert task_states(run) == {"validate_params": "success", "read_compression_summary": "success",
                                "read_chunk_compression": "success", "report_largest_uncompressed_chunks": "success",
                                "drop_listed_chunks": "success", "compress_largest_chunks": "success"}
    summary = rendered_fields(run, "read_compression_summary")
    assert "approximate_row_count(%(hypertable)s::regclass)" in summary["sql"]
    assert summary["parameters"]["schema"] == manual_env["schema"]
    after = _snapshot(tsdb, manual_env["schema"])
    assert set(before["chunks"]) - set(after["chunks"]) == listed
    assert sum(after["chunks"].values()) == 2
    assert after["rows"] < before["rows"]


def test_job_control_pauses_resumes_refuses_another_hypertables_job_and_unconfirmed_retention_run(
        tsdb, manual_env, capfd):
    job_id = _add_compression_policy(tsdb, manual_env["hypertable"])
    with tsdb.connect() as conn:
        conn.execute(f'CREATE TABLE "{manual_env["schema"]}".other (ts timestamptz NOT NULL, v int)')
        conn.execute("SELECT create_hypertable(%s::regclass, 'ts')", (f'{manual_env["schema"]}.other',))
        conn.execute(f'ALTER TABLE "{manual_env["schema"]}".other SET (timescaledb.compress)')
        other_job = conn.execute("SELECT add_compression_policy(%s::regclass, interval '7 days',"
                                 " initial_start => now() + interval '1 day')",
                                 (f'{manual_env["schema"]}.other',)).fetchone()[0]

    def scheduled(job: int) -> bool:
        with tsdb.connect() as conn:
            return conn.execute("SELECT scheduled FROM timescaledb_information.jobs WHERE job_id = %s",
                                (job,)).fetchone()[0]

    dry = load_dag("db_job_control").test(run_conf={"job": job_id, "action": "pause"})
    assert task_states(dry) == {"validate_params": "success", "list_policy_jobs": "success",
                                "plan_job_action": "success", "apply_job_action": "skipped"}
    assert scheduled(job_id)
    listed = rendered_fields(dry, "list_policy_jobs")
    assert "FROM timescaledb_information.jobs" in listed["sql"] and "proc_name = ANY(%(proc_names)s" in listed["sql"]
    assert listed["parameters"]["schema"] == manual_env["schema"]
    assert "policy_compression" in listed["parameters"]["proc_names"]
    assert f"db_job_control:   job {job_id}: policy_compression (compression), scheduled" in manual_env["log"].read_text()

    paused = load_dag("db_job_control").test(run_conf={"job": "policy_compression", "action": "pause", "dry_run": False})
    assert task_states(paused)["apply_job_action"] == "success"
    assert not scheduled(job_id) and scheduled(other_job)

    capfd.readouterr()
    foreign = load_dag("db_job_control").test(run_conf={"job": other_job, "action": "resume", "dry_run": False})
    assert task_states(foreign)["plan_job_action"] == "failed"
    assert f"param job={other_job} is not a job of {manual_env['hypertable']}" in capfd.readouterr().out

    resumed = load_dag("db_job_control").test(run_conf={"job": str(job_id), "action": "resume", "dry_run": False})
    assert task_states(resumed)["apply_job_action"] == "success"
    assert scheduled(job_id)

    with tsdb.connect() as conn:
        conn.execute("SELECT add_retention_policy(%s::regclass, interval '30 days', initial_start => now() + interval '1 day')",
                     (manual_env["hypertable"],))
    before = _snapshot(tsdb, manual_env["schema"])
    unconfirmed = load_dag("db_job_control").test(run_conf={"job": "policy_retention", "action": "run_now", "dry_run": False})
    assert task_states(unconfirmed)["plan_job_action"] == "failed"
    assert "running retention job" in capfd.readouterr().out
    assert _snapshot(tsdb, manual_env["schema"]) == before


def _compressed_chunk_ids(tsdb, schema: str) -> dict[str, int | None]:
    """Each chunk's compressed companion: a recompression replaces it with a new one."""
    with tsdb.connect() as conn:
        return dict(conn.execute(
            "SELECT c.table_name, c.compressed_chunk_id FROM _timescaledb_catalog.chunk c"
            " JOIN _timescaledb_catalog.hypertable h ON h.id = c.hypertable_id"
            # 'dropped' is not a column of the chunk catalog on every release (2.28 has none): read it when present.
            " WHERE h.schema_name = %s AND NOT coalesce((to_jsonb(c) ->> 'dropped')::boolean, false)",
            (schema,)).fetchall())


def test_recompress_dry_run_changes_nothing_and_run_recompresses_only_chunks_above_the_size_floor(tsdb, manual_env):
    with tsdb.connect() as conn:
        conn.execute("SELECT compress_chunk(c) FROM show_chunks(%s::regclass, older_than => interval '14 days') c",
                     (manual_env["hypertable"],))
        sizes = dict(conn.execute("SELECT chunk_name, before_compression_total_bytes FROM chunk_compression_stats(%s)"
                                  " WHERE before_compression_total_bytes IS NOT NULL",
                                  (manual_env["hypertable"],)).fetchall())
    floor = sorted(sizes.values())[len(sizes) // 2]
    expected = {name for name, size in sizes.items() if size > floor}
    assert 0 < len(expected) < len(sizes)
    before = _compressed_chunk_ids(tsdb, manual_env["schema"])
    conf = {"max_saved_percent": 100, "min_chunk_bytes": floor}

    dry = load_dag("db_recompress_inefficient").test(run_conf=conf)
    assert task_states(dry)["recompress_listed_chunks"] == "skipped"
    assert _compressed_chunk_ids(tsdb, manual_env["schema"]) == before

    run = load_dag("db_recompress_inefficient").test(run_conf={**conf, "dry_run": False})
    assert set(task_states(run).values()) == {"success"}
    assert "chunk_compression_stats(%(hypertable)s::regclass)" in rendered_fields(run, "read_chunk_compression")["sql"]
    after = _compressed_chunk_ids(tsdb, manual_env["schema"])
    assert {name for name in before if after[name] != before[name]} == expected
    assert all(after[name] is not None for name in sizes)
    assert "saved" in manual_env["log"].read_text() and "after recompression" in manual_env["log"].read_text()


def test_crash_recovery_dry_run_only_reports_and_run_compresses_past_the_policy_and_triggers_weekly_maintenance(
        tsdb, manual_env):
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    _add_compression_policy(tsdb, manual_env["hypertable"])
    before = _snapshot(tsdb, manual_env["schema"])
    dry = load_dag("db_crash_recovery_check").test()
    states = task_states(dry)
    assert [states[t] for t in ("validate_params", "check_job_stats", "check_chunk_health",
                                "list_uncompressed_chunks_past_policy")] == ["success"] * 4
    assert {states[t] for t in ("compress_chunks_past_policy", "decide_weekly_maintenance_handoff",
                                "trigger_weekly_maintenance")} == {"skipped"}
    assert _snapshot(tsdb, manual_env["schema"]) == before
    log = manual_env["log"].read_text()
    assert "older than 21 days (compression policy job" in log
    if tsdb.single_connection:  # no background scheduler: job_stats has no run, which must be said
        assert "job_stats holds no run of these jobs" in log

    run = load_dag("db_crash_recovery_check").test(run_conf={"dry_run": False})
    assert set(task_states(run).values()) == {"success"}
    with tsdb.connect() as conn:
        compressed = {r[0] for r in conn.execute(
            "SELECT chunk_name FROM timescaledb_information.chunks WHERE hypertable_schema = %s AND is_compressed",
            (manual_env["schema"],))}
        past_policy = {r[0].split(".")[-1].strip('"') for r in conn.execute(
            "SELECT show_chunks(%s::regclass, older_than => interval '21 days')::text", (manual_env["hypertable"],))}
    assert compressed == past_policy and past_policy
    with create_session() as session:
        handed_off = session.query(DagRun).filter(DagRun.dag_id == "db_weekly_maintenance",
                                                  DagRun.run_id == f"after_crash_recovery__{run.run_id}").all()
        assert len(handed_off) == 1
        session.delete(handed_off[0])


@pytest.mark.parametrize("dag_id", ["db_compress_symbol", "db_recompress_inefficient", "db_emergency_space_recovery",
                                    "db_job_control", "db_crash_recovery_check", "db_policy_setup"])
def test_each_manual_dag_triggered_with_its_form_defaults_is_a_dry_run_that_changes_nothing(tsdb, manual_env, dag_id):
    _add_compression_policy(tsdb, manual_env["hypertable"])
    before = _snapshot(tsdb, manual_env["schema"])
    run = load_dag(dag_id).test()
    states = task_states(run)
    assert "failed" not in states.values() and "upstream_failed" not in states.values(), states
    assert _snapshot(tsdb, manual_env["schema"]) == before


def test_a_bad_param_fails_the_first_task_at_once_although_retries_are_configured(manual_env, monkeypatch, capfd):
    config = json.loads(os.environ["AIRFLOW_VAR_TSDB_OPS_CONFIG"])
    monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps({**config, "retries": 2}))
    dag = load_dag("db_compress_symbol")
    assert dag.get_task("validate_params").retries == 2
    run = dag.test(run_conf={"symbol": MALICIOUS_SYMBOL})
    (validate,) = [ti for ti in run.get_task_instances() if ti.task_id == "validate_params"]
    assert (validate.state, validate.try_number) == ("failed", 1)
    assert "AirflowFailException: ParamError: param symbol=" in capfd.readouterr().out
