"""# db_compress_time_range

Manual trigger. Maintenance guide: "Advanced Maintenance Tasks: Optimize Specific Timeframes" ("compress
hourly data differently from daily data").

**Why not "compress the H1 chunks":** a chunk is a time range of the hypertable holding every symbol and every
timeframe of that range, and compression works on whole chunks (segmented by symbol, so a timeframe is not even
a unit inside a compressed chunk). No chunk holds only H1 bars, and the guide's loop (every `market_data` row
joined to the chunks with `BETWEEN`) would have compressed every chunk holding an H1 bar, i.e. all of them, after
a full scan. Compressing one timeframe differently would need another table or other compression settings.

**What this does instead:** compresses the uncompressed chunks of a time range, chosen from the weekly
compression report (its per-day timeline and per-symbol/per-timeframe distribution).

1. `validate_params`: `start`/`end` as ISO dates or timestamps (empty: no bound; without an offset they are taken
   in the configured time zone), `start` before `end`, the hypertable in the catalog with compression enabled.
2. `list_chunks_in_range` (SQL, catalog only): exactly the uncompressed chunks whose whole range lies within
   `[start, end)`; a chunk only partly inside is left out.
3. `compress_listed_chunks`: logs those chunks; **dry run by default** (then skipped); with `dry_run=false`
   compresses exactly them, one per transaction with the maintenance timeouts, in the heavy-work pool. Log:
   `db_maintenance.log`.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_compress_time_range as tasks
from tsdb_ops.tasks.manual_runs import dry_run_param, hypertable_param
from tsdb_ops.tasks.sql_steps import sql_step
from tsdb_ops.timescale.distribution import CHUNKS_IN_RANGE_SQL

with DAG(
    params={
        "hypertable": hypertable_param(),
        "start": Param(
            None,
            title="Start",
            section="Time range",
            type=["null", "string"],
            description="First instant of the range (ISO date or timestamp, e.g. 2026-03-01); empty: the oldest chunk",
        ),
        "end": Param(
            None,
            title="End",
            section="Time range",
            type=["null", "string"],
            description="End of the range, excluded (ISO date or timestamp, e.g. 2026-04-01); empty: no upper bound",
        ),
        "dry_run": dry_run_param("Only list the chunks (set false to compress them)"),
    },
    **dag_kwargs(
        "db_compress_time_range",
        description="Compress the uncompressed chunks lying within a time range (dry run first)",
        tags=["manual", "compression"],
        doc_md=__doc__,
    ),
):
    validated = task(tasks.validate_compress_time_range_params, task_id="validate_params")()
    listed = sql_step("list_chunks_in_range", CHUNKS_IN_RANGE_SQL, parameters=validated)
    compressed = task(tasks.compress_listed_chunks, pool=heavy_pool())(validated, listed.output)

    chain(validated, listed, compressed)
