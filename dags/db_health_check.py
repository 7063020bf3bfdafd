"""# db_health_check

Runs `30 */6 * * *` (every 6 hours, configured time zone). Maintenance guide: "Monitoring and Troubleshooting"
(Query Performance, System Health, Job Management, Lock Monitoring) and the stack's `health_unhealthy_check.sh`.

Each check reads catalog and statistics views only and judges them against the `health_*` settings:

1. `check_timescaledb_jobs`: jobs whose last run `Failed`, errors in `job_errors`, "out of background workers".
2. `check_dead_tuples_and_bloat`: dead tuples and estimated table/index bloat, summed over the hypertable's chunks.
3. `check_blocked_locks`: sessions waiting on locks and who blocks them (`pg_blocking_pids()`).
4. `check_slow_queries`: slow statements from `pg_stat_statements` (a note says how to enable it when absent).
5. `check_index_usage`: scans per index of the hypertable; large non-unique indexes never scanned.
6. `check_overdue_compression`: uncompressed chunks older than the compression policy's `compress_after`.
7. `check_stack_containers`: containers of the stack (`health_containers`) unhealthy or restarting.
8. `alert_and_write_health_report`: alerts through the monitor-alert API (one scope per check, repeats
   suppressed, cleared findings resolved), writes `report_dir/health/health_<run_after>.md`, logs to
   `db_health.log`, and fails the run when a finding is critical. It runs even when a check failed.
"""

from __future__ import annotations

from airflow.sdk import DAG, task

from tsdb_ops.dag_settings import dag_kwargs
from tsdb_ops.health import tasks

with DAG(dag_id="db_health_check", **dag_kwargs(schedule="30 */6 * * *", tags=["monitoring", "health"], doc_md=__doc__)):
    checks = [
        task(tasks.check_timescaledb_jobs)(),
        task(tasks.check_dead_tuples_and_bloat)(),
        task(tasks.check_blocked_locks)(),
        task(tasks.check_slow_queries)(),
        task(tasks.check_index_usage)(),
        task(tasks.check_overdue_compression)(),
        task(tasks.check_stack_containers)(),
    ]
    report = task(tasks.alert_and_write_health_report, trigger_rule="all_done")()

    checks >> report
