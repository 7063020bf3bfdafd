"""# db_nightly_backup

Runs `0 2 * * *` in the configured time zone. Implements the maintenance guide's "Backup and Recovery
Procedures" and "Automated Backup Script": one backup set per night, named by the run's `run_after` date
(YYYYMMDD), so a retry or re-trigger rewrites its own set and nothing else.

1. `check_free_disk_space`: fail before writing anything when the backup volume has less than
   `backup_min_free_bytes` free; `read_database_facts` (SQL: server and TimescaleDB versions, database size) and
   `check_room_for_the_dump`: a WARNING in `backup.log` when the volume has less free than tonight's dump is
   expected to take (the database size at the newest dump's size per database byte).
2. `dump_database`: pg_dump (custom format, `pg_dump_compression`) in `pg_client_image` on `docker_network`;
   taken in the dump's own snapshot: row counts, time ranges and chunk counts per hypertable, and each
   TimescaleDB job's id, procedure, hypertable, `scheduled` and next start (a dump carries no run times: the
   restore puts the jobs back from this record); `pg_restore -l` verifies it.
3. `back_up_models_volume`: busybox tars + gzips the `models_volume` (read-only); `tar -t` verifies it.
4. `back_up_configs`: the `config_files` of the stack project, mode 0600.
5. `take_physical_base_backup` (only with `physical_backup_enabled`, else skipped; guide: "Physical backup"):
   pg_basebackup of the whole cluster (`-Ft -z`, WAL streamed, SHA256 `backup_manifest`) in `pg_client_image`
   into `base/base_<set id>/`; pg_verifybackup checks the unpacked tars. The role needs REPLICATION.
6. `write_manifest`: sizes, sha256, durations, versions, counts and jobs (format 3); its presence marks the set
   verified, and it updates the asset `tsdb_ops_verified_backup`.
7. `clean_up_old_backups`: sets older than `backup_retention_days`, never the newest
   `backup_min_verified_sets` verified sets; only after every step succeeded.

Each artefact is written under a `.partial` name and renamed once verified. A failing task alerts, writes
`ERROR: ...` to `backup.log` and removes its partial files. The dump, the base backup and retention (it deletes
from the backup volume the dump reads from and writes to) take the shared heavy pool.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.backup.database import DATABASE_FACTS_SQL
from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_nightly_backup as tasks
from tsdb_ops.tasks.containers import ArchiveModelsVolumeOperator, DumpDatabaseOperator, TakeBaseBackupOperator
from tsdb_ops.tasks.sql_steps import sql_step

FAILURE = {"on_failure_callback": tasks.BACKUP_FAILURE_CALLBACKS}

with DAG(**dag_kwargs(
    "db_nightly_backup",
    description="Nightly pg_dump, models and configs backup with manifest, verification and safe retention",
    tags=["backup"],
    doc_md=__doc__,
)):
    preflight = task(tasks.check_free_disk_space, **FAILURE)()
    facts = sql_step("read_database_facts", DATABASE_FACTS_SQL, **FAILURE)
    room = task(tasks.check_room_for_the_dump, **FAILURE)(preflight, facts.output)
    dump = DumpDatabaseOperator(task_id="dump_database", pool=heavy_pool(), **FAILURE)
    models = ArchiveModelsVolumeOperator(task_id="back_up_models_volume", **FAILURE)
    configs = task(tasks.back_up_configs, **FAILURE)()
    base_backup = TakeBaseBackupOperator(task_id="take_physical_base_backup", pool=heavy_pool(), **FAILURE)
    manifest = task(tasks.write_manifest, outlets=[tasks.VERIFIED_BACKUP], trigger_rule="none_failed", **FAILURE)(
        dump.output, models.output, configs, base_backup.output)
    cleanup = task(tasks.clean_up_old_backups, pool=heavy_pool(), **FAILURE)()

    chain(preflight, facts, room, dump, models, configs, base_backup, manifest, cleanup)
