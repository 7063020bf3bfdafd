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

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.backup.selective_backup import MODES
from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_selective_backup as tasks
from tsdb_ops.tasks.containers import DumpTablesOperator
from tsdb_ops.tasks.manual_runs import dry_run_param

with DAG(
    params={
        "mode": Param("time_range", type="string", enum=list(MODES), title="What to back up",
                      description="time_range: the rows of one table in [start, end), optionally of one symbol, as a "
                                  "gzip'd CSV export (what db_selective_recovery reads). tables: pg_dump -Fc -t of the "
                                  "listed plain tables; a hypertable in the list is exported whole with COPY instead "
                                  "(pg_dump -t dumps zero rows of it)."),
        "table": Param("market_data", type="string", title="Table (time_range)",
                       description="Table to export in mode time_range: table or schema.table."),
        "start": Param(None, type=["null", "string"], title="Start (time_range)",
                       description="First time included, ISO 8601 (2026-03-01 or 2026-03-01T12:00:00+00:00; without an "
                                   "offset: the configured time zone). Empty: 30 days before end."),
        "end": Param(None, type=["null", "string"], title="End (time_range)",
                     description="First time NOT included, ISO 8601. Empty: the run's time."),
        "symbol": Param(None, type=["null", "string"], title="Symbol (time_range)",
                        description="Export only this symbol (e.g. EURUSD). Empty: every symbol."),
        "time_column": Param(None, type=["null", "string"], title="Time column (time_range)",
                             description="Column the range applies to. Empty: the hypertable's time dimension, else the "
                                         "configured time_column."),
        "tables": Param(["market_data", "ml_predictions"], type="array", items={"type": "string"}, title="Tables (tables)",
                        description="Tables to back up in mode tables (the guide's example: market_data, ml_predictions)."),
        "database": Param(None, type=["null", "string"], title="Database",
                          description="Database to back up from. Empty: the database of the postgres connection. To "
                                      "recover rows from a full backup, restore it into a new database with db_restore "
                                      "and export the range from there."),
        "dry_run": dry_run_param("Only validate and log what would be written. Set to false to write the files."),
    },
    **dag_kwargs("db_selective_backup", description="Export a time range or tables (COPY) to a verified file",
                 tags=["manual", "recovery"], doc_md=__doc__),
):
    validated = task(tasks.validate_params)()
    dump = DumpTablesOperator(task_id="dump_plain_tables", validated=validated, pool=heavy_pool())
    exports = task(tasks.export_time_ranges, pool=heavy_pool())(validated)

    chain(validated, dump, exports)
