"""# db_nightly_backup

Runs `0 2 * * *` in the configured time zone. Implements the maintenance guide's "Backup and Recovery
Procedures" and "Automated Backup Script": one backup set per night, named by the run's `run_after` date
(YYYYMMDD), so a retry or re-trigger rewrites its own set and nothing else.

1. `check_free_disk_space`: fail before writing anything when the backup volume has less than
   `backup_min_free_bytes` free.
2. `dump_database`: pg_dump (custom format, `pg_dump_compression`) in `pg_client_image` on `docker_network`;
   taken in the dump's own snapshot: row counts, time ranges and chunk counts per hypertable, and each
   TimescaleDB job's id, procedure, hypertable, `scheduled` and next start (a dump carries no run times: the
   restore puts the jobs back from this record); `pg_restore -l` verifies it.
3. `back_up_models_volume`: busybox tars + gzips the `models_volume` (read-only); `tar -t` verifies it.
4. `back_up_configs`: the `config_files` of the stack project, mode 0600.
5. `write_manifest`: sizes, sha256, durations, versions, counts and jobs (format 2); its presence marks the set
   verified, and it updates the asset `tsdb_ops_verified_backup`.
6. `clean_up_old_backups`: sets older than `backup_retention_days`, never the newest
   `backup_min_verified_sets` verified sets; only after every step succeeded.

Each artefact is written under a `.partial` name and renamed once verified. A failing task alerts, writes
`ERROR: ...` to `backup.log` and removes its partial files. Heavy database work takes the shared pool.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_nightly_backup as tasks
from tsdb_ops.tasks.containers import ArchiveModelsVolumeOperator, DumpDatabaseOperator

FAILURE = {"on_failure_callback": tasks.BACKUP_FAILURE_CALLBACKS}

with DAG(**dag_kwargs(
    "db_nightly_backup",
    description="Nightly pg_dump, models and configs backup with manifest, verification and safe retention",
    tags=["backup"],
    doc_md=__doc__,
)):
    preflight = task(tasks.check_free_disk_space, **FAILURE)()
    dump = DumpDatabaseOperator(task_id="dump_database", pool=heavy_pool(), **FAILURE)
    models = ArchiveModelsVolumeOperator(task_id="back_up_models_volume", **FAILURE)
    configs = task(tasks.back_up_configs, **FAILURE)()
    manifest = task(tasks.write_manifest, outlets=[tasks.VERIFIED_BACKUP], **FAILURE)(dump.output, models.output, configs)
    cleanup = task(tasks.clean_up_old_backups, **FAILURE)()

    chain(preflight, dump, models, configs, manifest, cleanup)
