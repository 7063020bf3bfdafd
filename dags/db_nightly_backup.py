"""# db_nightly_backup

Runs `0 2 * * *` in the configured time zone. Implements the maintenance guide's "Backup and Recovery
Procedures" and "Automated Backup Script": one backup set per night, named by the run's `run_after` date
(YYYYMMDD), so a retry or re-trigger rewrites its own set and nothing else.

1. `check_free_disk_space`: fail before writing anything when the backup volume has less than
   `backup_min_free_bytes` free.
2. `dump_database`: pg_dump (custom format, `pg_dump_compression`) in `pg_client_image` on `docker_network`;
   row counts and time ranges per hypertable taken in the dump's own snapshot; `pg_restore -l` verifies it.
3. `back_up_models_volume`: busybox tars + gzips the `models_volume` (read-only); `tar -t` verifies it.
4. `back_up_configs`: the `config_files` of the stack project, mode 0600.
5. `write_manifest`: sizes, sha256, durations, versions and counts; its presence marks the set verified, and it
   updates the asset `tsdb_ops_verified_backup`.
6. `clean_up_old_backups`: sets older than `backup_retention_days`, never the newest
   `backup_min_verified_sets` verified sets; only after every step succeeded.

Each artefact is written under a `.partial` name and renamed once verified. A failing task alerts, writes
`ERROR: ...` to `backup.log` and removes its partial files. Heavy database work takes the shared pool.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.backup import nightly
from tsdb_ops.backup.containers import ArchiveModelsVolumeOperator, DumpDatabaseOperator
from tsdb_ops.config import load_config
from tsdb_ops.dag_settings import NIGHTLY_BACKUP_SCHEDULE, dag_kwargs, heavy_pool

FAILURE = {"on_failure_callback": nightly.BACKUP_FAILURE_CALLBACKS}

with DAG(dag_id="db_nightly_backup", **dag_kwargs(schedule=NIGHTLY_BACKUP_SCHEDULE, tags=["backup"], doc_md=__doc__)):

    @task(**FAILURE)
    def check_free_disk_space() -> int:
        return nightly.check_free_disk_space(load_config())

    @task(**FAILURE)
    def back_up_configs(**context) -> dict:
        config = load_config()
        return nightly.back_up_configs(config, nightly.run_set_id(context, config))

    @task(outlets=[nightly.VERIFIED_BACKUP], **FAILURE)
    def write_manifest(dump: dict, models: dict, configs: dict, **context) -> str:
        return nightly.write_backup_manifest(context, dump, models, configs)

    @task(**FAILURE)
    def clean_up_old_backups(**context) -> dict:
        config = load_config()
        return nightly.clean_up_old_backups(config, nightly.run_set_id(context, config))

    preflight = check_free_disk_space()
    dump = DumpDatabaseOperator(task_id="dump_database", pool=heavy_pool(), **FAILURE)
    models = ArchiveModelsVolumeOperator(task_id="back_up_models_volume", **FAILURE)
    configs = back_up_configs()
    manifest = write_manifest(dump.output, models.output, configs)

    chain(preflight, dump, models, configs, manifest, clean_up_old_backups())
