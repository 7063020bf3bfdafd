"""# db_restore_verification

Runs `0 5 * * 0` (Sunday 05:00, configured time zone): three hours after that night's backup and after the
weekly maintenance has started, sharing its heavy-work pool. Implements the maintenance guide's "Database Backup
Verification" (detailed verification, test restore). A cron schedule rather than the `tsdb_ops_verified_backup`
asset: a full restore every night would double the nightly load, once a week proves every backup step.
TimescaleDB's restore procedure is the one `db_restore` runs (tsdb_ops.backup.restore_steps).

1. `find_newest_verified_backup`: the newest manifest whose dump still has its recorded size and sha256, and the
   plan of its restore into `restore_scratch_database` (refused when it names the connection's own database).
2. `create_scratch_database` (SQL, autocommit): a leftover dropped, then a fresh scratch database;
   `prepare_timescaledb_restore` (SQL, in it, a TimescaleDB set only): `CREATE EXTENSION timescaledb` at the
   manifest's version and `timescaledb_pre_restore()`, in one transaction.
3. `restore_dump`: serial `pg_restore` in `pg_client_image` (parallel restore breaks TimescaleDB).
4. `end_timescaledb_restore`: in one transaction, every restored job unscheduled, then
   `timescaledb_post_restore()`. A dump carries the jobs but not their run times: left scheduled, every policy
   would be due at once, drop or compress restored chunks and deadlock with the comparison.
5. `compare_with_manifest`: row counts, min/max time and chunk counts per hypertable equal to the manifest (taken
   in the dump's snapshot), the jobs equal to its record, none scheduled or run; report in `report_dir`, line in
   `backup.log`; a difference fails the task, which alerts.
6. `drop_scratch_database` (SQL): always (teardown), so no copy of the data is left behind; its jobs never ran.

Every step that loads the database (2 to 6) takes the heavy pool.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.backup.restore_steps import CREATE_SCRATCH_DATABASE_SQL, DROP_SCRATCH_DATABASE_SQL
from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_restore_verification as tasks
from tsdb_ops.tasks.containers import RestoreDumpOperator
from tsdb_ops.tasks.db_restore import prepare_timescaledb_restore
from tsdb_ops.tasks.sql_steps import sql_step

with DAG(**dag_kwargs(
    "db_restore_verification",
    description="Weekly test restore of the newest verified backup into a scratch database",
    tags=["backup"],
    doc_md=__doc__,
)):
    backup = task(tasks.find_newest_verified_backup, multiple_outputs=True)()
    scratch = sql_step("create_scratch_database", CREATE_SCRATCH_DATABASE_SQL, identifiers=backup["identifiers"],
                       autocommit=True, split_statements=True, pool=heavy_pool())
    prepared = prepare_timescaledb_restore(backup, "find_newest_verified_backup")
    restore = RestoreDumpOperator(task_id="restore_dump", backup=backup, pool=heavy_pool(), trigger_rule="none_failed")
    dumped_jobs = task(tasks.end_timescaledb_restore)(backup)
    compared = task(tasks.compare_with_manifest, pool=heavy_pool())(backup, dumped_jobs)
    teardown = sql_step("drop_scratch_database", DROP_SCRATCH_DATABASE_SQL, identifiers=backup["identifiers"],
                        autocommit=True, pool=heavy_pool()).as_teardown(setups=scratch)

    chain(backup, scratch, prepared, restore, dumped_jobs, compared, teardown)
