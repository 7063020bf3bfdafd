"""TimescaleDB jobs: policy jobs by proc_name (old and columnstore names), run now, stats and errors, and the one
judgement of job health (``job_findings``) that the health check and the crash-recovery check share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from tsdb_ops.files import read_sql
from tsdb_ops.findings import Finding
from tsdb_ops.timescale.table import Table

# proc_name of each policy kind in timescaledb_information.jobs. The columnstore API of TimescaleDB >= 2.18
# (add_columnstore_policy) schedules the same procedure; 'policy_columnstore' is accepted should a release name it so.
POLICY_PROCS: dict[str, tuple[str, ...]] = {
    "compression": ("policy_compression", "policy_columnstore"),
    "retention": ("policy_retention",),
    "reorder": ("policy_reorder",),
}


@dataclass(frozen=True)
class PolicyJob:
    job_id: int
    kind: str
    proc_name: str
    schedule_interval: timedelta | None
    config: dict[str, Any]
    scheduled: bool
    next_start: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PolicyJob:
        """A job from a row of POLICY_JOBS_SQL (read by column name: a SQL step's rows are dicts)."""
        return cls(row["job_id"], policy_kind(row["proc_name"]) or row["proc_name"], row["proc_name"],
                   row["schedule_interval"], row["config"] or {}, row["scheduled"], row["next_start"])


def policy_kind(proc_name: str) -> str | None:
    return next((kind for kind, names in POLICY_PROCS.items() if proc_name in names), None)


# The hypertable's policy jobs (run by find_policy_jobs, and as the SQL step of the DAGs that show or change jobs).
POLICY_JOBS_SQL = "timescale/find_policy_jobs.sql"


def policy_job_params(hypertable: Table, kind: str | None = None) -> dict[str, Any]:
    """POLICY_JOBS_SQL's bind parameters: the hypertable and the proc names of all kinds (or one of POLICY_PROCS)."""
    names = list(POLICY_PROCS[kind]) if kind else [n for names in POLICY_PROCS.values() for n in names]
    return {**hypertable.params, "proc_names": names}


def find_policy_jobs(conn: psycopg.Connection, hypertable: Table, kind: str | None = None) -> list[PolicyJob]:
    """Policy jobs of the hypertable (all kinds, or one of POLICY_PROCS), oldest job id first."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(read_sql(POLICY_JOBS_SQL), policy_job_params(hypertable, kind)).fetchall()
    return [PolicyJob.from_row(row) for row in rows]


RUN_JOB_SQL = "timescale/run_job.sql"


def run_job(conn: psycopg.Connection, job_id: int) -> None:
    """``CALL run_job(<id>)`` in this session."""
    conn.execute(read_sql(RUN_JOB_SQL), {"job_id": int(job_id)})


def job_stats(conn: psycopg.Connection, job_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Every job (or the given ones) with its last run from job_stats; non-finite times read as None."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(read_sql("timescale/job_stats.sql")).fetchall()
    return [row for row in rows if job_ids is None or row["job_id"] in job_ids]


def job_errors(conn: psycopg.Connection, since: datetime, job_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Errors in timescaledb_information.job_errors since ``since`` (of the given jobs, or all), newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(read_sql("timescale/job_errors.sql"), {"since": since, "job_ids": job_ids}).fetchall()


OUT_OF_WORKERS = "out of background workers"
NO_RUNS_NOTE = (
    "job_stats holds no run of any job: the background scheduler has not run a job on this server (no scheduler "
    "running, e.g. the WebAssembly build used in CI, or timescaledb.max_background_workers too low). Failed jobs "
    "cannot show up here until the scheduler runs them."
)


def job_findings(jobs: Sequence[Mapping[str, Any]], errors: Sequence[Mapping[str, Any]], lookback_hours: float, *,
                 area: str = "health", paused: bool = False) -> list[Finding]:
    """One warning per job whose last run failed or that logged errors in the window (and, with ``paused``, per
    job that is not scheduled); a critical finding when the scheduler ran out of background workers (then no
    policy runs at all). ``jobs`` are rows of ``timescale/job_stats.sql``, ``errors`` of ``job_errors.sql``; keys
    are ``<area>.jobs.<check>[.<job id>]``."""
    findings: list[Finding] = []
    by_job: dict[int, list[Mapping[str, Any]]] = {}
    for error in errors:
        if OUT_OF_WORKERS not in (error.get("message") or "").lower():
            by_job.setdefault(error["job_id"], []).append(error)
    known = {job["job_id"]: job for job in jobs}
    for job_id in sorted(set(known) | set(by_job)):
        job = known.get(job_id, {})
        logged = by_job.get(job_id, [])
        failed_last = job.get("last_run_status") == "Failed"
        if not failed_last and not logged:
            continue
        procedure = job.get("procedure") or logged[0].get("procedure")
        parts = [f"TimescaleDB job {job_id} ({procedure})"]
        parts.append("failed its last run" if failed_last else f"logged {len(logged)} error(s) in {lookback_hours:g} h")
        if logged:
            newest = logged[0]
            parts.append(f"last error: [{newest.get('sqlerrcode') or '-'}] {newest.get('message')}")
        findings.append(Finding(
            f"{area}.jobs.failing.{job_id}", "warning", "; ".join(parts),
            {"job_id": job_id, "procedure": procedure, "last_run_status": job.get("last_run_status"),
             "total_runs": job.get("total_runs"), "total_failures": job.get("total_failures"),
             "errors_in_window": len(logged)},
        ))
    if paused:
        for job in jobs:
            if job.get("scheduled") is False:
                findings.append(Finding(
                    f"{area}.jobs.paused.{job['job_id']}", "warning",
                    f"TimescaleDB job {job['job_id']} ({job.get('procedure')}) is paused: resume it with db_job_control",
                    {"job_id": job["job_id"], "procedure": job.get("procedure")},
                ))
    starved = [e for e in errors if OUT_OF_WORKERS in (e.get("message") or "").lower()]
    if starved:
        job_ids = sorted({e["job_id"] for e in starved})
        findings.append(Finding(
            f"{area}.jobs.out_of_background_workers", "critical",
            f"TimescaleDB could not start jobs {job_ids}: out of background workers ({len(starved)} times in "
            f"{lookback_hours:g} h); raise timescaledb.max_background_workers (and max_worker_processes) and restart",
            {"job_ids": job_ids, "occurrences": len(starved)},
        ))
    return findings


def job_notes(jobs: Sequence[Mapping[str, Any]]) -> list[str]:
    """A note when no job has run, so an empty job_stats is not read as "all good"."""
    if jobs and not any(job.get("total_runs") or job.get("last_run_started_at") for job in jobs):
        return [NO_RUNS_NOTE]
    return []
