"""# db_weekly_maintenance

Runs `15 4 * * 0` (Sundays, configured time zone). Maintenance guide: "Weekly Tasks (Sunday 4:15 AM)".

1. `drop_chunks_past_drop_age`: `drop_chunks` older than `drop_chunks_older_than_days` (5 years). With the
   guide's 90-day retention policy this finds nothing: retention already dropped those chunks.
2. `compress_chunks_past_weekly_age`: chunks older than `weekly_compress_older_than_days` (30), one chunk per
   transaction with `lock_timeout`/`statement_timeout`, progress "i/n chunks"; work done is kept on failure.
3. `vacuum_analyze_database`: `VACUUM (ANALYZE)` of the whole database (autocommit; not `VACUUM FULL`).
4. `update_chunk_statistics`: ANALYZE every chunk whose statistics predate this run, report live/dead tuples.
5. `write_compression_report`: Markdown report from catalog and stats functions only, under
   `report_dir/compression/`, also the task's result and in the log.

Every step runs in the heavy-work pool (1 slot) shared with the backups; log: `db_maintenance.log`.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.dag_settings import dag_kwargs, heavy_pool
from tsdb_ops.maintenance import tasks

with DAG(dag_id="db_weekly_maintenance", **dag_kwargs(schedule="15 4 * * 0", tags=["maintenance"], doc_md=__doc__)):
    drop_old = task(tasks.drop_chunks_past_drop_age, pool=heavy_pool())()
    compress_old = task(tasks.compress_chunks_past_weekly_age, pool=heavy_pool())()
    vacuum = task(tasks.vacuum_analyze_database, pool=heavy_pool())()
    chunk_statistics = task(tasks.update_chunk_statistics, pool=heavy_pool())()
    report = task(tasks.write_compression_report, pool=heavy_pool())()

    chain(drop_old, compress_old, vacuum, chunk_statistics, report)
