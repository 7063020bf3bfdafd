"""The backup DAGs' shape: runbook order, pools, failure hooks, asset, Docker settings, restore teardown."""

from __future__ import annotations

import pytest

from harness.dag_shape import order


@pytest.fixture(scope="module")
def dags(dag_bag):
    return dag_bag["db_nightly_backup"], dag_bag["db_restore_verification"]


def test_nightly_backup_runs_the_guides_steps_in_order_with_retention_last(dags):
    nightly, _ = dags
    assert order(nightly) == ["check_free_disk_space", "read_database_facts", "check_room_for_the_dump", "dump_database",
                              "back_up_models_volume", "back_up_configs", "take_physical_base_backup", "write_manifest",
                              "clean_up_old_backups"]
    assert nightly.get_task("clean_up_old_backups").trigger_rule == "all_success"
    # the base backup is skipped while physical_backup_enabled is off: the manifest is written all the same
    assert nightly.get_task("write_manifest").trigger_rule == "none_failed"
    assert nightly.timetable.expression == "0 2 * * *"


def test_every_backup_task_alerts_and_writes_the_error_line_on_failure(dags):
    from tsdb_ops.alerts.task_failure import notify_task_failure
    from tsdb_ops.tasks.db_nightly_backup import log_backup_failure

    nightly, _ = dags
    for task in nightly.tasks:
        assert task.on_failure_callback == [notify_task_failure, log_backup_failure], task.task_id


def test_heavy_database_tasks_take_the_shared_pool(dags):
    from tsdb_ops.config import OpsConfig

    nightly, restore = dags
    pool = OpsConfig().heavy_db_pool
    assert nightly.get_task("dump_database").pool == pool
    assert nightly.get_task("take_physical_base_backup").pool == pool
    assert restore.get_task("restore_dump").pool == pool
    assert nightly.get_task("back_up_models_volume").pool != pool
    assert nightly.get_task("clean_up_old_backups").pool == pool  # deletes from the volume the dump writes to


def test_manifest_task_updates_the_verified_backup_asset(dags):
    from tsdb_ops.tasks.db_nightly_backup import VERIFIED_BACKUP

    nightly, _ = dags
    assert nightly.get_task("write_manifest").outlets == [VERIFIED_BACKUP]


def test_containers_are_always_removed_and_mount_no_airflow_tmp_dir(dags):
    nightly, restore = dags
    for task in (nightly.get_task("dump_database"), nightly.get_task("back_up_models_volume"),
                 nightly.get_task("take_physical_base_backup"), restore.get_task("restore_dump")):
        assert task.auto_remove == "force" and task.mount_tmp_dir is False, task.task_id
        assert task.environment == {} and task._private_environment == {}, "credentials are set only at run time"
    assert nightly.get_task("back_up_models_volume").network_mode == "none"


def test_restore_verification_runs_weekly_and_always_drops_the_scratch_database(dags):
    _, restore = dags
    assert restore.timetable.expression == "0 5 * * 0"
    assert order(restore) == ["find_newest_verified_backup", "create_scratch_database", "prepare_timescaledb_restore",
                              "restore_dump", "end_timescaledb_restore", "compare_with_manifest", "drop_scratch_database"]
    drop = restore.get_task("drop_scratch_database")
    assert drop.is_teardown and "create_scratch_database" in drop.upstream_task_ids
