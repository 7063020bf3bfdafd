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


def test_every_dag_has_a_one_line_description(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.description and "\n" not in dag.description and len(dag.description) <= 120, dag_id


def test_trigger_forms_mark_only_truly_required_fields_and_accept_their_defaults(dagbag):
    """The UI's trigger form marks a field required unless its schema allows null: an optional param is nullable
    with default None (never an empty string the user must clear), every param has a title, and the defaults
    pass the form's own validation, so a dry run starts with one click."""
    for dag_id, dag in dagbag.dags.items():
        for name in dag.params:
            param, schema = dag.params.get_param(name).value, dag.params.get_param(name).schema
            assert schema.get("title"), f"{dag_id}: param {name} has no title"
            assert param != "", f"{dag_id}: param {name} defaults to an empty string; make it nullable (None)"
            types = schema.get("type")
            if param is None:
                assert isinstance(types, list) and "null" in types, f"{dag_id}: optional param {name} is not nullable"
        dag.params.validate()


def test_a_param_error_fails_the_task_at_once_without_retries():
    from airflow.sdk.exceptions import AirflowFailException

    from tsdb_ops.params import ParamError
    from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params

    @fail_fast_on_bad_params
    def validate(params=None):
        raise ParamError(f"param symbol={params['symbol']!r} is not a symbol name: use 1-32 letters")

    with pytest.raises(AirflowFailException, match=r"^ParamError: param symbol='EUR USD' is not a symbol name"):
        validate(params={"symbol": "EUR USD"})
    assert validate.__name__ == "validate"
