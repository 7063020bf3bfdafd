"""# db_selective_recovery

Manual (no schedule), from the Airflow UI's params form. Implements the maintenance guide's "Selective Data
Recovery": put back the rows of one symbol and time range that the table lost, without touching the rows it
still has. A dry run (the default) changes nothing and logs the plan with the rows the table holds now.

Source: a time-range export written by `db_selective_backup` (gzip'd CSV + manifest, checked by sha256). A full
backup's dump is not read directly: for a hypertable its rows are in chunk tables (compressed chunks in
compressed form), so `pg_restore -t market_data` yields none. From a full backup: `db_restore` into a new
database, `db_selective_backup` from that database, then this DAG.

1. `validate_params`: the export (path under `selective/`, manifest, sha256), its table in the catalog with
   the same columns, symbol (a bind parameter), range (within the export's; `start <= time < end`).
2. `read_unique_indexes`, `count_rows_present` (SQL), then `check_recovery_plan`: the table needs a unique index
   (`ux_market_data_sym_tf_ts`) for ON CONFLICT DO NOTHING; logs the plan with the rows the table holds now.
3. `create_recovery_table` (SQL): `CREATE TABLE <table>_recovery_<run time> (LIKE <table>)`.
4. `load_export_into_recovery_table`: COPY of the export; the row count must equal the manifest's.
5. `insert_missing_rows` (SQL): `INSERT ... SELECT ... WHERE symbol = %s AND time >= %s AND time < %s ON CONFLICT
   DO NOTHING`, counting the export's rows in the range and those inserted; `report_recovered_rows` says how many
   were inserted and already present (a second run inserts 0).
6. `drop_recovery_table` (SQL): a teardown, so the recovery table is dropped also when a step fails.

The acting steps (3 to 6) skip in a dry run, also when one is cleared alone; loading and inserting take the heavy
pool.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.backup.selective_recovery import (
    CREATE_RECOVERY_TABLE_SQL,
    DROP_RECOVERY_TABLE_SQL,
    INSERT_MISSING_ROWS_SQL,
    ROWS_PRESENT_SQL,
    UNIQUE_INDEXES_SQL,
)
from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_selective_recovery as tasks
from tsdb_ops.tasks.manual_runs import dry_run_param
from tsdb_ops.tasks.sql_steps import skip_as_planned, sql_step

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
    validated = task(tasks.validate_params, multiple_outputs=True)()
    names, values = validated["identifiers"], validated["sql_params"]
    indexes = sql_step("read_unique_indexes", UNIQUE_INDEXES_SQL, parameters=values)
    present = sql_step("count_rows_present", ROWS_PRESENT_SQL, parameters=values, identifiers=names)
    checked = task(tasks.check_recovery_plan)(validated, indexes.output, present.output)
    create = sql_step("create_recovery_table", CREATE_RECOVERY_TABLE_SQL, identifiers=names,
                      pre_execute=skip_as_planned("validate_params", "create_recovery_table"))
    load = task(tasks.load_export_into_recovery_table, pool=heavy_pool())(validated)
    insert = sql_step("insert_missing_rows", INSERT_MISSING_ROWS_SQL, parameters=values, identifiers=names,
                      pre_execute=skip_as_planned("validate_params", "insert_missing_rows"), pool=heavy_pool())
    report = task(tasks.report_recovered_rows)(validated, insert.output)
    drop = sql_step("drop_recovery_table", DROP_RECOVERY_TABLE_SQL, identifiers=names,
                    pre_execute=skip_as_planned("validate_params", "drop_recovery_table")).as_teardown(setups=create)

    chain(validated, [indexes, present], checked, create, load, insert, report, drop)
