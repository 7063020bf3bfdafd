"""Arguments every tsdb-ops DAG shares: schedule time zone, ownership, retries, failure alerts, SQL path.

Read at DAG-parse time, so it only uses :func:`parse_time_config` (environment and defaults, no DB).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum

from tsdb_ops.alerts.task_failure import notify_task_failure
from tsdb_ops.config import OpsConfig, parse_time_config
from tsdb_ops.paths import SQL_DIR

START_DATE = (2026, 1, 1)
# The nightly backup's schedule: its DAG and the monitor (which reads that DAG's run history) share it.
NIGHTLY_BACKUP_SCHEDULE = "0 2 * * *"


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


def dag_kwargs(*, schedule: str | None, tags: list[str], doc_md: str | None) -> dict[str, Any]:
    """Keyword arguments for ``DAG(...)`` shared by all tsdb-ops DAGs."""
    config = parse_time_config()
    return {
        "schedule": schedule,
        "start_date": pendulum.datetime(*START_DATE, tz=config.timezone),
        "catchup": False,
        "max_active_runs": 1,
        "tags": ["tsdb-ops", *tags],
        "doc_md": doc_md,
        "default_args": default_args(config),
        "template_searchpath": [str(SQL_DIR)],
        "render_template_as_native_obj": False,
    }


def heavy_pool() -> str:
    """The Airflow pool (1 slot) that serialises heavy DB work of maintenance and backup DAGs."""
    return parse_time_config().heavy_db_pool
