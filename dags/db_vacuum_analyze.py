"""# db_vacuum_analyze

Manual trigger. Maintenance guide: "Performance Issues" ("Run manual VACUUM ANALYZE") and "Weekly Tasks: Full
VACUUM ANALYZE" (which means the whole database; the weekly DAG runs that on its own schedule).

1. `validate_params`: `table` (empty: the whole database) checked as identifiers and found in the catalog;
   `full=true` needs `confirm` = the table's name (as given or schema.table), or `ALL` for the whole database.
   Logs the exact statement, what it covers and the sizes.
2. `vacuum_analyze`: **dry run by default** (skipped); with `dry_run=false` runs `VACUUM (ANALYZE)` (or
   `VACUUM (FULL, ANALYZE)`) with autocommit and the maintenance `lock_timeout` / `statement_timeout`.

A hypertable needs no chunk loop: TimescaleDB runs a hypertable's VACUUM on every chunk and on the compressed
chunks' tables. Plain VACUUM takes a SHARE UPDATE EXCLUSIVE lock (inserts go on). **VACUUM FULL** rewrites each
table under an ACCESS EXCLUSIVE lock: the ingest into that table waits until it is done, and the disk needs free
space for a copy of the largest table. The table reaches SQL only as `sql.Identifier`. Log: `db_maintenance.log`.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_vacuum_analyze as tasks
from tsdb_ops.tasks.manual_runs import dry_run_param

with DAG(
    params={
        "table": Param(
            None,
            title="Table",
            section="Target",
            type=["null", "string"],
            description="Table to VACUUM ANALYZE (schema.table or table; a hypertable covers its chunks). "
                        "Empty: the whole database",
        ),
        "full": Param(
            False,
            title="VACUUM FULL",
            section="Run",
            type="boolean",
            description="Rewrite the table(s) to give space back to the operating system: an exclusive lock per "
                        "table stops the ingest into it while it runs; needs confirm",
        ),
        "confirm": Param(
            None,
            title="Confirm FULL: table name or ALL",
            section="Run",
            type=["null", "string"],
            description="For full=true: repeat the table's name here, or ALL when the table is empty (whole database)",
        ),
        "dry_run": dry_run_param("Only validate and log the statement (set false to run it)"),
    },
    **dag_kwargs(
        "db_vacuum_analyze",
        description="VACUUM ANALYZE one table or the whole database; VACUUM FULL only when confirmed (dry run first)",
        tags=["manual", "maintenance"],
        doc_md=__doc__,
    ),
):
    validated = task(tasks.validate_params)()
    vacuumed = task(tasks.vacuum_analyze, pool=heavy_pool())(validated)

    chain(validated, vacuumed)
