"""db_job_control's task bodies: list the hypertable's jobs and validate the params, then pause, resume or run one.

Every line is also written to db_maintenance.log, prefixed with the DAG id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow.sdk.exceptions import AirflowSkipException

from tsdb_ops import params as p
from tsdb_ops.config import load_config
from tsdb_ops.db import db_session
from tsdb_ops.maintenance.chunk_plan import (
    hypertable_names,
    resolve_param_hypertable,
)
from tsdb_ops.maintenance.maintenance_log import maintenance_logger
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run
from tsdb_ops.timescale.table import table_from_text


def _say() -> Callable[[str], None]:
    return maintenance_logger(load_config(), prefix="db_job_control: ")


@fail_fast_on_bad_params
def list_jobs_and_validate_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from tsdb_ops.maintenance.job_control import job_line, plan_job_action, select_job
    from tsdb_ops.timescale.jobs import find_policy_jobs

    params = params or {}
    config = load_config()
    say = _say()
    action = p.check_action(params.get("action"))
    selector = p.parse_job_selector(params.get("job"))
    dry_run = p.check_flag(params.get("dry_run"), "dry_run")
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_param_hypertable(conn, params.get("hypertable"))
        jobs = find_policy_jobs(conn, hypertable)
    say(f"{hypertable}: {len(jobs)} jobs")
    for job in jobs:
        say(f"  {job_line(job)}")
    planned = plan_job_action(select_job(jobs, selector, str(hypertable)), action)
    if planned.destructive and not dry_run:
        p.check_confirmation(params.get("confirm"), hypertable_names(params["hypertable"], hypertable),
                             f"running retention job {planned.job_id} now")
    say(f"plan: {planned.line()}")
    return {"hypertable": str(hypertable), "dry_run": dry_run, "job": planned.__dict__}


def apply_job_action(validated: dict[str, Any]) -> dict[str, Any]:
    from tsdb_ops.maintenance.job_control import JobAction, job_line
    from tsdb_ops.maintenance.job_control import apply_job_action as apply
    from tsdb_ops.timescale.jobs import find_policy_jobs

    config = load_config()
    say = _say()
    planned = JobAction(**validated["job"])
    if not planned.needed:
        raise AirflowSkipException(planned.line())
    skip_if_dry_run(validated, say, planned.line())
    with db_session(config.postgres_conn_id) as conn:
        apply(conn, planned)
        job = next(j for j in find_policy_jobs(conn, table_from_text(validated["hypertable"]))
                   if j.job_id == planned.job_id)
    say(f"done: {planned.line()}; now {job_line(job)}")
    return {"job_id": job.job_id, "scheduled": job.scheduled}

