"""# db_selective_recovery

Manual (no schedule), from the Airflow UI's params form. Implements the maintenance guide's "Selective Data
Recovery": put back the rows of one symbol and time range that the table lost, without touching the rows it
still has. A dry run (the default) changes nothing and logs the plan with the rows the table holds now.

Source: a time-range export written by `db_selective_backup` (gzip'd CSV + manifest, checked by sha256). A full
backup's dump is not read directly: for a hypertable its rows are in chunk tables (compressed chunks in
compressed form), so `pg_restore -t market_data` yields none. From a full backup: `db_restore` into a new
database, `db_selective_backup` from that database, then this DAG.

1. `validate_params`: the export (path under `selective/`, manifest, sha256), its table in the catalog with
   the same columns and a unique index (`ux_market_data_sym_tf_ts`), symbol (a bind parameter), range (within
   the export's; `start <= time < end`). Logs the plan.
2. `create_recovery_table`: `CREATE TABLE <table>_recovery_<run time> (LIKE <table>)`.
3. `load_export_into_recovery_table`: COPY of the export; the row count must equal the manifest's.
4. `insert_missing_rows`: `INSERT ... SELECT ... WHERE symbol = %s AND time >= %s AND time < %s ON CONFLICT DO
   NOTHING`; reports rows inserted and already present (a second run inserts 0).
5. `drop_recovery_table`: a teardown, so the recovery table is dropped also when a step fails.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.dag_defaults import dag_kwargs
from tsdb_ops.tasks import db_selective_recovery as tasks
from tsdb_ops.tasks.manual_runs import dry_run_param

with DAG(
    params={
        "export": Param(None, type=["null", "string"], title="Export manifest",
                        description="The export to recover from: its manifest relative to backup_root, e.g. "
                                    "selective/public.market_data_20260302T120000.json (db_selective_backup logs it). "
                                    "Empty: the newest export of the configured hypertable."),
        "symbol": Param(None, type=["null", "string"], title="Symbol",
                        description="Symbol whose rows are recovered, e.g. EURUSD. Empty: the export's symbol (required "
                                    "when the export holds every symbol)."),
        "start": Param(None, type=["null", "string"], title="Start",
                       description="First time recovered, ISO 8601 (without an offset: the configured time zone). "
                                   "Empty: the export's start."),
        "end": Param(None, type=["null", "string"], title="End",
                     description="First time NOT recovered, ISO 8601. Empty: the export's end."),
        "dry_run": dry_run_param("Only validate and log what would be done (nothing is written). Set to false to "
                                 "insert the missing rows."),
    },
    **dag_kwargs("db_selective_recovery", description="Insert the rows of an export that are missing (ON CONFLICT DO NOTHING)",
                 tags=["manual", "recovery"], doc_md=__doc__),
):
    validated = task(tasks.validate_params)()
    create = task(tasks.create_recovery_table)(validated)
    load = task(tasks.load_export_into_recovery_table)(validated)
    insert = task(tasks.insert_missing_rows)(validated)
    drop = task(tasks.drop_recovery_table)(validated).as_teardown(setups=create)

    chain(validated, create, load, insert, drop)
