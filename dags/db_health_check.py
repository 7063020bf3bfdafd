"""# db_health_check

Runs `30 */6 * * *` (every 6 hours, configured time zone). Maintenance guide: "Monitoring and Troubleshooting"
(Query Performance, System Health, Job Management, Lock Monitoring) and the stack's `health_unhealthy_check.sh`.

`resolve_health_target` finds the configured table, its chunks and what the server offers. Each check reads
catalog and statistics views only and judges them against the `health_*` settings:

1. `check_timescaledb_jobs`: jobs whose last run `Failed`, errors in `job_errors`, "out of background workers".
2. `read_table_stats`, `read_index_stats` (SQL) then `check_dead_tuples_and_bloat`: dead tuples and estimated
   table/index bloat, summed over the hypertable's chunks.
3. `read_blocked_locks` (SQL) then `check_blocked_locks`: sessions waiting on locks and who blocks them.
4. `check_slow_queries`: slow statements from `pg_stat_statements` (a note says how to enable it when absent).
5. `check_index_usage` (from `read_index_stats`): scans per index; large non-unique indexes never scanned.
6. `check_overdue_compression`: uncompressed chunks older than the compression policy's `compress_after`.
7. `read_chunk_interval` (SQL) then `check_chunk_interval`: `chunk_time_interval` against TimescaleDB's sizing
   advice: the indexes of the newest chunk interval within `health_chunk_index_max_memory_percent` (25 %) of
   memory (`health_memory_bytes`; when 0, 4 x shared_buffers as timescaledb-tune sets it), and no more than
   `health_chunks_max_per_day` complete chunk intervals smaller than `health_chunk_small_bytes`.
8. `check_stack_containers`: containers of the stack (`health_containers`) unhealthy or restarting.
9. `alert_and_write_health_report`: alerts through the monitor-alert API (one scope per check, repeats
   suppressed, cleared findings resolved), writes `report_dir/health/health_<run_after>.md`, logs to
   `db_health.log`, and fails the run when a finding is critical. It runs even when a check failed.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.dag_defaults import dag_kwargs
from tsdb_ops.health.bloat import TABLE_STATS_SQL
from tsdb_ops.health.chunk_interval import CHUNK_INTERVAL_SQL
from tsdb_ops.health.indexes import INDEX_STATS_SQL
from tsdb_ops.health.locks import BLOCKED_LOCKS_SQL
from tsdb_ops.tasks import db_health_check as tasks
from tsdb_ops.tasks.sql_steps import sql_step

with DAG(**dag_kwargs(
    "db_health_check",
    description="Every 6 h: failed jobs, bloat, locks, slow queries, indexes, compression, chunk interval, containers",
    tags=["monitoring", "health"],
    doc_md=__doc__,
)):
    target = task(tasks.resolve_health_target, multiple_outputs=True)()
    table_stats = sql_step("read_table_stats", TABLE_STATS_SQL, parameters=target["sql_params"])
    index_stats = sql_step("read_index_stats", INDEX_STATS_SQL, parameters=target["sql_params"])
    blocked_locks = sql_step("read_blocked_locks", BLOCKED_LOCKS_SQL)
    chunk_sizes = sql_step("read_chunk_interval", CHUNK_INTERVAL_SQL, parameters=target["sql_params"])
    checks = [
        task(tasks.check_timescaledb_jobs)(target),
        task(tasks.check_dead_tuples_and_bloat)(target, table_stats.output, index_stats.output),
        task(tasks.check_blocked_locks)(blocked_locks.output),
        task(tasks.check_slow_queries)(target),
        task(tasks.check_index_usage)(target, index_stats.output),
        task(tasks.check_overdue_compression)(target),
        task(tasks.check_chunk_interval)(target, chunk_sizes.output),
        task(tasks.check_stack_containers)(),
    ]
    report = task(tasks.alert_and_write_health_report, trigger_rule="all_done")()

    chain(target, [table_stats, index_stats, blocked_locks, chunk_sizes])
    chain(checks, report)
