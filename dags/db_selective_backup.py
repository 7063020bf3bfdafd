"""# db_selective_backup

Manual (no schedule), from the Airflow UI's params form. Implements the maintenance guide's "Selective Backup":
backups of chosen tables and of a time range, under `backup_root/selective/`, named by the run's time. A dry
run (the default) writes nothing and logs the files a confirmed run writes.

- mode `time_range` (the input of `db_selective_recovery`): the rows of `table` with `start <= time < end`
  (default: the 30 days before the run, the guide's `NOW() - INTERVAL '30 days'`), optionally only `symbol`,
  exported with `COPY (SELECT ...) TO STDOUT` as gzip'd CSV. The guide's `pg_dump --table='(SELECT ...)'`
  matches no table: pg_dump dumps tables, not queries.
- mode `tables`: `pg_dump -Fc -t` of the listed plain tables (the guide's market_data + ml_predictions). A
  hypertable is exported whole with COPY instead: `pg_dump -t` of a hypertable dumps zero rows (they live in
  its chunks).

1. `validate_params`: mode, database (an identifier, in pg_database), tables (in the catalog), time column,
   range (parsed, start before end), symbol (a bind parameter). Logs the files to write.
2. `dump_plain_tables`: pg_dump in `pg_client_image`, verified with `pg_restore -l`, renamed from .partial,
   with a JSON manifest.
3. `export_time_ranges`: each export written under a .partial name, read back, renamed, then its manifest
   (table, columns, range, symbol, rows, sha256) written atomically.

To recover rows from a full backup: restore the set into a new database with `db_restore`, run this DAG with
`database` = that database, then `db_selective_recovery` with the export.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.dag_settings import dag_kwargs, heavy_pool
from tsdb_ops.recovery import selective_backup
from tsdb_ops.recovery.containers import DumpTablesOperator

with DAG(dag_id="db_selective_backup", params=selective_backup.SELECTIVE_BACKUP_PARAMS,
         **dag_kwargs(schedule=None, tags=["manual", "recovery"], doc_md=__doc__)):

    @task
    def validate_params(**context) -> dict:
        return selective_backup.validate_selective_backup_params(context["params"], context["dag_run"].run_after)

    @task(pool=heavy_pool())
    def export_time_ranges(validated: dict) -> list:
        return selective_backup.export_time_ranges(validated)

    validated = validate_params()
    dump = DumpTablesOperator(task_id="dump_plain_tables", validated=validated, pool=heavy_pool())

    chain(validated, dump, export_time_ranges(validated))
