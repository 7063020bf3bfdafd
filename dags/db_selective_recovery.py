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

from airflow.sdk import DAG, chain, task

from tsdb_ops.dag_settings import dag_kwargs
from tsdb_ops.recovery import selective_recovery

with DAG(dag_id="db_selective_recovery", params=selective_recovery.SELECTIVE_RECOVERY_PARAMS,
         **dag_kwargs(schedule=None, tags=["manual", "recovery"], doc_md=__doc__)):

    @task
    def validate_params(**context) -> dict:
        return selective_recovery.validate_selective_recovery_params(context["params"], context["dag_run"].run_after)

    @task
    def create_recovery_table(validated: dict) -> str:
        return selective_recovery.create_recovery_table(validated)

    @task
    def load_export_into_recovery_table(validated: dict) -> int:
        return selective_recovery.load_export_into_recovery_table(validated)

    @task
    def insert_missing_rows(validated: dict) -> dict:
        return selective_recovery.insert_missing_rows(validated)

    @task
    def drop_recovery_table(validated: dict) -> None:
        selective_recovery.drop_recovery_table(validated)

    validated = validate_params()
    create = create_recovery_table(validated)
    drop = drop_recovery_table(validated).as_teardown(setups=create)

    chain(validated, create, load_export_into_recovery_table(validated), insert_missing_rows(validated), drop)
