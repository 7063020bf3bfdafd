"""Every task of every DAG is classified: it loads the database, and then it is in the heavy pool (1 slot, shared
by all DAGs, so maintenance and backups never load the database at the same time), or it is light. A task
added to a DAG fails here until it is classified, so a new unpooled heavy task cannot slip in.

Loads the database: writes or rewrites data (compression, drop_chunks, restores, inserts, COPY in or out), scans
whole tables (pg_dump, row counts of a restore, VACUUM, ANALYZE), creates or drops a database, runs policy jobs,
and deletes from the backup volume a dump writes to (retention). Light: param checks and plans, catalog and
statistics reads, files of the backup directory, the Docker API, alerts and reports.
"""

from __future__ import annotations

import pytest

LOADS_THE_DATABASE: dict[str, set[str]] = {
    "db_backup_monitor": set(),
    "db_base_backup": {"take_base_backup"},
    "db_compress_symbol": {"compress_listed_chunks"},
    "db_compress_time_range": {"compress_listed_chunks"},
    "db_crash_recovery_check": {"compress_chunks_past_policy"},
    "db_daily_cleanup": {"run_retention_policy_job", "run_compression_policy_job", "check_chunks_after_policies"},
    "db_emergency_space_recovery": {"drop_listed_chunks", "compress_largest_chunks"},
    "db_health_check": set(),
    "db_job_control": {"apply_job_action"},
    "db_nightly_backup": {"dump_database", "take_physical_base_backup", "clean_up_old_backups"},
    "db_pitr_setup": set(),
    "db_pitr_verification": {"recover_to_target"},
    "db_point_in_time_restore": {"recover_to_target_time"},
    "db_policy_setup": {"apply_policy_changes"},
    "db_recompress_inefficient": {"recompress_listed_chunks"},
    "db_restore": {"write_safety_dump", "create_target_database", "prepare_timescaledb_restore", "restore_dump",
                   "compare_with_manifest"},
    "db_restore_verification": {"create_scratch_database", "prepare_timescaledb_restore", "restore_dump",
                                "compare_with_manifest", "drop_scratch_database"},
    "db_selective_backup": {"dump_plain_tables", "export_time_ranges"},
    "db_selective_recovery": {"load_export_into_recovery_table", "insert_missing_rows"},
    "db_vacuum_analyze": {"vacuum_analyze"},
    "db_weekly_maintenance": {"drop_chunks_past_drop_age", "compress_chunks_past_weekly_age", "vacuum_analyze_database",
                              "analyze_stale_chunks"},
}

