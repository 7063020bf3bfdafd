"""The manual DAGs' task bodies: validate the run's params, log the plan, act only when the params say so.

Each DAG's first task validates every param (a ParamError fails it before anything runs) and returns the clean
values; the planning task logs exactly what would be done and returns the plan; the acting task skips in a dry
run and otherwise executes that plan. Everything is also written to db_maintenance.log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk.exceptions import AirflowSkipException

from tsdb_ops.config import OpsConfig, load_config
from tsdb_ops.maintenance.maintenance_log import maintenance_logger
from tsdb_ops.manual import params as p
from tsdb_ops.manual.chunk_plan import (
    chunk_from_dict,
    compress_planned_chunks,
    hypertable_from_text,
    hypertable_names,
    require_compression_enabled,
    resolve_param_hypertable,
)
from tsdb_ops.timescale.session import db_session


def _say(config: OpsConfig, dag_id: str) -> Callable[[str], None]:
    return maintenance_logger(config, prefix=f"{dag_id}: ")


def _skip_dry_run(validated: dict[str, Any], say: Callable[[str], None], what: str) -> None:
    if validated["dry_run"]:
        say(f"Dry run: nothing changed. Trigger again with dry_run=false to {what}")
        raise AirflowSkipException(f"dry run: {what} not done")


# --- db_compress_symbol ---

def validate_compress_symbol_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from tsdb_ops.manual.compress_symbol import require_symbol_rows

    params = params or {}
    config = load_config()
    symbol = p.check_symbol(params.get("symbol"))
    days = p.parse_days(params.get("older_than_days"), "older_than_days")
    dry_run = p.check_flag(params.get("dry_run"), "dry_run")
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_param_hypertable(conn, params.get("hypertable"))
        require_compression_enabled(conn, hypertable)
        require_symbol_rows(conn, hypertable, config, symbol)
    validated = {"hypertable": str(hypertable), "symbol": symbol, "older_than_days": days, "dry_run": dry_run}
    _say(config, "db_compress_symbol")(f"params valid: {validated}")
    return validated


def list_chunks_holding_symbol(validated: dict[str, Any]) -> dict[str, Any]:
    from tsdb_ops.manual.compress_symbol import plan_symbol_compression

    config = load_config()
    say = _say(config, "db_compress_symbol")
    with db_session(config.postgres_conn_id) as conn:
        plan = plan_symbol_compression(conn, hypertable_from_text(validated["hypertable"]), config,
                                       validated["symbol"], validated["older_than_days"])
    for line in plan.lines():
        say(line)
    say("Compressing a chunk compresses every symbol in its time range, not only " + validated["symbol"])
    return plan.as_dict()


def compress_listed_chunks(validated: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    config = load_config()
    say = _say(config, "db_compress_symbol")
    _skip_dry_run(validated, say, f"compress the {len(plan['to_compress'])} chunks listed")
    with db_session(config.postgres_conn_id) as conn:
        return compress_planned_chunks(conn, [chunk_from_dict(c) for c in plan["to_compress"]], config, say)


# --- db_recompress_inefficient ---

def validate_recompress_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    params = params or {}
    config = load_config()
    validated: dict[str, Any] = {
        "max_saved_percent": p.check_percent(params.get("max_saved_percent"), "max_saved_percent"),
        "min_chunk_bytes": p.check_positive_int(params.get("min_chunk_bytes"), "min_chunk_bytes", minimum=0),
        "dry_run": p.check_flag(params.get("dry_run"), "dry_run"),
    }
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_param_hypertable(conn, params.get("hypertable"))
        require_compression_enabled(conn, hypertable)
    validated["hypertable"] = str(hypertable)
    _say(config, "db_recompress_inefficient")(f"params valid: {validated}")
    return validated


def list_inefficient_chunks(validated: dict[str, Any]) -> list[dict[str, Any]]:
    from tsdb_ops.manual.recompress import inefficient_chunks
    from tsdb_ops.timescale.compression_stats import compression_status

    config = load_config()
    say = _say(config, "db_recompress_inefficient")
    with db_session(config.postgres_conn_id) as conn:
        status = compression_status(conn, hypertable_from_text(validated["hypertable"]), config.timeframe_column)
    found = inefficient_chunks(status.chunks, validated["max_saved_percent"], validated["min_chunk_bytes"])
    say(f"{validated['hypertable']}: {len(found)} of {status.summary.compressed_chunks} compressed chunks larger than "
        f"{validated['min_chunk_bytes']} bytes saved less than {validated['max_saved_percent']:g} %"
        + (" and will be decompressed and compressed again, one per transaction:" if found else ""))
    for candidate in found:
        say(f"  recompress {candidate.line()}")
    return [candidate.__dict__ for candidate in found]


def recompress_listed_chunks(validated: dict[str, Any], plan: list[dict[str, Any]]) -> dict[str, Any]:
    from tsdb_ops.manual.recompress import RecompressCandidate, compare_after, recompress_chunks
    from tsdb_ops.timescale.compression_stats import compression_status

    config = load_config()
    say = _say(config, "db_recompress_inefficient")
    _skip_dry_run(validated, say, f"recompress the {len(plan)} chunks listed")
    candidates = [RecompressCandidate(**c) for c in plan]
    with db_session(config.postgres_conn_id) as conn:
        result = recompress_chunks(conn, candidates, config, say)
        status = compression_status(conn, hypertable_from_text(validated["hypertable"]), config.timeframe_column)
    for line in compare_after(candidates, status.chunks):
        say(line)
    return result


# --- db_emergency_space_recovery ---

def validate_space_recovery_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    params = params or {}
    config = load_config()
    validated: dict[str, Any] = {
        "compress_largest": p.check_positive_int(params.get("compress_largest"), "compress_largest", minimum=0),
        "drop_older_than_days": p.optional_days(params.get("drop_older_than_days"), "drop_older_than_days"),
        "dry_run": p.check_flag(params.get("dry_run"), "dry_run"),
    }
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_param_hypertable(conn, params.get("hypertable"))
        if validated["compress_largest"]:
            require_compression_enabled(conn, hypertable)
    if validated["drop_older_than_days"] is not None and not validated["dry_run"]:
        p.check_confirmation(params.get("confirm"), hypertable_names(params["hypertable"], hypertable),
                             f"dropping chunks older than {validated['drop_older_than_days']} days")
    validated["hypertable"] = str(hypertable)
    _say(config, "db_emergency_space_recovery")(f"params valid: {validated}")
    return validated


def report_largest_uncompressed_chunks(validated: dict[str, Any]) -> dict[str, Any]:
    from tsdb_ops.manual.space_recovery import plan_as_dict, plan_space_recovery
    from tsdb_ops.timescale.compression_stats import compression_status

    config = load_config()
    say = _say(config, "db_emergency_space_recovery")
    with db_session(config.postgres_conn_id) as conn:
        status = compression_status(conn, hypertable_from_text(validated["hypertable"]), config.timeframe_column)
    plan = plan_space_recovery(validated["hypertable"], status.chunks, status.taken_at, validated["compress_largest"],
                               validated["drop_older_than_days"])
    say(f"{validated['hypertable']}: {status.summary.total_bytes} bytes now, {status.summary.total_chunks} chunks "
        f"({status.summary.compressed_chunks} compressed)")
    for line in plan.lines():
        say(line)
    return plan_as_dict(plan)


def drop_listed_chunks(validated: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    from tsdb_ops.manual.space_recovery import drop_planned_chunks

    config = load_config()
    say = _say(config, "db_emergency_space_recovery")
    if plan["drop_cutoff"] is None:
        raise AirflowSkipException("no drop requested (param drop_older_than_days not set)")
    _skip_dry_run(validated, say, f"drop the {len(plan['to_drop'])} chunks listed (with confirm)")
    with db_session(config.postgres_conn_id) as conn:
        return drop_planned_chunks(conn, hypertable_from_text(validated["hypertable"]),
                                   datetime.fromisoformat(plan["drop_cutoff"]), plan["to_drop"], config, say)


def compress_largest_chunks(validated: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    config = load_config()
    say = _say(config, "db_emergency_space_recovery")
    _skip_dry_run(validated, say, f"compress the {len(plan['to_compress'])} chunks listed")
    with db_session(config.postgres_conn_id) as conn:
        return compress_planned_chunks(conn, [chunk_from_dict(c) for c in plan["to_compress"]], config, say)


# --- db_job_control ---

def list_jobs_and_validate_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from tsdb_ops.manual.job_control import job_line, plan_job_action, select_job
    from tsdb_ops.timescale.jobs import find_policy_jobs

    params = params or {}
    config = load_config()
    say = _say(config, "db_job_control")
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
    from tsdb_ops.manual.job_control import JobAction, job_line
    from tsdb_ops.manual.job_control import apply_job_action as apply
    from tsdb_ops.timescale.jobs import find_policy_jobs

    config = load_config()
    say = _say(config, "db_job_control")
    planned = JobAction(**validated["job"])
    if not planned.needed:
        raise AirflowSkipException(planned.line())
    _skip_dry_run(validated, say, planned.line())
    with db_session(config.postgres_conn_id) as conn:
        apply(conn, planned)
        job = next(j for j in find_policy_jobs(conn, hypertable_from_text(validated["hypertable"]))
                   if j.job_id == planned.job_id)
    say(f"done: {planned.line()}; now {job_line(job)}")
    return {"job_id": job.job_id, "scheduled": job.scheduled}


# --- db_crash_recovery_check ---

def validate_crash_recovery_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from tsdb_ops.manual.crash_recovery import policy_compress_after_days

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
    validated.update(hypertable=str(hypertable), compress_after_days=days or policy_days,
                     compress_after_source="param compress_after_days" if days else source)
    _say(config, "db_crash_recovery_check")(f"params valid: {validated}")
    return validated


def check_job_stats(validated: dict[str, Any]) -> list[dict[str, Any]]:
    from tsdb_ops.manual.crash_recovery import job_findings, job_stats_note
    from tsdb_ops.manual.job_control import job_line
    from tsdb_ops.timescale.chunks import database_now
    from tsdb_ops.timescale.jobs import find_policy_jobs, job_errors_since, job_stats

    config = load_config()
    say = _say(config, "db_crash_recovery_check")
    with db_session(config.postgres_conn_id) as conn:
        jobs = find_policy_jobs(conn, hypertable_from_text(validated["hypertable"]))
        ids = [j.job_id for j in jobs]
        stats = job_stats(conn, ids)
        errors = job_errors_since(conn, ids, database_now(conn) - timedelta(days=7))
    say(f"{validated['hypertable']}: {len(jobs)} policy jobs" + ("" if jobs else
        " (none: trigger db_policy_setup with apply=true)"))
    for job in jobs:
        stat = stats.get(job.job_id) or {}
        say(f"  {job_line(job)}; last run {stat.get('last_run_status')} at {stat.get('last_run_started_at')}, "
            f"{stat.get('total_runs')} runs, {stat.get('total_failures')} failures")
    if jobs and (note := job_stats_note(stats)):
        say(note)
    findings = job_findings(jobs, stats, errors)
    for finding in findings:
        say(f"{finding.severity.upper()}: {finding.message}")
    return [f.as_dict() for f in findings]


def check_chunk_health(validated: dict[str, Any]) -> dict[str, Any]:
    from tsdb_ops.manual.chunk_plan import ManualRunError
    from tsdb_ops.manual.crash_recovery import chunk_health_findings, chunk_lines
    from tsdb_ops.timescale.compression_stats import compression_status

    config = load_config()
    say = _say(config, "db_crash_recovery_check")
    with db_session(config.postgres_conn_id) as conn:
        status = compression_status(conn, hypertable_from_text(validated["hypertable"]), config.timeframe_column)
    say(f"{validated['hypertable']}: {status.summary.total_chunks} chunks ({status.summary.compressed_chunks} compressed), "
        f"{status.summary.total_bytes} bytes (chunks_detailed_size)")
    for line in chunk_lines(status.chunks):
        say(f"  {line}")
    findings = chunk_health_findings(status.chunks)
    for finding in findings:
        say(f"{finding.severity.upper()}: {finding.message}")
    critical = [f.message for f in findings if f.severity == "critical"]
    if critical:
        raise ManualRunError("chunk health check failed, nothing is compressed or handed off: " + "; ".join(critical))
    return {"chunks": status.summary.total_chunks, "findings": [f.as_dict() for f in findings]}


def list_uncompressed_chunks_past_policy(validated: dict[str, Any]) -> list[dict[str, Any]]:
    from tsdb_ops.manual.chunk_plan import chunk_as_dict, describe_chunk
    from tsdb_ops.timescale.chunks import list_chunks

    config = load_config()
    say = _say(config, "db_crash_recovery_check")
    days = validated["compress_after_days"]
    with db_session(config.postgres_conn_id) as conn:
        pending = [c for c in list_chunks(conn, hypertable_from_text(validated["hypertable"]), older_than_days=days)
                   if not c.is_compressed]
    say(f"{len(pending)} uncompressed chunks older than {days:g} days ({validated['compress_after_source']})"
        + (" will be compressed:" if pending else ""))
    for chunk in pending:
        say(f"  compress {describe_chunk(chunk)}")
    return [chunk_as_dict(c) for c in pending]


def compress_chunks_past_policy(validated: dict[str, Any], plan: list[dict[str, Any]]) -> dict[str, Any]:
    config = load_config()
    say = _say(config, "db_crash_recovery_check")
    _skip_dry_run(validated, say, f"compress the {len(plan)} chunks listed and hand off to db_weekly_maintenance")
    with db_session(config.postgres_conn_id) as conn:
        return compress_planned_chunks(conn, [chunk_from_dict(c) for c in plan], config, say)


def decide_weekly_maintenance_handoff(validated: dict[str, Any]) -> bool:
    say = _say(load_config(), "db_crash_recovery_check")
    if not validated["trigger_weekly_maintenance"]:
        say("Not handing off: param trigger_weekly_maintenance is false; trigger db_weekly_maintenance by hand")
        return False
    say("Handing off to db_weekly_maintenance (VACUUM ANALYZE, chunk statistics, compression report)")
    return True
