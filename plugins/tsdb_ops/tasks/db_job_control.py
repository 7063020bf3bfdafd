"""db_job_control's task bodies: validate the params, pick the job among those the SQL step listed, act on it.

Listing the hypertable's policy jobs is the DAG's SQL step; every line is also written to db_maintenance.log,
prefixed with the DAG id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow.sdk.exceptions import AirflowSkipException

from tsdb_ops import params as p
from tsdb_ops.config import load_config
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run


def _say() -> Callable[[str], None]:
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger

    return maintenance_logger(load_config(), prefix="db_job_control: ")


@fail_fast_on_bad_params
def validate_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """action, job (an id or a proc name), dry_run, and the hypertable found in the catalog; ``sql_params`` are
    the bind parameters of the SQL step that lists its jobs."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.chunk_plan import resolve_param_hypertable
    from tsdb_ops.timescale.jobs import policy_job_params

    params = params or {}
    config = load_config()
    validated: dict[str, Any] = {"action": p.check_action(params.get("action")),
                                 "job": p.parse_job_selector(params.get("job")),
                                 "dry_run": p.check_flag(params.get("dry_run"), "dry_run")}
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_param_hypertable(conn, params.get("hypertable"))
    validated.update(hypertable=str(hypertable), sql_params=policy_job_params(hypertable))
    return validated


@fail_fast_on_bad_params
def plan_job_action(validated: dict[str, Any], jobs: list[dict[str, Any]],
                    params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Log the jobs the SQL step listed, pick the one the param names (an id of another hypertable's job is
    refused) and plan the action; running the retention policy now needs confirm = the hypertable's name."""
    from tsdb_ops.maintenance.chunk_plan import hypertable_names
    from tsdb_ops.maintenance.job_control import job_line, select_job
    from tsdb_ops.maintenance.job_control import plan_job_action as plan
    from tsdb_ops.timescale.jobs import PolicyJob
    from tsdb_ops.timescale.table import table_from_text

    params = params or {}
    say = _say()
    listed = [PolicyJob.from_row(row) for row in jobs]
    say(f"{validated['hypertable']}: {len(listed)} jobs")
    for job in listed:
        say(f"  {job_line(job)}")
    planned = plan(select_job(listed, validated["job"], validated["hypertable"]), validated["action"])
    if planned.destructive and not validated["dry_run"]:
        p.check_confirmation(params.get("confirm"), hypertable_names(params["hypertable"],
                                                                     table_from_text(validated["hypertable"])),
                             f"running retention job {planned.job_id} now")
    say(f"plan: {planned.line()}")
    return {"hypertable": validated["hypertable"], "dry_run": validated["dry_run"], "job": planned.__dict__}


def apply_job_action(planned: dict[str, Any]) -> dict[str, Any]:
    """Pause, resume or run the planned job, then read its state back. A Python task, not a SQL step: the dry-run
    rule (checked here, so clearing this task of a dry run does not make it act) and the choice between
    ``alter_job`` and ``CALL run_job`` are decisions a SQL operator cannot make."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.job_control import JobAction, job_line
    from tsdb_ops.maintenance.job_control import apply_job_action as apply
    from tsdb_ops.timescale.jobs import find_policy_jobs
    from tsdb_ops.timescale.table import table_from_text

    config = load_config()
    say = _say()
    action = JobAction(**planned["job"])
    if not action.needed:
        raise AirflowSkipException(action.line())
    skip_if_dry_run(planned, say, action.line())
    with db_session(config.postgres_conn_id) as conn:
        apply(conn, action)
        job = next(j for j in find_policy_jobs(conn, table_from_text(planned["hypertable"]))
                   if j.job_id == action.job_id)
    say(f"done: {action.line()}; now {job_line(job)}")
    return {"job_id": job.job_id, "scheduled": job.scheduled}
