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
from tsdb_ops.dag_settings import dag_kwargs, heavy_pool
from tsdb_ops.manual import tasks

config = parse_time_config()

with DAG(
    dag_id="db_emergency_space_recovery",
    params={
        "hypertable": Param(config.hypertable, type="string", description="Hypertable (schema.table or table)"),
        "compress_largest": Param(config.emergency_compress_largest_chunks, type="integer", minimum=0,
                                  description="Compress this many of the largest uncompressed chunks"),
        "drop_older_than_days": Param(None, type=["null", "integer", "string"],
                                      description="Also DROP chunks older than this many days (empty: drop nothing)"),
        "confirm": Param("", type="string", description="To drop: repeat the hypertable's name here"),
        "dry_run": Param(True, type="boolean", description="Only report and list (set false to act)"),
    },
    **dag_kwargs(schedule=None, tags=["manual", "compression", "retention"], doc_md=__doc__),
):
    validated = task(tasks.validate_space_recovery_params, task_id="validate_params")()
    plan = task(tasks.report_largest_uncompressed_chunks)(validated)
    dropped = task(tasks.drop_listed_chunks, pool=heavy_pool())(validated, plan)
    compressed = task(tasks.compress_largest_chunks, pool=heavy_pool(), trigger_rule="none_failed")(validated, plan)

    chain(validated, plan, dropped, compressed)
