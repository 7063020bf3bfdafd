"""Failed or failing TimescaleDB jobs: last run status and failure counts (job_stats) and recent errors
(job_errors), including the scheduler's "out of background workers"."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from tsdb_ops.config import OpsConfig
from tsdb_ops.health.result import CheckResult
from tsdb_ops.health.target import HealthTarget
from tsdb_ops.timescale.chunks import database_now
from tsdb_ops.timescale.jobs import job_errors, job_findings, job_notes, job_stats

CHECK = "jobs"
TITLE = "TimescaleDB jobs"


def check_jobs(conn: psycopg.Connection, target: HealthTarget, config: OpsConfig) -> CheckResult:
    result = CheckResult(CHECK, TITLE, columns=["job", "procedure", "hypertable", "scheduled", "last status",
                                                "last start", "runs", "failures", "next start"])
    if not target.timescaledb_version:
        result.notes.append(f"TimescaleDB is not installed in database {target.database}: no jobs to check.")
        return result
    jobs = job_stats(conn)
    since = database_now(conn) - timedelta(hours=config.health_job_error_lookback_hours)
    errors = job_errors(conn, since)
    result.findings = job_findings(jobs, errors, config.health_job_error_lookback_hours)
    result.notes = job_notes(jobs)
    if errors:
        result.notes.append(f"{len(errors)} error(s) in timescaledb_information.job_errors within "
                            f"{config.health_job_error_lookback_hours:g} h.")
    result.rows = [[j["job_id"], j["procedure"], j["hypertable"] or "-", j["scheduled"], j["last_run_status"] or "-",
                    j["last_run_started_at"] or "-", j["total_runs"], j["total_failures"], j["next_start"] or "-"]
                   for j in jobs]
    return result
