"""# db_compress_symbol

Manual trigger. Maintenance guide: "Manual Maintenance: Compress Specific Symbol Data".

Compresses the uncompressed chunks older than `older_than_days` whose time range holds rows of `symbol`.
**A chunk is a time range holding every symbol: compressing it compresses every symbol in that range**, not
only the one given (the guide's `min_value` filter does not exist). Chunks without any row of the symbol are
left alone; the check is an index-backed `EXISTS` per chunk range (`>= start AND < end`).

1. `validate_params`: hypertable in the catalog with compression enabled, symbol name, age in days
   (`30`, `"30 days"`, `"4 weeks"`).
2. `check_symbol_has_rows`, `list_old_chunks_holding_symbol` (SQL): whether the symbol has any row; the chunks
   older than the age (`show_chunks(older_than)`), each uncompressed one with whether it holds the symbol.
3. `list_chunks_holding_symbol`: fails on a symbol without rows (misspelt), logs exactly the chunks that would be
   compressed.
4. `compress_listed_chunks`: **dry run by default** (skipped); with `dry_run=false` compresses exactly those
   chunks, one per transaction with the maintenance timeouts. Log: `db_maintenance.log`.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.config import parse_time_config
from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.maintenance.compress_symbol import OLD_CHUNKS_HOLDING_SYMBOL_SQL, SYMBOL_HAS_ROWS_SQL
from tsdb_ops.tasks import db_compress_symbol as tasks
from tsdb_ops.tasks.manual_runs import dry_run_param, hypertable_param
from tsdb_ops.tasks.sql_steps import sql_step

config = parse_time_config()

with DAG(
    params={
        "hypertable": hypertable_param(),
        "symbol": Param(
            "EURUSD",
            title="Symbol",
            section="Target",
            type="string",
            description="Symbol whose chunks are compressed, e.g. EURUSD",
        ),
        "older_than_days": Param(
            config.compress_after_days,
            title="Older than (days)",
            section="Chunks",
            type=["integer", "string"],
            description="Compress chunks older than this: days (30) or '30 days' / '4 weeks'",
        ),
        "dry_run": dry_run_param("Only list the chunks (set false to compress them)"),
    },
    **dag_kwargs(
        "db_compress_symbol",
        description="Compress the chunks older than an age that hold a symbol's rows (dry run first)",
        tags=["manual", "compression"],
        doc_md=__doc__,
    ),
):
    validated = task(tasks.validate_compress_symbol_params, task_id="validate_params", multiple_outputs=True)()
    has_rows = sql_step("check_symbol_has_rows", SYMBOL_HAS_ROWS_SQL, parameters=validated["sql_params"],
                        identifiers=validated["identifiers"])
    old_chunks = sql_step("list_old_chunks_holding_symbol", OLD_CHUNKS_HOLDING_SYMBOL_SQL,
                          parameters=validated["sql_params"], identifiers=validated["identifiers"])
    plan = task(tasks.list_chunks_holding_symbol)(validated, has_rows.output, old_chunks.output)
    compressed = task(tasks.compress_listed_chunks, pool=heavy_pool())(validated, plan)

    chain(validated, [has_rows, old_chunks], plan, compressed)
