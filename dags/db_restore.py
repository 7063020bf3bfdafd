"""# db_restore

Manual (no schedule), from the Airflow UI's params form. Implements the maintenance guide's "Recovery
Procedures: Full Database Restore" (database and models), with what the guide leaves out: a copy of what is
overwritten, TimescaleDB's restore procedure (shared with `db_restore_verification`), a check of the result and
the restored policy jobs kept from running until that check passed. A dry run (the default) changes nothing
and logs exactly what a confirmed run does.

1. `validate_params`: the backup set (default: the newest verified; size and sha256 against its manifest), the
   target database (default: the connection's; an identifier, looked up in pg_database), the TimescaleDB
   version, the confirmations. Restoring over an existing database needs `confirm_database` = its name; clearing
   the models volume needs `confirm_models_volume` = its name. With `stop_stack`, the stack's containers it
   would stop (listed by name) and those it keeps running. Logs the plan.
2. `stop_stack_containers` (param `stop_stack`, default false): stops the trading stack's running application
   containers, chosen by `stack_containers` (the compose project label), through the Docker engine API; **never
   the database container** (named `db_host_in_docker`, or a name or compose service in `stack_keep_running`,
   default `db`), nor the container the task runs in. The guide's `docker-compose stop` stops the database too,
   and its `docker exec mt5_db pg_restore` then has nothing to run in. A container that cannot be stopped fails
   the task after the ones stopped before it are started again. Without `stop_stack`: nothing is stopped.
3. `write_safety_dump`: pg_dump of the existing target to `backup_root/db/safety_<db>_<run time>.backup`
   (written under a .partial name, verified with `pg_restore -l`, then renamed).
4. `create_target_database` (SQL, autocommit): `CREATE DATABASE` when it does not exist (skipped otherwise);
   `prepare_timescaledb_restore` (SQL, in the target, a TimescaleDB set only): `CREATE EXTENSION timescaledb` at
   the dump's version and `timescaledb_pre_restore()`, in one transaction. Both skip in a dry run, also when one
   is cleared alone.
5. `restore_dump`: serial `pg_restore` (never `-j`: parallel restore breaks TimescaleDB), `--clean --if-exists`
   over an existing database, in one transaction for a plain PostgreSQL set.
6. `end_timescaledb_restore`: in one transaction, every restored job unscheduled (a dump carries the jobs but
   not their run times: each policy would be due at once and retention would drop restored chunks), then
   `timescaledb_post_restore()`; it runs whenever restore mode was entered, also when the restore fails (the jobs
   then stay unscheduled).
7. `compare_with_manifest`: row counts, time ranges and chunk counts per table equal to the manifest; no restored
   job scheduled or run yet, the jobs equal to the manifest's record. A difference fails here, jobs unscheduled.
8. `reschedule_restored_jobs`: each job back as at backup time: scheduled or paused as recorded, next start as
   recorded; a start less than 15 minutes ahead moves to the job's next slot on its schedule (no recorded start:
   one schedule interval after the restore), no two starts closer than 2 minutes. A manifest written before job
   records: the scheduled flags the dump carried, first starts one interval after the restore. Every decision is
   logged; a job the record cannot place stays unscheduled (WARNING in backup.log; resume it with
   `db_job_control`).
9. `restore_models_volume` (param `restore_models`): busybox `tar xzf` of the set's archive into the models
   volume, after clearing it when asked.
10. `start_stack_containers`: starts exactly the containers step 2 stopped (not those that were not running);
    a teardown of step 2, so the stack comes back also when the restore or the models restore fails.

Every step that loads the database (the safety dump, the preparation, pg_restore, the comparison) takes the heavy
pool. A restore over the live database needs its writers stopped (the plan shows who is connected): `stop_stack=true`,
or stop them by hand. Safety dumps are not deleted by retention: remove them when they are no longer needed.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_restore as tasks
from tsdb_ops.tasks.containers import RestoreBackupOperator, RestoreModelsVolumeOperator, WriteSafetyDumpOperator
from tsdb_ops.tasks.manual_runs import dry_run_param

with DAG(
    params={
        "set_id": Param(None, type=["null", "string"], title="Backup set",
                        description="Backup set to restore: its id YYYYMMDD (manifests/backup_<set_id>.json). Empty: the "
                                    "newest verified set (the dry run names it; pass it here to be sure)."),
        "target_database": Param(None, type=["null", "string"], title="Target database",
                                 description="Database to restore into. Empty: the database of the postgres connection. "
                                             "A database that does not exist is created."),
        "confirm_database": Param(None, type=["null", "string"], title="Confirm: target database name",
                                  description="Restoring over an existing database replaces every object of the dump in "
                                              "it: repeat the target database's name here to allow it."),
        "restore_models": Param(False, type="boolean", title="Restore the models volume",
                                description="Also extract the set's models archive into the models volume (files of "
                                            "the same name are overwritten)."),
        "clear_models_volume": Param(False, type="boolean", title="Clear the models volume first",
                                     description="Delete every file in the models volume before extracting (needs "
                                                 "confirm_models_volume)."),
        "confirm_models_volume": Param(None, type=["null", "string"], title="Confirm: models volume name",
                                       description="Repeat the models volume's name to allow clearing it."),
        "stop_stack": Param(False, type="boolean", title="Stop the trading stack",
                            description="Stop the stack's running application containers (stack_containers; never "
                                        "the database container) before the safety dump and start them again after "
                                        "the restore, also when it fails. The dry run lists them."),
        "dry_run": dry_run_param("Only validate and log what would be done. Set to false to restore."),
    },
    **dag_kwargs("db_restore", description="Full restore of a verified backup set, after a safety dump of the target",
                 tags=["manual", "recovery"], doc_md=__doc__),
):
    validated = task(tasks.validate_params, multiple_outputs=True)()
    stopped = task(tasks.stop_stack_containers)(validated)
    safety_dump = WriteSafetyDumpOperator(task_id="write_safety_dump", validated=validated, pool=heavy_pool())
    created = tasks.create_target_database(validated)
    prepared = tasks.prepare_timescaledb_restore(validated, "validate_params", trigger_rule="none_failed")
    restore_dump = RestoreBackupOperator(task_id="restore_dump", validated=validated, pool=heavy_pool(),
                                         trigger_rule="none_failed")
    dumped_jobs = task(tasks.end_timescaledb_restore, trigger_rule=tasks.END_RESTORE_TRIGGER)(validated)
    compared = task(tasks.compare_with_manifest, pool=heavy_pool(), trigger_rule="none_failed")(validated, dumped_jobs)
    rescheduled = task(tasks.reschedule_restored_jobs)(validated, dumped_jobs)
    models = RestoreModelsVolumeOperator(task_id="restore_models_volume", validated=validated)
    started = task(tasks.start_stack_containers)(validated, stopped).as_teardown(setups=stopped)

    prepared >> dumped_jobs  # restore mode is ended once it was entered (END_RESTORE_TRIGGER)
    chain(validated, stopped, safety_dump, created, prepared, restore_dump, dumped_jobs, compared, rescheduled, models,
          started)
