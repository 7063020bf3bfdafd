"""Outcomes of the scheduled db_nightly_backup runs, from Airflow's own run history.

A task cannot query the metadata DB in Airflow 3; the Task SDK's ``get_dr_count`` asks the API server for the
number of runs of a DAG by logical date and state. The scheduled runs' logical dates are the cron's fire times,
so the monitor asks about the last N of them. Manual runs (no logical date) are not counted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pendulum
from croniter import croniter

NIGHTLY_DAG_ID = "db_nightly_backup"


def scheduled_fire_times(schedule: str, before: datetime, count: int, timezone: str) -> list[datetime]:
    """The last ``count`` fire times of ``schedule`` at or before ``before``, newest first."""
    local = pendulum.instance(before).in_timezone(timezone)
    cron = croniter(schedule, local + timedelta(seconds=1))
    return [pendulum.instance(cron.get_prev(datetime)).in_timezone("UTC") for _ in range(count)]


def nightly_outcomes(
    count_runs: Callable[..., int], schedule: str, before: datetime, count: int, timezone: str
) -> list[str | None]:
    """'success', 'failed' or None (no finished run) for each of the last scheduled nightly runs (``schedule``:
    the nightly DAG's cron, handed in by the DAG's shell), newest first."""
    outcomes: list[str | None] = []
    for logical_date in scheduled_fire_times(schedule, before, count, timezone):
        if count_runs(dag_id=NIGHTLY_DAG_ID, logical_dates=[logical_date], states=["failed"]):
            outcomes.append("failed")
        elif count_runs(dag_id=NIGHTLY_DAG_ID, logical_dates=[logical_date], states=["success"]):
            outcomes.append("success")
        else:
            outcomes.append(None)
    return outcomes
