"""# db_base_backup

**Weekly** (Sunday 01:30, configured time zone). The base backup of point-in-time recovery: Barman's
`pg_basebackup` of the whole cluster, which with the WAL the `barman` service streams restores to any second since.

1. `check_barman`: archives the WAL streamed so far (`barman switch-wal --archive`), then `barman check`; any failed
   check (the receiver not running, the slot, the connection) fails the run before a backup is started.
2. `take_base_backup`: `barman backup --wait` (until the WAL the backup needs is archived); retention by
   `RECOVERY WINDOW OF pitr_recovery_window_days DAYS` (7) is Barman's, applied by the service's `barman cron`.
3. `write_manifest_entry`: `backup_root/pitr/base_backup_<id>.json` and a line in `backup.log`.

`db_backup_monitor` alerts when the newest completed base backup is older than `pitr_max_base_backup_age_days`.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_base_backup as tasks
from tsdb_ops.tasks.containers import BarmanBackupOperator, CheckBarmanOperator

with DAG(**dag_kwargs("db_base_backup", description="Weekly Barman base backup for point-in-time recovery",
                      tags=["backup", "pitr"], doc_md=__doc__)):
    checked = CheckBarmanOperator(task_id="check_barman")
    backup = BarmanBackupOperator(task_id="take_base_backup", pool=heavy_pool())
    entry = task(tasks.write_manifest_entry)(backup.output)

    chain(checked, backup, entry)
