"""# db_recompress_inefficient

Manual trigger. Maintenance guide: "Advanced Maintenance: Recompress Inefficient Chunks".

Decompresses and compresses again the compressed chunks that saved less than `max_saved_percent` and were
larger than `min_chunk_bytes` before compression (defaults: the guide's 50 % and 1 MB), e.g. chunks compressed
before the compression settings were fixed. Numbers come from `chunk_compression_stats()` (the guide's
`compression_chunk_size` view does not exist). Each chunk is decompressed and compressed in ONE transaction:
a failure leaves it compressed as before.

1. `validate_params`: hypertable in the catalog with compression enabled, percentage and size.
2. `list_inefficient_chunks`: logs each chunk with its bytes before/after and the percent saved.
3. `recompress_listed_chunks`: **dry run by default** (skipped); with `dry_run=false` recompresses exactly those
   chunks and logs the percent saved before and after. Log: `db_maintenance.log`.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.config import parse_time_config
from tsdb_ops.dag_settings import dag_kwargs, heavy_pool
from tsdb_ops.manual import tasks

config = parse_time_config()

with DAG(
    dag_id="db_recompress_inefficient",
    params={
        "hypertable": Param(config.hypertable, type="string", description="Hypertable (schema.table or table)"),
        "max_saved_percent": Param(config.recompress_max_saved_percent, type="number",
                                   description="Recompress chunks whose compression saved less than this percent"),
        "min_chunk_bytes": Param(config.recompress_min_chunk_bytes, type="integer",
                                 description="Only chunks larger than this before compression (bytes)"),
        "dry_run": Param(True, type="boolean", description="Only list the chunks (set false to recompress them)"),
    },
    **dag_kwargs(schedule=None, tags=["manual", "compression"], doc_md=__doc__),
):
    validated = task(tasks.validate_recompress_params, task_id="validate_params")()
    plan = task(tasks.list_inefficient_chunks)(validated)
    recompressed = task(tasks.recompress_listed_chunks, pool=heavy_pool())(validated, plan)

    chain(validated, plan, recompressed)
