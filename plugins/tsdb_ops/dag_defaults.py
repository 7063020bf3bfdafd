"""What every tsdb-ops DAG shares: its schedule, time zone, ownership, retries, failure alerts and SQL path.

Every schedule is here, once: a DAG file takes its own, and the monitor is handed the nightly backup's (it judges
that DAG's run history). Read at DAG-parse time, so it only uses :func:`parse_time_config` (environment and
defaults, no database). It sits above the subject packages: it attaches the failure alert of ``alerts`` to every
task through ``default_args`` (DAG-level failure callbacks are unreliable in Airflow 3).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum

from tsdb_ops.alerts.task_failure import notify_task_failure
from tsdb_ops.config import OpsConfig, load_config, parse_time_config
from tsdb_ops.files import SQL_DIR

START_DATE = (2026, 1, 1)
# Cron schedules in the configured time zone; None: triggered from the UI only.
SCHEDULES: dict[str, str | None] = {
    "db_nightly_backup": "0 2 * * *",
    "db_daily_cleanup": "0 3 * * *",
    "db_weekly_maintenance": "15 4 * * 0",
    "db_restore_verification": "0 5 * * 0",
    "db_backup_monitor": "0 * * * *",
    "db_health_check": "30 */6 * * *",
    "db_base_backup": "30 1 * * 0",
    "db_pitr_verification": "30 5 * * 0",
}


def default_args(config: OpsConfig) -> dict[str, Any]:
    """Task defaults. The failure alert is attached per task: DAG-level callbacks are unreliable in Airflow 3."""
    return {
        "owner": config.owner,
        "retries": config.retries,
        "retry_delay": timedelta(minutes=config.retry_delay_minutes),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=config.max_retry_delay_minutes),
        "on_failure_callback": notify_task_failure,
    }


def dag_kwargs(dag_id: str, *, description: str, tags: list[str], doc_md: str | None) -> dict[str, Any]:
    """Keyword arguments for ``DAG(...)``: the DAG's schedule from SCHEDULES and what all tsdb-ops DAGs share.

    SQL files are found through ``template_searchpath``; templates reach the runtime configuration through the
    ``tsdb_config()`` macro (the connection id, timeouts), so nothing is read from the metadata DB at parse time.
    """
    config = parse_time_config()
    return {
        "dag_id": dag_id,
        "description": description,
        "schedule": SCHEDULES.get(dag_id),
        "start_date": pendulum.datetime(*START_DATE, tz=config.timezone),
        "catchup": False,
        "max_active_runs": 1,
        "tags": ["tsdb-ops", *tags],
        "doc_md": doc_md,
        "default_args": default_args(config),
        "template_searchpath": [str(SQL_DIR)],
        "user_defined_macros": {"tsdb_config": load_config},
        "render_template_as_native_obj": False,
    }


def heavy_pool() -> str:
    """The Airflow pool (1 slot) that serialises heavy DB work of maintenance and backup DAGs."""
    return parse_time_config().heavy_db_pool
