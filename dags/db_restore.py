"""# db_restore

Manual (no schedule), from the Airflow UI's params form. Implements the maintenance guide's "Recovery
Procedures: Full Database Restore" (database and models), with what the guide leaves out: a copy of what is
overwritten, TimescaleDB's restore procedure and a check of the result. A dry run (the default) changes nothing
and logs exactly what a confirmed run does.

1. `validate_params`: the backup set (default: the newest verified; size and sha256 against its manifest), the
   target database (default: the connection's; an identifier, looked up in pg_database), the TimescaleDB
   version, the confirmations. Restoring over an existing database needs `confirm_database` = its name; clearing
   the models volume needs `confirm_models_volume` = its name. Logs the plan.
2. `write_safety_dump`: pg_dump of the existing target to `backup_root/db/safety_<db>_<run time>.backup`
   (written under a .partial name, verified with `pg_restore -l`, then renamed).
3. `prepare_target_database`: `CREATE DATABASE` when it does not exist (with `CREATE EXTENSION timescaledb` at
   the dump's version); `timescaledb_pre_restore()` for a TimescaleDB set.
4. `restore_dump`: serial `pg_restore` (never `-j`: parallel restore breaks TimescaleDB), `--clean --if-exists`
   over an existing database, in one transaction for a plain PostgreSQL set.
5. `end_timescaledb_restore`: `timescaledb_post_restore()`; a teardown, so it also runs when the restore fails.
6. `compare_with_manifest`: row counts and time ranges per table equal to the manifest.
7. `restore_models_volume` (param `restore_models`): busybox `tar xzf` of the set's archive into the models
   volume, after clearing it when asked.

Stop the trading stack's writers before a confirmed restore over the live database (the plan shows who is
connected). Safety dumps are not deleted by retention: remove them when they are no longer needed.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.config import load_config
from tsdb_ops.dag_settings import dag_kwargs, heavy_pool
from tsdb_ops.recovery import restore
from tsdb_ops.recovery.containers import RestoreBackupOperator, RestoreModelsVolumeOperator, WriteSafetyDumpOperator

with DAG(dag_id="db_restore", params=restore.RESTORE_PARAMS,
         **dag_kwargs(schedule=None, tags=["manual", "recovery"], doc_md=__doc__)):

    @task
    def validate_params(**context) -> dict:
        return restore.validate_restore_params(context["params"], context["dag_run"].run_after)

    @task
    def prepare_target_database(validated: dict) -> None:
        restore.skip_in_dry_run(validated, "target database not prepared")
        restore.prepare_target_database(validated)

    @task
    def end_timescaledb_restore(validated: dict) -> None:
        restore.skip_in_dry_run(validated, "timescaledb_post_restore() not run")
        restore.end_timescaledb_restore(validated)

    @task
    def compare_with_manifest(validated: dict) -> dict:
        restore.skip_in_dry_run(validated, "nothing restored to compare")
        return restore.compare_restored_tables(load_config(), validated)

    validated = validate_params()
    safety_dump = WriteSafetyDumpOperator(task_id="write_safety_dump", validated=validated, pool=heavy_pool())
    prepare = prepare_target_database(validated)
    restore_dump = RestoreBackupOperator(task_id="restore_dump", validated=validated, pool=heavy_pool())
    end_restore = end_timescaledb_restore(validated).as_teardown(setups=prepare)
    models = RestoreModelsVolumeOperator(task_id="restore_models_volume", validated=validated)

    chain(validated, safety_dump, prepare, restore_dump, end_restore, compare_with_manifest(validated), models)
