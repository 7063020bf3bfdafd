"""Failed or failing TimescaleDB jobs: last run status and failure counts (job_stats) and recent errors
(job_errors), including the scheduler's "out of background workers"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

from tsdb_ops.config import OpsConfig
from tsdb_ops.findings import Finding
from tsdb_ops.health.result import CheckResult
from tsdb_ops.health.target import HealthTarget
from tsdb_ops.paths import read_sql

CHECK = "jobs"
TITLE = "TimescaleDB jobs"
OUT_OF_WORKERS = "out of background workers"
NO_RUNS_NOTE = (
    "job_stats holds no run of any job: the background scheduler has not run a job on this server (no scheduler "
    "running, e.g. the WebAssembly build used in CI, or timescaledb.max_background_workers too low). Failed jobs "
    "cannot show up here until the scheduler runs them."
)


def job_findings(jobs: Sequence[Mapping[str, Any]], errors: Sequence[Mapping[str, Any]], lookback_hours: float) -> list[Finding]:
    """One warning per job whose last run failed or that logged errors in the window; a critical finding when
    the scheduler ran out of background workers (then no policy runs at all)."""
    findings: list[Finding] = []
    by_job: dict[int, list[Mapping[str, Any]]] = {}
    for error in errors:
        if OUT_OF_WORKERS not in (error.get("message") or "").lower():
            by_job.setdefault(error["job_id"], []).append(error)
    known = {job["job_id"]: job for job in jobs}
    for job_id in sorted(set(known) | set(by_job)):
        job = known.get(job_id, {})
        job_errors = by_job.get(job_id, [])
        failed_last = job.get("last_run_status") == "Failed"
        if not failed_last and not job_errors:
            continue
        procedure = job.get("procedure") or job_errors[0].get("procedure")
        parts = [f"TimescaleDB job {job_id} ({procedure})"]
        parts.append("failed its last run" if failed_last else f"logged {len(job_errors)} error(s) in {lookback_hours:g} h")
        if job_errors:
            newest = job_errors[0]
            parts.append(f"last error: [{newest.get('sqlerrcode') or '-'}] {newest.get('message')}")
        findings.append(Finding(
            f"health.jobs.failing.{job_id}", "warning", "; ".join(parts),
            {"job_id": job_id, "procedure": procedure, "last_run_status": job.get("last_run_status"),
             "total_runs": job.get("total_runs"), "total_failures": job.get("total_failures"),
             "errors_in_window": len(job_errors)},
        ))
    starved = [e for e in errors if OUT_OF_WORKERS in (e.get("message") or "").lower()]
    if starved:
        job_ids = sorted({e["job_id"] for e in starved})
        findings.append(Finding(
            "health.jobs.out_of_background_workers", "critical",
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


def check_jobs(conn: psycopg.Connection, target: HealthTarget, config: OpsConfig) -> CheckResult:
    result = CheckResult(CHECK, TITLE, columns=["job", "procedure", "hypertable", "scheduled", "last status",
                                                "last start", "runs", "failures", "next start"])
    if not target.timescaledb_version:
        result.notes.append(f"TimescaleDB is not installed in database {target.database}: no jobs to check.")
        return result
    with conn.cursor(row_factory=dict_row) as cur:
        jobs = cur.execute(read_sql("health/job_stats.sql")).fetchall()
        errors = cur.execute(read_sql("health/job_errors.sql"),
                             {"lookback_hours": config.health_job_error_lookback_hours}).fetchall()
    result.findings = job_findings(jobs, errors, config.health_job_error_lookback_hours)
    result.notes = job_notes(jobs)
    if errors:
        result.notes.append(f"{len(errors)} error(s) in timescaledb_information.job_errors within "
                            f"{config.health_job_error_lookback_hours:g} h.")
    result.rows = [[j["job_id"], j["procedure"], j["hypertable"] or "-", j["scheduled"], j["last_run_status"] or "-",
                    j["last_run_started_at"] or "-", j["total_runs"], j["total_failures"], j["next_start"] or "-"]
                   for j in jobs]
    return result
