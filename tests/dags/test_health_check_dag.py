"""db_health_check end to end with dag.test() against the harness's TimescaleDB, Docker engine and a Slack webhook."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.dag_runs import rendered_fields, task_states
from harness.market_data import load_market_data

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def health_env(tsdb, docker_client, webhook_server, airflow_home, monkeypatch, tmp_path):
    """A compressed-enabled hypertable with old uncompressed chunks, a stack of one container, alerts to Slack."""
    tag = uuid.uuid4().hex[:8]
    schema = f"health_dag_{tag}"
    with tsdb.connect() as conn:
        conn.prepare_threshold = None
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        load_market_data(conn, now=datetime.now(UTC), hypertable=True, h1_days=21, m1_days=0)
        conn.execute("ALTER TABLE market_data SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol')")
    label = f"tsdb_ops_health_dag={tag}"
    config = {"hypertable": f"{schema}.market_data", "retries": 0, "log_dir": str(tmp_path / "logs"),
              "report_dir": str(tmp_path / "reports"), "health_containers": f"label:{label}",
              "critical_channels": ["slack"], "warning_channels": ["slack"]}
    monkeypatch.setenv("AIRFLOW_CONN_TSDB_POSTGRES", tsdb.dsn())
    monkeypatch.setenv("AIRFLOW_CONN_TSDB_SLACK", json.dumps(
        {"conn_type": "slackwebhook", "password": webhook_server.url(f"/{tag}/slack/services/T0/B0/x")}))
    monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps(config))
    docker_client.containers.run("tsdb-ops-test/busybox:latest", ["sleep", "300"], name=f"tsdb-ops-health-api-{tag}",
                                 detach=True, labels={"tsdb_ops_health_dag": tag})
    yield {"tag": tag, "schema": schema, "tmp": tmp_path}
    for container in docker_client.containers.list(all=True, filters={"label": label}):
        container.remove(force=True)
    with tsdb.connect() as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _dag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(ROOT / "dags")).dags["db_health_check"]


def _wait_unhealthy(container, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        container.reload()
        if (container.attrs["State"].get("Health") or {}).get("Status") == "unhealthy":
            return
        time.sleep(0.3)
    raise AssertionError(f"container {container.name} did not become unhealthy")


def test_health_dag_is_scheduled_every_6_hours_and_reports_even_when_a_check_fails():
    dag = _dag()
    assert dag.timetable.expression == "30 */6 * * *"
    report = dag.get_task("alert_and_write_health_report")
    assert report.trigger_rule == "all_done"
    assert {t.task_id for t in report.upstream_list} == {t.task_id for t in dag.tasks if t.task_id.startswith("check_")}


def test_health_dag_warns_then_fails_on_an_unhealthy_container_after_alerting(health_env, docker_client, webhook_server):
    tag = health_env["tag"]
    first = _dag().test()
    assert set(task_states(first).values()) == {"success"}
    table_stats = rendered_fields(first, "read_table_stats")
    assert "pg_stat_user_tables s ON s.relid = c.oid" in table_stats["sql"] and len(table_stats["parameters"]["relids"]) >= 3
    assert "pg_blocking_pids" in rendered_fields(first, "read_blocked_locks")["sql"]
    reports = sorted((health_env["tmp"] / "reports" / "health").glob("health_*.md"))
    assert len(reports) == 1
    text = reports[0].read_text()
    assert "Verdict: **WARNING**" in text and "health.compression.overdue" in text
    assert f"tsdb-ops-health-api-{tag}" in text
    assert "Slow queries (pg_stat_statements)" in text and "pg_stat_statements is not available" not in text
    warnings = webhook_server.wait_for(1, f"/{tag}/slack")
    assert any("uncompressed" in json.dumps(p.json) for p in warnings)

    sick = docker_client.containers.run(
        "tsdb-ops-test/busybox:latest", ["sleep", "300"], name=f"tsdb-ops-health-db-{tag}", detach=True,
        labels={"tsdb_ops_health_dag": tag},
        healthcheck={"test": ["CMD", "sh", "-c", "echo db not ready; exit 1"], "interval": 500_000_000,
                     "timeout": 2_000_000_000, "retries": 1},
    )
    _wait_unhealthy(sick)
    second = _dag().test()
    states = task_states(second)
    assert states.pop("alert_and_write_health_report") == "failed"
    assert set(states.values()) == {"success"}
    posts = webhook_server.wait_for(len(warnings) + 1, f"/{tag}/slack")
    bodies = [json.dumps(p.json) for p in posts[len(warnings):]]
    assert any(f"tsdb-ops-health-db-{tag}" in b and "db not ready" in b for b in bodies)
    assert not any("uncompressed" in b for b in bodies)  # the open warning is not repeated within the window
    reports = sorted((health_env["tmp"] / "reports" / "health").glob("health_*.md"))
    assert len(reports) == 2 and "Verdict: **CRITICAL**" in reports[-1].read_text()
    log = (health_env["tmp"] / "logs" / "db_health.log").read_text()
    assert f"health.containers.unhealthy.tsdb-ops-health-db-{tag}" in log and "Health check: 1 critical" in log
