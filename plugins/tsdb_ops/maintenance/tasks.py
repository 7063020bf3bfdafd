"""The maintenance DAGs' task bodies: gather config and connections, call the logic, log to db_maintenance.log."""

from __future__ import annotations

from typing import Any

from tsdb_ops.config import load_config
from tsdb_ops.maintenance.maintenance_log import maintenance_logger
from tsdb_ops.timescale.hypertables import resolve_hypertable
from tsdb_ops.timescale.session import db_session


def prune_docker_system() -> dict[str, Any]:
    from airflow.providers.docker.hooks.docker import DockerHook

    from tsdb_ops.maintenance.docker_prune import prune_docker

    config = load_config()
    say = maintenance_logger(config)
    say("Starting Docker system cleanup (containers, dangling images, networks, build cache; never volumes)...")
    hook = DockerHook(docker_conn_id=None, base_url=config.docker_url, version="auto")
    report = prune_docker(hook.api_client, config.docker_prune_filters)
    say(report.summary())
    return report.as_dict()


def run_retention_and_compression_policies() -> dict[str, Any]:
    from tsdb_ops.maintenance.policy_run import PolicyRunError, run_policies

    config = load_config()
    say = maintenance_logger(config)
    say("Running TimescaleDB retention and compression policies...")
    with db_session(config.postgres_conn_id) as conn:
        report = run_policies(conn, resolve_hypertable(conn, config.hypertable), say)
    for line in report.lines():
        say(line)
    if report.problems:
        raise PolicyRunError("; ".join(report.problems))
    return report.as_dict()


def drop_chunks_past_drop_age() -> list[str]:
    from tsdb_ops.maintenance.weekly import drop_old_chunks

    config = load_config()
    say = maintenance_logger(config)
    say("Starting database maintenance tasks...")
    with db_session(config.postgres_conn_id) as conn:
        return drop_old_chunks(conn, resolve_hypertable(conn, config.hypertable), config, say)


def compress_chunks_past_weekly_age() -> dict[str, Any]:
    from tsdb_ops.maintenance.weekly import compress_old_chunks

    config = load_config()
    with db_session(config.postgres_conn_id) as conn:
        return compress_old_chunks(conn, resolve_hypertable(conn, config.hypertable), config, maintenance_logger(config))


def update_chunk_statistics(dag_run: Any = None) -> dict[str, Any]:
    """ANALYZE chunks whose statistics predate this DAG run's start (the VACUUM ANALYZE before normally did it)."""
    from tsdb_ops.maintenance.weekly import update_chunk_statistics as update

    config = load_config()
    say = maintenance_logger(config)
    say("Updating chunk statistics...")
    with db_session(config.postgres_conn_id) as conn:
        return update(conn, resolve_hypertable(conn, config.hypertable), config, dag_run.start_date, say)


def write_compression_report(dag_run: Any = None) -> str:
    """Write the report named by the run's run_after (manual runs have no logical date); return its Markdown."""
    from tsdb_ops.maintenance.compression_report import render_report, report_path, write_report
    from tsdb_ops.timescale.compression_stats import compression_status

    config = load_config()
    say = maintenance_logger(config)
    say("Generating compression status report...")
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_hypertable(conn, config.hypertable)
        status = compression_status(conn, hypertable, config.timeframe_column)
    markdown = render_report(status, policy_days=config.compress_after_days, weekly_days=config.weekly_compress_older_than_days)
    path = write_report(report_path(config.report_dir, str(hypertable), dag_run.run_after), markdown)
    s = status.summary
    say(f"Compression report written to {path}: {s.compressed_chunks}/{s.total_chunks} chunks compressed, "
        f"{s.before_bytes or 0} -> {s.after_bytes or 0} bytes")
    say("Database maintenance tasks completed")
    return markdown


def vacuum_analyze_database() -> None:
    from tsdb_ops.maintenance.weekly import vacuum_analyze

    config = load_config()
    say = maintenance_logger(config)
    say("Running VACUUM ANALYZE...")
    with db_session(config.postgres_conn_id) as conn:
        vacuum_analyze(conn, config)
    say("VACUUM ANALYZE done")


def ensure_policies(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Show the policy drift; change the database only when the run's params say apply=true."""
    apply = (params or {}).get("apply") is True
    from tsdb_ops.maintenance.policy_setup import ensure_policies as ensure

    config = load_config()
    say = maintenance_logger(config, prefix="policy setup: ")
    with db_session(config.postgres_conn_id) as conn:
        return ensure(conn, resolve_hypertable(conn, config.hypertable), config, apply=apply, progress=say)