LIGHT: dict[str, set[str]] = {
    # backup files, the Docker engine (pg_restore -l reads dump files, network off), Airflow's run history, alerts
    "db_backup_monitor": {"check_freshness", "check_sizes", "hash_backup_files", "list_dumps_with_pg_restore",
                          "check_integrity", "check_disk_usage", "check_failed_runs", "check_log_errors",
                          "check_trends", "check_pitr", "conclude", "is_daily_summary_due", "write_daily_summary"},
    "db_base_backup": {"check_barman", "write_manifest_entry"},
    # params, catalog reads, one index probe per chunk
    "db_compress_symbol": {"validate_params", "check_symbol_has_rows", "list_old_chunks_holding_symbol",
                           "list_chunks_holding_symbol"},
    "db_compress_time_range": {"validate_params", "list_chunks_in_range"},
    "db_crash_recovery_check": {"validate_params", "check_job_stats", "read_compression_summary",
                                "read_chunk_compression", "check_chunk_health", "list_uncompressed_chunks_past_policy",
                                "decide_weekly_maintenance_handoff", "trigger_weekly_maintenance"},
    # the Docker API; the job lookup is pooled too, as the first step of the pooled policy runs
    "db_daily_cleanup": {"prune_docker_system", "find_policy_jobs"},
    "db_emergency_space_recovery": {"validate_params", "read_compression_summary", "read_chunk_compression",
                                    "report_largest_uncompressed_chunks"},
    # statistics views and the catalog only
    "db_health_check": {"resolve_health_target", "read_table_stats", "read_index_stats", "read_blocked_locks",
                        "read_chunk_interval", "check_timescaledb_jobs", "check_dead_tuples_and_bloat",
                        "check_blocked_locks", "check_slow_queries", "check_index_usage", "check_overdue_compression",
                        "check_chunk_interval", "check_stack_containers", "alert_and_write_health_report"},
    "db_job_control": {"validate_params", "list_policy_jobs", "plan_job_action"},
    # the database size from the catalog; the models volume and the config files are not the database
    "db_nightly_backup": {"check_free_disk_space", "read_database_facts", "check_room_for_the_dump",
                          "back_up_models_volume", "back_up_configs", "write_manifest"},
    "db_pitr_setup": {"read_server_settings", "plan_setup", "create_role_and_slot", "write_barman_configuration",
                      "judge_barman_check"},
    # a recovered copy runs in its own container, not in the database
    "db_pitr_verification": {"write_markers", "check_recovered_copy", "remove_recovered_copy"},
    "db_point_in_time_restore": {"validate_params", "start_recovered_database"},
    "db_policy_setup": {"resolve_hypertable", "read_compression_settings", "read_unique_indexes", "read_policy_jobs",
                        "plan_policy_changes"},
    "db_recompress_inefficient": {"validate_params", "read_chunk_compression", "list_inefficient_chunks"},
    # the job table (a few rows), the Docker API, the models volume
    "db_restore": {"validate_params", "stop_stack_containers", "end_timescaledb_restore", "reschedule_restored_jobs",
                   "restore_models_volume", "start_stack_containers"},
    # reads the dump file and its manifest; the job table
    "db_restore_verification": {"find_newest_verified_backup", "end_timescaledb_restore"},
    "db_selective_backup": {"validate_params"},
    # catalog reads, one index range count, an empty table created and dropped, a report
    "db_selective_recovery": {"validate_params", "read_unique_indexes", "count_rows_present", "check_recovery_plan",
                              "create_recovery_table", "report_recovered_rows", "drop_recovery_table"},
    "db_vacuum_analyze": {"validate_params"},
    # catalog reads; the distribution reads segment metadata and counts only the uncompressed rows
    "db_weekly_maintenance": {"resolve_hypertable", "read_chunk_statistics", "read_compression_summary",
                              "read_chunk_compression", "read_timeframe_shares", "read_data_distribution",
                              "write_compression_report"},
}


@pytest.fixture(scope="module")
def dags(dag_bag):
    return dag_bag


def test_every_dag_of_the_project_is_classified(dags):
    assert sorted(dags) == sorted(LOADS_THE_DATABASE) == sorted(LIGHT)


def test_every_task_is_classified_as_loading_the_database_or_light(dags):
    for dag_id, dag in dags.items():
        heavy, light = LOADS_THE_DATABASE.get(dag_id, set()), LIGHT.get(dag_id, set())
        assert not heavy & light, f"{dag_id}: {sorted(heavy & light)} classified twice"
        unclassified = set(dag.task_ids) - heavy - light
        assert not unclassified, (f"{dag_id}: tasks {sorted(unclassified)} are not classified: add each to "
                                  "LOADS_THE_DATABASE (and give it pool=heavy_pool()) or to LIGHT")
        assert heavy | light <= set(dag.task_ids), f"{dag_id}: no such tasks {sorted((heavy | light) - set(dag.task_ids))}"


@pytest.mark.parametrize("dag_id", sorted(LOADS_THE_DATABASE))
def test_every_task_that_loads_the_database_is_in_the_heavy_pool(dags, dag_id):
    from tsdb_ops.dag_defaults import heavy_pool

    unpooled = sorted(t for t in LOADS_THE_DATABASE[dag_id] if dags[dag_id].get_task(t).pool != heavy_pool())
    assert not unpooled, f"{dag_id}: {unpooled} load the database outside the pool {heavy_pool()!r}"
