"""db_crash_recovery_check's task bodies: job status, chunk health, compression of overdue chunks, hand-off.

Every line is also written to db_maintenance.log, prefixed with the DAG id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tsdb_ops import params as p
from tsdb_ops.config import load_config
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run


def _say() -> Callable[[str], None]:
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger

    return maintenance_logger(load_config(), prefix="db_crash_recovery_check: ")


@fail_fast_on_bad_params
def validate_crash_recovery_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.chunk_plan import resolve_param_hypertable
    from tsdb_ops.maintenance.crash_recovery import policy_compress_after_days

    params = params or {}
    config = load_config()
    days = p.optional_days(params.get("compress_after_days"), "compress_after_days")
    validated: dict[str, Any] = {
        "dry_run": p.check_flag(params.get("dry_run"), "dry_run"),
        "trigger_weekly_maintenance": p.check_flag(params.get("trigger_weekly_maintenance"), "trigger_weekly_maintenance"),
    }
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_param_hypertable(conn, params.get("hypertable"))
        policy_days, source = policy_compress_after_days(conn, hypertable, config)
    validated.update(hypertable=str(hypertable), sql_params=hypertable.params, compress_after_days=days or policy_days,
                     compress_after_source="param compress_after_days" if days else source)
    _say()(f"params valid: {validated}")
    return validated


def check_job_stats(validated: dict[str, Any]) -> list[dict[str, Any]]:
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.job_control import job_line
    from tsdb_ops.timescale.chunks import database_now
    from tsdb_ops.timescale.jobs import find_policy_jobs, job_errors, job_findings, job_notes, job_stats
    from tsdb_ops.timescale.table import table_from_text

    config = load_config()
    say = _say()
    with db_session(config.postgres_conn_id) as conn:
        jobs = find_policy_jobs(conn, table_from_text(validated["hypertable"]))
        ids = [j.job_id for j in jobs]
        stats = job_stats(conn, ids)
        errors = job_errors(conn, database_now(conn) - timedelta(days=7), ids)
    say(f"{validated['hypertable']}: {len(jobs)} policy jobs" + ("" if jobs else
        " (none: trigger db_policy_setup with apply=true)"))
    by_id = {s["job_id"]: s for s in stats}
    for job in jobs:
        stat = by_id.get(job.job_id) or {}
        say(f"  {job_line(job)}; last run {stat.get('last_run_status')} at {stat.get('last_run_started_at')}, "
            f"{stat.get('total_runs')} runs, {stat.get('total_failures')} failures")
    for note in job_notes(stats):
        say(note)
    findings = job_findings(stats, errors, 7 * 24, area="recovery", paused=True)
    for finding in findings:
        say(f"{finding.severity.upper()}: {finding.message}")
    return [f.as_dict() for f in findings]


def check_chunk_health(validated: dict[str, Any], summary: list[dict[str, Any]],
                       chunk_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Judge the SQL steps' rows: a catalog chunk without a size has lost its table (critical, stops the run)."""
    from tsdb_ops.maintenance.chunk_plan import MaintenanceError
    from tsdb_ops.maintenance.crash_recovery import chunk_health_findings, chunk_lines
    from tsdb_ops.timescale.compression_stats import status_from_rows

    say = _say()
    status = status_from_rows(validated["hypertable"], summary[0], chunk_rows, [])
    say(f"{validated['hypertable']}: {status.summary.total_chunks} chunks ({status.summary.compressed_chunks} compressed), "
        f"{status.summary.total_bytes} bytes (chunks_detailed_size)")
    for line in chunk_lines(status.chunks):
        say(f"  {line}")
    findings = chunk_health_findings(status.chunks)
    for finding in findings:
        say(f"{finding.severity.upper()}: {finding.message}")
    critical = [f.message for f in findings if f.severity == "critical"]
    if critical:
        raise MaintenanceError("chunk health check failed, nothing is compressed or handed off: " + "; ".join(critical))
    return {"chunks": status.summary.total_chunks, "findings": [f.as_dict() for f in findings]}


def list_uncompressed_chunks_past_policy(validated: dict[str, Any]) -> list[dict[str, Any]]:
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.chunk_plan import describe_chunk
    from tsdb_ops.timescale.chunks import list_chunks
    from tsdb_ops.timescale.table import table_from_text

    config = load_config()
    say = _say()
    days = validated["compress_after_days"]
    with db_session(config.postgres_conn_id) as conn:
        pending = [c for c in list_chunks(conn, table_from_text(validated["hypertable"]), older_than_days=days)
                   if not c.is_compressed]
    say(f"{len(pending)} uncompressed chunks older than {days:g} days ({validated['compress_after_source']})"
        + (" will be compressed:" if pending else ""))
    for chunk in pending:
        say(f"  compress {describe_chunk(chunk)}")
    return [c.as_dict() for c in pending]


def compress_chunks_past_policy(validated: dict[str, Any], plan: list[dict[str, Any]]) -> dict[str, Any]:
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.chunk_plan import compress_planned_chunks
    from tsdb_ops.timescale.chunks import Chunk

    config = load_config()
    say = _say()
    skip_if_dry_run(validated, say, f"compress the {len(plan)} chunks listed and hand off to db_weekly_maintenance")
    with db_session(config.postgres_conn_id) as conn:
        return {"compressed": compress_planned_chunks(conn, [Chunk.from_dict(c) for c in plan], config, say).compressed}


def decide_weekly_maintenance_handoff(validated: dict[str, Any]) -> bool:
    say = _say()
    if not validated["trigger_weekly_maintenance"]:
        say("Not handing off: param trigger_weekly_maintenance is false; trigger db_weekly_maintenance by hand")
        return False
    say("Handing off to db_weekly_maintenance (VACUUM ANALYZE, chunk statistics, compression report)")
    return True
