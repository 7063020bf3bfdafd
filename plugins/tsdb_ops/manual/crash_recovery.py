"""db_crash_recovery_check (guide: "Recovery After System Crash"): job status, chunk health, overdue compression.

The guide's checks, made to work: job_stats plus job_errors (the guide's job_stats query had no history), chunk
health from chunks_detailed_size() against the chunk catalog, and compression of the uncompressed chunks older
than the compression policy, each chunk in its own transaction (the guide's NOT IN compared regclass values
with unqualified chunk names and compressed everything in one statement).
"""

from __future__ import annotations

from typing import Any

import psycopg

from tsdb_ops.config import OpsConfig
from tsdb_ops.findings import Finding
from tsdb_ops.maintenance.policy_run import interval_days
from tsdb_ops.timescale.compression_stats import ChunkStatus
from tsdb_ops.timescale.hypertables import Hypertable
from tsdb_ops.timescale.jobs import JobError, PolicyJob, find_policy_jobs

NO_RUN_NOTE = ("job_stats holds no run of these jobs: the background scheduler has not run them since they were "
               "added (or is not running: check timescaledb.max_background_workers and the server log)")


def policy_compress_after_days(conn: psycopg.Connection, hypertable: Hypertable, config: OpsConfig) -> tuple[float, str]:
    """The compression policy's compress_after in days, or config.compress_after_days when there is no policy."""
    jobs = find_policy_jobs(conn, hypertable, "compression")
    if jobs and "compress_after" in jobs[0].config:
        return interval_days(conn, jobs[0].config["compress_after"]), f"compression policy job {jobs[0].job_id}"
    return float(config.compress_after_days), "setting compress_after_days (the hypertable has no compression policy)"


def job_findings(jobs: list[PolicyJob], stats: dict[int, dict[str, Any]], errors: list[JobError]) -> list[Finding]:
    """Paused jobs, jobs whose last run failed, and errors recorded since the look-back start."""
    findings = []
    for job in jobs:
        stat = stats.get(job.job_id) or {}
        if not job.scheduled:
            findings.append(Finding(f"job_paused:{job.job_id}", "warning",
                                    f"job {job.job_id} ({job.proc_name}) is paused: resume it with db_job_control",
                                    {"job_id": job.job_id}))
        if stat.get("last_run_status") == "Failed":
            findings.append(Finding(f"job_failed:{job.job_id}", "warning",
                                    f"job {job.job_id} ({job.proc_name}) failed its last run "
                                    f"({stat.get('total_failures')} failures in total)",
                                    {"job_id": job.job_id, "total_failures": stat.get("total_failures")}))
    for error in errors:
        findings.append(Finding(f"job_error:{error.job_id}", "warning",
                                f"job {error.job_id} error at {error.start_time}: [{error.sqlerrcode}] {error.message}",
                                {"job_id": error.job_id, "sqlerrcode": error.sqlerrcode}))
    return findings


def job_stats_note(stats: dict[int, dict[str, Any]]) -> str | None:
    """A note when job_stats has no run recorded, so an empty table is not read as "all good"."""
    return None if any(s.get("last_run_started_at") for s in stats.values()) else NO_RUN_NOTE


def chunk_health_findings(chunks: list[ChunkStatus]) -> list[Finding]:
    """A catalog chunk without a size row has lost its table (critical); a compressed one without stats is odd."""
    findings = []
    for chunk in chunks:
        if chunk.total_bytes is None:
            findings.append(Finding(f"chunk_without_size:{chunk.qualified_name}", "critical",
                                    f"chunk {chunk.qualified_name} is in the catalog but chunks_detailed_size() has no "
                                    "size for it: its table may be missing; restore from backup (db_restore)",
                                    {"chunk": chunk.qualified_name}))
        elif chunk.is_compressed and chunk.before_bytes is None:
            findings.append(Finding(f"compressed_chunk_without_stats:{chunk.qualified_name}", "warning",
                                    f"chunk {chunk.qualified_name} is marked compressed but has no compression stats",
                                    {"chunk": chunk.qualified_name}))
    return findings


def chunk_lines(chunks: list[ChunkStatus]) -> list[str]:
    """The guide's chunk listing, newest first, with the size now."""
    return [f"{c.qualified_name}: {c.range_start:%Y-%m-%d %H:%M} to {c.range_end:%Y-%m-%d %H:%M}, "
            f"{'compressed' if c.is_compressed else 'uncompressed'}, {c.total_bytes} bytes"
            for c in sorted(chunks, key=lambda c: c.range_start.timestamp() if c.range_start else 0.0,
                          reverse=True)]
