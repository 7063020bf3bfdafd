"""# db_restore_verification

Runs `0 5 * * 0` (Sunday 05:00, configured time zone): three hours after that night's backup and after the
weekly maintenance has started, sharing its heavy-work pool. Implements the maintenance guide's "Database Backup
Verification" (detailed verification, test restore). A cron schedule rather than the `tsdb_ops_verified_backup`
asset: a full restore every night would double the nightly load, once a week proves every backup step.

1. `find_newest_verified_backup`: the newest manifest whose dump still has its recorded size and sha256.
2. `create_scratch_database`: `restore_scratch_database` (refused when it names the connection's own database);
   with TimescaleDB: `CREATE EXTENSION timescaledb` at the manifest's version, `timescaledb_pre_restore()`.
3. `restore_dump`: serial `pg_restore` in `pg_client_image` (parallel restore breaks TimescaleDB).
4. `end_timescaledb_restore`: `timescaledb_post_restore()`.
5. `compare_with_manifest`: row counts and min/max time per hypertable equal to the manifest (taken in the
   dump's snapshot); report in `report_dir`, line in `backup.log`; a mismatch fails the task, which alerts.
6. `drop_scratch_database`: always (teardown), so no copy of the data is left behind.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.backup import restore_check
from tsdb_ops.backup.containers import RestoreDumpOperator
from tsdb_ops.backup.database import database_login
from tsdb_ops.config import load_config
from tsdb_ops.dag_settings import dag_kwargs, heavy_pool

with DAG(dag_id="db_restore_verification", **dag_kwargs(schedule="0 5 * * 0", tags=["backup"], doc_md=__doc__)):

    @task
    def find_newest_verified_backup() -> dict:
        return restore_check.newest_verified_backup(load_config().backup_root)

    @task
    def create_scratch_database(backup: dict) -> None:
        config = load_config()
        restore_check.create_scratch_database(config, database_login(config.postgres_conn_id), backup["timescaledb_version"])

    @task
    def end_timescaledb_restore(backup: dict) -> None:
        config = load_config()
        restore_check.end_timescaledb_restore(config, database_login(config.postgres_conn_id), backup["timescaledb_version"])

    @task
    def compare_with_manifest(backup: dict) -> dict:
        config = load_config()
        return restore_check.verify_restored_database(config, database_login(config.postgres_conn_id), backup)

    @task
    def drop_scratch_database() -> None:
        config = load_config()
        restore_check.drop_scratch_database(config, database_login(config.postgres_conn_id))

    backup = find_newest_verified_backup()
    scratch = create_scratch_database(backup)
    restore = RestoreDumpOperator(task_id="restore_dump", backup=backup, pool=heavy_pool())
    teardown = drop_scratch_database().as_teardown(setups=scratch)

    chain(backup, scratch, restore, end_timescaledb_restore(backup), compare_with_manifest(backup), teardown)
