"""Every DAG file imports cleanly and carries the shared settings: schedule, tags, retries, docs, alerts."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCHEDULED = {
    "db_daily_cleanup": "0 3 * * *",
    "db_weekly_maintenance": "15 4 * * 0",
    "db_nightly_backup": "0 2 * * *",
    "db_backup_monitor": "0 * * * *",
    "db_restore_verification": "0 5 * * 0",
    "db_health_check": "30 */6 * * *",
}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(ROOT / "dags"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


@pytest.mark.parametrize(("dag_id", "cron"), sorted(SCHEDULED.items()))
def test_scheduled_dag_runs_on_the_guides_schedule(dagbag, dag_id, cron):
    dag = dagbag.dags[dag_id]
    assert dag.timetable.expression == cron
    assert str(dag.timetable.timezone.name) == "UTC"
    assert dag.catchup is False
    assert dag.max_active_runs == 1


def test_every_dag_is_documented_tagged_and_retried(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.doc_md and dag_id in dag.doc_md, dag_id
        assert "tsdb-ops" in dag.tags, dag_id
        for task in dag.tasks:
            assert task.retries >= 1, f"{dag_id}.{task.task_id}"
            assert task.retry_exponential_backoff, f"{dag_id}.{task.task_id}"


def test_every_task_carries_the_failure_alert_exactly_once(dagbag):
    from tsdb_ops.alerts.task_failure import notify_task_failure

    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            callbacks = task.on_failure_callback
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert callbacks.count(notify_task_failure) == 1, f"{dag_id}.{task.task_id}"
