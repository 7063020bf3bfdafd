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
from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_recompress_inefficient as tasks
from tsdb_ops.tasks.manual_runs import dry_run_param, hypertable_param
from tsdb_ops.tasks.sql_steps import sql_step
from tsdb_ops.timescale.compression_stats import CHUNKS_SQL

config = parse_time_config()

with DAG(
    params={
        "hypertable": hypertable_param(),
        "max_saved_percent": Param(
            config.recompress_max_saved_percent,
            title="Saved less than (%)",
            section="Chunks",
            type="number",
            description="Recompress chunks whose compression saved less than this percent",
        ),
        "min_chunk_bytes": Param(
            config.recompress_min_chunk_bytes,
            title="Chunks larger than (bytes)",
            section="Chunks",
            type="integer",
            description="Only chunks larger than this before compression (bytes)",
        ),
        "dry_run": dry_run_param("Only list the chunks (set false to recompress them)"),
    },
    **dag_kwargs(
        "db_recompress_inefficient",
        description="Recompress chunks whose compression saved little (dry run first)",
        tags=["manual", "compression"],
        doc_md=__doc__,
    ),
):
    validated = task(tasks.validate_recompress_params, task_id="validate_params", multiple_outputs=True)()
    chunks = sql_step("read_chunk_compression", CHUNKS_SQL, parameters=validated["sql_params"])
    plan = task(tasks.list_inefficient_chunks)(validated, chunks.output)
    recompressed = task(tasks.recompress_listed_chunks, pool=heavy_pool())(validated, plan)

    chain(validated, chunks, plan, recompressed)
