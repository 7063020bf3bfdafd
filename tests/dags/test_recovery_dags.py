"""The recovery DAGs' shape: manual, dry run by default, params typed and described, runbook order, teardowns,
containers that leave nothing behind and carry no credentials before they run."""

from __future__ import annotations

import pytest

from harness.dag_shape import order

RECOVERY_DAGS = ("db_restore", "db_selective_backup", "db_selective_recovery")


@pytest.fixture(scope="module")
def dags(dag_bag):
    return {dag_id: dag_bag[dag_id] for dag_id in RECOVERY_DAGS}


@pytest.mark.parametrize("dag_id", RECOVERY_DAGS)
def test_recovery_dag_is_manual_tagged_and_a_dry_run_by_default(dags, dag_id):
    dag = dags[dag_id]
    assert type(dag.timetable).__name__ == "NullTimetable"
    assert {"tsdb-ops", "manual", "recovery"} <= set(dag.tags)
    assert dag.params["dry_run"] is True
    assert order(dag)[0] == "validate_params"


@pytest.mark.parametrize("dag_id", RECOVERY_DAGS)
def test_every_param_has_a_type_and_a_description(dags, dag_id):
    for name, param in dags[dag_id].params.items():
        assert param.schema.get("type") and param.description, f"{dag_id}.{name}"


def test_restore_runs_the_runbook_order_and_always_leaves_timescaledb_restore_mode(dags):
    dag = dags["db_restore"]
    assert order(dag) == ["validate_params", "stop_stack_containers", "write_safety_dump", "create_target_database",
                          "prepare_timescaledb_restore", "restore_dump", "end_timescaledb_restore",
                          "compare_with_manifest", "reschedule_restored_jobs", "restore_models_volume",
                          "start_stack_containers"]
    end = dag.get_task("end_timescaledb_restore")  # once restore mode was entered, whatever pg_restore did
    assert {"prepare_timescaledb_restore", "restore_dump"} <= end.upstream_task_ids
    assert end.trigger_rule == "all_done_min_one_success"
    start = dag.get_task("start_stack_containers")
    assert start.is_teardown and "stop_stack_containers" in start.upstream_task_ids
    assert dag.params["stop_stack"] is False
    assert dag.params["confirm_database"] is None and dag.params["restore_models"] is False


def test_selective_recovery_always_drops_its_recovery_table(dags):
    dag = dags["db_selective_recovery"]
    assert order(dag) == ["validate_params", "read_unique_indexes", "count_rows_present", "check_recovery_plan",
                          "create_recovery_table", "load_export_into_recovery_table", "insert_missing_rows",
                          "report_recovered_rows", "drop_recovery_table"]
    drop = dag.get_task("drop_recovery_table")
    assert drop.is_teardown and "create_recovery_table" in drop.upstream_task_ids


def test_selective_backup_offers_the_guides_two_kinds(dags):
    dag = dags["db_selective_backup"]
    assert order(dag) == ["validate_params", "dump_plain_tables", "export_time_ranges"]
    assert dag.params.get_param("mode").schema["enum"] == ["time_range", "tables"]
    assert dag.params["tables"] == ["market_data", "ml_predictions"]


def test_recovery_containers_are_always_removed_and_carry_no_credentials_at_parse_time(dags):
    from tsdb_ops.config import OpsConfig

    containers = [dags["db_restore"].get_task(t) for t in ("write_safety_dump", "restore_dump", "restore_models_volume")]
    containers.append(dags["db_selective_backup"].get_task("dump_plain_tables"))
    for task in containers:
        assert task.auto_remove == "force" and task.mount_tmp_dir is False, task.task_id
        assert task.environment == {} and task._private_environment == {}, task.task_id
    assert dags["db_restore"].get_task("restore_models_volume").network_mode == "none"
    assert dags["db_restore"].get_task("restore_dump").pool == OpsConfig().heavy_db_pool

