"""The three maintenance DAGs end to end with dag.test() against the harness's TimescaleDB and Docker engine."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from harness.dag_runs import load_dag, rendered_fields, task_states
from harness.market_data import load_market_data


@pytest.fixture
def maintenance_env(tsdb, docker_client, airflow_home, monkeypatch, tmp_path):
    """market_data in a unique schema, the Airflow connection and config pointing at it, the heavy pool."""
    schema = f"dag_{uuid.uuid4().hex[:8]}"
    with tsdb.connect() as conn:
        conn.prepare_threshold = None
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        load_market_data(conn, now=datetime.now(UTC), hypertable=True, h1_days=105, m1_days=2, ancient_days=7,
                         ancient_age_days=400)
    # retries 0: a failing task fails the run at once instead of dag.test() waiting out the retry delay.
    config = {"hypertable": f"{schema}.market_data", "drop_chunks_older_than_days": 300, "retries": 0,
              "log_dir": str(tmp_path / "logs"), "report_dir": str(tmp_path / "reports"),
              "docker_prune_filters": {"label": [f"tsdb_ops_dag_test={schema}"]}}
    monkeypatch.setenv("AIRFLOW_CONN_TSDB_POSTGRES", tsdb.dsn())
    monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps(config))
    stopped = docker_client.containers.create("tsdb-ops-test/busybox:latest", ["true"],
                                              labels={"tsdb_ops_dag_test": schema})
    yield {"schema": schema, "tmp": tmp_path, "stopped": stopped.id}
    for container in docker_client.containers.list(all=True, filters={"label": f"tsdb_ops_dag_test={schema}"}):
        container.remove(force=True)
    with tsdb.connect() as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_policy_setup_then_daily_then_weekly_run_end_to_end_and_rerun_harmlessly(tsdb, maintenance_env):
    reads = {"resolve_hypertable": "success", "read_compression_settings": "success",
             "read_unique_indexes": "success", "read_policy_jobs": "success", "plan_policy_changes": "success"}
    dry = load_dag("db_policy_setup").test()
    assert task_states(dry) == {**reads, "apply_policy_changes": "skipped"}
    with tsdb.connect() as conn:
        assert conn.execute("SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_schema = %s",
                            (maintenance_env["schema"],)).fetchone()[0] == 0
    applied = load_dag("db_policy_setup").test(run_conf={"apply": True})
    assert task_states(applied) == {**reads, "apply_policy_changes": "success"}
    jobs = rendered_fields(applied, "read_policy_jobs")
    assert "FROM timescaledb_information.jobs" in jobs["sql"] and "AS age_days" in jobs["sql"]
    assert jobs["parameters"]["schema"] == maintenance_env["schema"]
    assert "policy_retention" in jobs["parameters"]["proc_names"]
    settings = rendered_fields(applied, "read_compression_settings")
    assert "FROM timescaledb_information.hypertables h" in settings["sql"] and "Guide section" in settings["sql"]
    assert "indisunique" in rendered_fields(applied, "read_unique_indexes")["sql"]
    again = load_dag("db_policy_setup").test()
    assert task_states(again) == {**reads, "apply_policy_changes": "skipped"}

    daily = load_dag("db_daily_cleanup").test()
    assert task_states(daily) == {"prune_docker_system": "success", "find_policy_jobs": "success",
                                  "run_retention_policy_job": "success", "run_compression_policy_job": "success",
                                  "check_chunks_after_policies": "success"}
    run_job = rendered_fields(daily, "run_retention_policy_job")
    assert run_job["sql"].strip().endswith("CALL run_job(%(job_id)s::int)") and isinstance(run_job["parameters"]["job_id"], int)
    weekly = load_dag("db_weekly_maintenance").test()
    assert set(task_states(weekly).values()) == {"success"}
    weekly_again = load_dag("db_weekly_maintenance").test()
    assert set(task_states(weekly_again).values()) == {"success"}
    vacuum = rendered_fields(weekly_again, "vacuum_analyze_database")
    assert vacuum["sql"].strip().endswith("VACUUM (ANALYZE)") and "Guide section" in vacuum["sql"]
    assert "statement_timeout=3600000ms" in vacuum["hook_params"]["options"]
    statistics = rendered_fields(weekly_again, "read_chunk_statistics")
    assert "FROM timescaledb_information.chunks c" in statistics["sql"]
    assert statistics["parameters"]["schema"] == maintenance_env["schema"]
    assert "hypertable_compression_stats(%(hypertable)s::regclass)" in rendered_fields(
        weekly_again, "read_compression_summary")["sql"]

    with tsdb.connect() as conn:
        uncompressed_old = conn.execute(
            "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = %s AND NOT is_compressed"
            " AND range_end <= now() - interval '7 days'", (maintenance_env["schema"],)).fetchone()[0]
        oldest = conn.execute(f'SELECT min(timestamp) FROM "{maintenance_env["schema"]}".market_data').fetchone()[0]
    assert uncompressed_old == 0
    assert (datetime.now(UTC) - oldest).days <= 105
    reports = sorted((maintenance_env["tmp"] / "reports" / "compression").glob("*.md"))
    assert len(reports) == 2 and "# Compression status of" in reports[-1].read_text()
    log = (maintenance_env["tmp"] / "logs" / "db_maintenance.log").read_text()
    for line in ("Starting database maintenance tasks...", "Running VACUUM ANALYZE...", "Docker prune: 1 containers",
                 "Generating compression status report...", "policy setup: Applied add_reorder_policy",
                 "policy setup: Policy drift of", "policy setup: Dry run: nothing changed (trigger with apply=true",
                 "policy setup: Nothing to change"):
        assert line in log
