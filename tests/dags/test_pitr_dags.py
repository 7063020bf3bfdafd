"""The point-in-time recovery DAGs' shape: runbook order, schedules, dry runs, the copy's teardown, Barman containers."""

from __future__ import annotations

import pytest

from harness.dag_shape import order

PITR_DAGS = ("db_pitr_setup", "db_base_backup", "db_pitr_verification", "db_point_in_time_restore")


@pytest.fixture(scope="module")
def dags(dag_bag):
    return {dag_id: dag_bag[dag_id] for dag_id in PITR_DAGS}


def test_each_dag_runs_its_steps_in_the_runbooks_order(dags):
    assert order(dags["db_pitr_setup"]) == ["read_server_settings", "plan_setup", "create_role_and_slot",
                                            "write_barman_configuration", "judge_barman_check"]
    assert order(dags["db_base_backup"]) == ["check_barman", "take_base_backup", "write_manifest_entry"]
    assert order(dags["db_pitr_verification"]) == ["write_markers", "recover_to_target", "check_recovered_copy",
                                                   "remove_recovered_copy"]
    assert order(dags["db_point_in_time_restore"]) == ["validate_params", "recover_to_target_time",
                                                       "start_recovered_database"]


def test_backup_and_verification_are_weekly_the_others_manual_and_dry_run_first(dags):
    assert dags["db_base_backup"].timetable.expression == "30 1 * * 0"
    assert dags["db_pitr_verification"].timetable.expression == "30 5 * * 0"
    for dag_id in ("db_pitr_setup", "db_point_in_time_restore"):
        assert type(dags[dag_id].timetable).__name__ == "NullTimetable" and dags[dag_id].params["dry_run"] is True, dag_id


def test_the_copy_is_removed_even_when_its_check_fails_and_heavy_steps_share_the_pool(dags):
    from tsdb_ops.config import OpsConfig

    verification = dags["db_pitr_verification"]
    remove = verification.get_task("remove_recovered_copy")
    assert remove.is_teardown and "recover_to_target" in remove.upstream_task_ids
    pool = OpsConfig().heavy_db_pool
    assert dags["db_base_backup"].get_task("take_base_backup").pool == pool
    assert verification.get_task("recover_to_target").pool == pool


def test_barman_containers_are_removed_and_get_credentials_only_at_run_time(dags):
    from tsdb_ops.tasks.containers import BarmanOperator

    tasks = [t for dag in dags.values() for t in dag.tasks if isinstance(t, BarmanOperator)]
    assert len(tasks) == 5
    for task in tasks:
        assert task.auto_remove == "force" and task.mount_tmp_dir is False, task.task_id
        assert task.environment == {} and task._private_environment == {}, task.task_id
