"""# db_backup_monitor

**Hourly** (minute 0, configured time zone). Implements the maintenance guide's *Backup Monitoring and Alerting*
(`monitor_backups.sh`): each check is its own task, so the grid shows which one found something.

| task | severity | what |
|---|---|---|
| `check_freshness` | critical | newest verified database / models / configs backup older than `max_backup_age_hours` (25 h) |
| `check_sizes` | critical | newest database backup below `min_backup_size_bytes` (1 MB) |
| `check_integrity` | critical | manifest missing/unreadable, sha256 differs, dump TOC or tarball unreadable |
| `check_disk_usage` | critical | backup volume fuller than `disk_usage_threshold_percent` (85 %) |
| `check_failed_runs` | critical | 2 scheduled `db_nightly_backup` runs failed in a row (Airflow's run history) |
| `check_log_errors` | critical | ERROR lines in `backup.log` since the last check |
| `check_pitr` | critical | `pitr_enabled`: WAL stream down > 60 s, slot lost, barman check, base backup age, slot WAL |
| `check_trends` | warning | size change > 50 %, shrinking, compression ratio out of band, slow, suspiciously fast |

The integrity check is three tasks: `hash_backup_files` (sizes and sha256 against the manifests; it chooses the
dumps to list), `list_dumps_with_pg_restore` (`pg_restore -l` of those dumps in `pg_client_image`, a DockerOperator:
network off, db/ mounted read-only; no container when no dump is new or changed) and `check_integrity` (the
findings; the verdicts are recorded only now).

Findings go through the alert API: critical to every active channel, warnings to chat; an open alert is not
repeated within `alert_repeat_window_hours`; a cleared one sends one "resolved". `conclude` writes the run's line
to `backup_monitor.log`, pings `heartbeat_url` (`/fail` on critical) and **fails the run on any critical
finding**, after alerting. Each file is verified when new or changed, re-hashed at least once per
`monitor_rehash_days` (7 d) spread over the hourly runs, and a file in a bad state is re-hashed every run.

A backfill or a run for a past hour evaluates freshness, sizes and trends **as of that hour** (the end of its
data interval, or `run_after` for a manual run); integrity, disk, log errors and failed runs can only look at the
present, and the run's log line says so. The first run at or after `monitor_summary_hour` (06:00) writes the
daily summary (success rate, size and duration trends, directory growth, a PNG chart) under `report_dir`;
trigger with `{"summary": true}` to write it now.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, TriggerRule, chain, task

from tsdb_ops.dag_defaults import dag_kwargs
from tsdb_ops.tasks import db_backup_monitor as tasks
from tsdb_ops.tasks.containers import ListDumpsOperator

with DAG(
    params={"summary": Param(False, type="boolean", title="Write the daily summary now", section="Run",
                             description="Write the daily summary report in this run")},
    **dag_kwargs("db_backup_monitor", description="Hourly backup checks (freshness, size, integrity, disk, failed runs) "
                 "with alerts", tags=["backup", "monitoring"], doc_md=__doc__),
):
    @task
    def run_check(name: str, **context) -> dict:
        return tasks.run_check(name, context)

    check_tasks = {name: run_check.override(task_id=f"check_{name}")(name) for name in tasks.CHECKS}
    hashed = task(tasks.hash_backup_files)()
    listed = ListDumpsOperator(task_id="list_dumps_with_pg_restore", hashed=hashed)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def conclude(**context) -> dict:
        return tasks.conclude(tasks.check_results(context), context)

    @task.short_circuit(trigger_rule=TriggerRule.ALL_DONE)
    def is_daily_summary_due(params: dict, **context) -> bool:
        return tasks.daily_summary_is_due(context, force=params["summary"])

    @task
    def write_daily_summary(**context) -> str:
        return tasks.write_daily_summary(context)

    chain(hashed, listed, check_tasks["integrity"])
    chain(list(check_tasks.values()), conclude())
    chain(list(check_tasks.values()), is_daily_summary_due(), write_daily_summary())
