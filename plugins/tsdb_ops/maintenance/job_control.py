"""db_job_control: pause, resume or run now one of the hypertable's TimescaleDB policy jobs.

The job is chosen by id or proc_name among the jobs timescaledb_information.jobs lists for the hypertable (the
guide hard-coded id 1004); an id of another hypertable's job is refused. Pause/resume is alter_job(scheduled);
run now is ``CALL run_job(<id>)`` with the validated integer as literal (CALL takes no bind parameter).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from tsdb_ops.files import read_sql
from tsdb_ops.params import ParamError
from tsdb_ops.timescale.jobs import PolicyJob, run_job


@dataclass(frozen=True)
class JobAction:
    job_id: int
    proc_name: str
    kind: str
    action: str
    needed: bool      # False: the job is already in the requested state
    destructive: bool  # running the retention policy now drops chunks

    def line(self) -> str:
        if not self.needed:
            state = "paused" if self.action == "pause" else "scheduled"
            return f"job {self.job_id} ({self.proc_name}) is already {state}: nothing to do"
        verb = {"pause": "pause (alter_job scheduled => false)", "resume": "resume (alter_job scheduled => true)",
                "run_now": "run now (CALL run_job)"}[self.action]
        return f"{verb} job {self.job_id} ({self.proc_name}, {self.kind} policy)" + (
            ": the retention policy DROPS chunks older than its drop_after" if self.destructive else "")


def job_line(job: PolicyJob) -> str:
    return (f"job {job.job_id}: {job.proc_name} ({job.kind}), {'scheduled' if job.scheduled else 'PAUSED'}, "
            f"every {job.schedule_interval}, next start {job.next_start}, config {job.config}")


def select_job(jobs: list[PolicyJob], selector: int | str, hypertable: str) -> PolicyJob:
    """The one job of ``hypertable`` with this id or proc_name, or a ParamError listing the jobs there are."""
    listing = ", ".join(f"{j.job_id} ({j.proc_name})" for j in jobs) or "none (trigger db_policy_setup with apply=true)"
    if isinstance(selector, int):
        matches = [j for j in jobs if j.job_id == selector]
    else:
        matches = [j for j in jobs if selector in (j.proc_name, j.kind)]
    if not matches:
        raise ParamError(f"param job={selector!r} is not a job of {hypertable}; its jobs are: {listing}")
    if len(matches) > 1:
        raise ParamError(f"param job={selector!r} matches several jobs of {hypertable} ({listing}): give the job id")
    return matches[0]


def plan_job_action(job: PolicyJob, action: str) -> JobAction:
    needed = {"pause": job.scheduled, "resume": not job.scheduled, "run_now": True}[action]
    return JobAction(job.job_id, job.proc_name, job.kind, action, needed,
                     destructive=action == "run_now" and job.kind == "retention")


def apply_job_action(conn: psycopg.Connection, planned: JobAction) -> None:
    if planned.action == "run_now":
        run_job(conn, planned.job_id)
    else:
        conn.execute(read_sql("maintenance/set_job_scheduled.sql"),
                     {"job_id": planned.job_id, "scheduled": planned.action == "resume"})
