"""# db_emergency_space_recovery

Manual trigger. Maintenance guide: "Advanced Maintenance: Emergency Space Recovery".

1. `validate_params`: hypertable in the catalog, number of chunks to compress, optional drop age in days;
   dropping needs `confirm` = the hypertable's name.
2. `report_largest_uncompressed_chunks`: sizes from `chunks_detailed_size()` (the guide's `pg_relation_size` is
   about 0 for compressed chunks); logs the chunks to drop and the `compress_largest` largest closed chunks to
   compress (the chunk still receiving rows is reported, not compressed).
3. `drop_listed_chunks`: only with `drop_older_than_days`, `dry_run=false` and `confirm`; `drop_chunks` with
   the plan's cutoff time (no `cascade` argument exists), rolled back if it would drop an unlisted chunk.
   Dropping first frees space that compression itself needs.
4. `compress_largest_chunks`: one chunk per transaction.

**Dry run by default**: steps 3 and 4 are skipped and the log says exactly what they would do.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.config import parse_time_config
from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_emergency_space_recovery as tasks
from tsdb_ops.tasks.manual_runs import dry_run_param, hypertable_param
from tsdb_ops.tasks.sql_steps import sql_step
from tsdb_ops.timescale.compression_stats import CHUNKS_SQL, SUMMARY_SQL

config = parse_time_config()

with DAG(
    params={
        "hypertable": hypertable_param(),
        "compress_largest": Param(
            config.emergency_compress_largest_chunks,
            title="Compress the N largest chunks",
            section="Chunks",
            type="integer",
            minimum=0,
            description="Compress this many of the largest uncompressed chunks",
        ),
        "drop_older_than_days": Param(
            None,
            title="Drop chunks older than (days)",
            section="Chunks",
            type=["null", "integer", "string"],
            description="Also DROP chunks older than this many days (empty: drop nothing)",
        ),
        "confirm": Param(
            None,
            title="Confirm: hypertable name",
            section="Run",
            type=["null", "string"],
            description="To drop: repeat the hypertable's name here",
        ),
        "dry_run": dry_run_param("Only report and list (set false to act)"),
    },
    **dag_kwargs(
        "db_emergency_space_recovery",
        description="Free disk space fast: compress the largest chunks, optionally drop old ones",
        tags=["manual", "compression", "retention"],
        doc_md=__doc__,
    ),
):
    validated = task(tasks.validate_space_recovery_params, task_id="validate_params", multiple_outputs=True)()
    summary = sql_step("read_compression_summary", SUMMARY_SQL, parameters=validated["sql_params"])
    chunks = sql_step("read_chunk_compression", CHUNKS_SQL, parameters=validated["sql_params"])
    plan = task(tasks.report_largest_uncompressed_chunks)(validated, summary.output, chunks.output)
    dropped = task(tasks.drop_listed_chunks, pool=heavy_pool())(validated, plan)
    compressed = task(tasks.compress_largest_chunks, pool=heavy_pool(), trigger_rule="none_failed")(validated, plan)

    chain(validated, [summary, chunks], plan, dropped, compressed)
