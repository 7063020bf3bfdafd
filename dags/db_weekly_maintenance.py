"""# db_weekly_maintenance

Runs `15 4 * * 0` (Sundays, configured time zone). Maintenance guide: "Weekly Tasks (Sunday 4:15 AM)".

1. `resolve_hypertable`: the configured hypertable in the catalog; its names are the later steps' parameters.
2. `drop_chunks_past_drop_age`: `drop_chunks` older than `drop_chunks_older_than_days` (5 years). With the
   guide's 90-day retention policy this finds nothing: retention already dropped those chunks.
3. `compress_chunks_past_weekly_age`: chunks older than `weekly_compress_older_than_days` (30), one chunk per
   transaction with `lock_timeout`/`statement_timeout`, progress "i/n chunks"; work done is kept on failure.
4. `vacuum_analyze_database` (SQL): `VACUUM (ANALYZE)` of the whole database (autocommit; not `VACUUM FULL`).
5. `read_chunk_statistics` (SQL) then `analyze_stale_chunks`: ANALYZE every chunk whose statistics predate
   this run, report live/dead tuples summed over the chunks.
6. `read_compression_summary`, `read_chunk_compression`, `read_timeframe_shares` (SQL, catalog and stats
   functions only) and `read_data_distribution` (rows, oldest, newest, bytes per symbol and timeframe from the
   compressed segments' metadata, the uncompressed chunks' indexes and row counts, exact counts where the
   estimate does not fit; estimates labelled) then
   `write_compression_report`: Markdown under `report_dir/compression/` with per-month and per-day timelines,
   also the task's result and in the log.

Every database step runs in the heavy-work pool (1 slot) shared with the backups; log: `db_maintenance.log`.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.maintenance.weekly import CHUNK_STATISTICS_SQL, VACUUM_ANALYZE_SQL
from tsdb_ops.tasks import db_weekly_maintenance as tasks
from tsdb_ops.tasks.sql_steps import sql_step
from tsdb_ops.timescale.compression_stats import CHUNKS_SQL, SUMMARY_SQL, TIMEFRAME_SHARES_SQL

with DAG(**dag_kwargs(
    "db_weekly_maintenance",
    description="Weekly: drop and compress old chunks, VACUUM ANALYZE, chunk statistics, compression report",
    tags=["maintenance"],
    doc_md=__doc__,
)):
    hypertable = task(tasks.resolve_hypertable)()
    drop_old = task(tasks.drop_chunks_past_drop_age, pool=heavy_pool())(hypertable)
    compress_old = task(tasks.compress_chunks_past_weekly_age, pool=heavy_pool())(hypertable)
    vacuum = sql_step("vacuum_analyze_database", VACUUM_ANALYZE_SQL, autocommit=True, pool=heavy_pool())
    chunk_statistics = sql_step("read_chunk_statistics", CHUNK_STATISTICS_SQL, parameters=hypertable)
    analyzed = task(tasks.analyze_stale_chunks, pool=heavy_pool())(hypertable, chunk_statistics.output)
    summary = sql_step("read_compression_summary", SUMMARY_SQL, parameters=hypertable)
    chunks = sql_step("read_chunk_compression", CHUNKS_SQL, parameters=hypertable)
    shares = sql_step("read_timeframe_shares", TIMEFRAME_SHARES_SQL, parameters=hypertable)
    distribution = task(tasks.read_data_distribution)(hypertable)
    report = task(tasks.write_compression_report)(hypertable, summary.output, chunks.output, shares.output,
                                                  distribution)

    chain(hypertable, drop_old, compress_old, vacuum, chunk_statistics, analyzed, [summary, chunks, shares, distribution],
          report)
