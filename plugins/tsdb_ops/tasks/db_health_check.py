"""db_health_check's task bodies: each check judges its SQL step's rows (or queries what the server offers), then
one task alerts and writes the report."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tsdb_ops.alerts.task_failure import AlertedFindingsError
from tsdb_ops.config import OpsConfig, load_config

if TYPE_CHECKING:
    import psycopg

    from tsdb_ops.health.result import CheckResult
    from tsdb_ops.health.target import HealthTarget

    DatabaseCheck = Callable[[psycopg.Connection, HealthTarget, OpsConfig], CheckResult]

log = logging.getLogger(__name__)

ALERT_SCOPE = "db_health"
CHECK_TASK_IDS = (
    "check_timescaledb_jobs",
    "check_dead_tuples_and_bloat",
    "check_blocked_locks",
    "check_slow_queries",
    "check_index_usage",
    "check_overdue_compression",
    "check_chunk_interval",
    "check_stack_containers",
)


def _finish(result: CheckResult) -> dict[str, Any]:
    log.info("%s", result.summary())
    for finding in result.findings:
        log.warning("%s %s: %s", finding.severity.upper(), finding.key, finding.message)
    for note in result.notes:
        log.info("Note: %s", note)
    return result.as_dict()


def resolve_health_target() -> dict[str, Any]:
    """The server's capabilities and the configured table with its chunks: the statistics queries' parameters."""
    from tsdb_ops.db import db_session
    from tsdb_ops.health.target import resolve_health_target as resolve

    config = load_config()
    with db_session(config.postgres_conn_id) as conn:
        return resolve(conn, config.hypertable).as_dict()


def _database_check(check: DatabaseCheck, target: dict[str, Any]) -> dict[str, Any]:
    """A check whose query depends on what the server offers (TimescaleDB, pg_stat_statements): a decision before
    the SQL, so it stays a Python task and says in a note what it could not check."""
    from tsdb_ops.db import db_session
    from tsdb_ops.health.target import HealthTarget

    config = load_config()
    with db_session(config.postgres_conn_id) as conn:
        return _finish(check(conn, HealthTarget.from_dict(target), config))


def check_timescaledb_jobs(target: dict[str, Any]) -> dict[str, Any]:
    from tsdb_ops.health import jobs

    return _database_check(jobs.check_jobs, target)


def check_slow_queries(target: dict[str, Any]) -> dict[str, Any]:
    from tsdb_ops.health import queries

    return _database_check(queries.check_slow_queries, target)


def check_overdue_compression(target: dict[str, Any]) -> dict[str, Any]:
    from tsdb_ops.health import compression

    return _database_check(compression.check_compression, target)


def check_dead_tuples_and_bloat(target: dict[str, Any], table_stats: list[dict[str, Any]],
                                index_stats: list[dict[str, Any]]) -> dict[str, Any]:
    from tsdb_ops.health import bloat
    from tsdb_ops.health.target import HealthTarget

    return _finish(bloat.judge_bloat(HealthTarget.from_dict(target), table_stats, index_stats, load_config()))


def check_blocked_locks(blocked_locks: list[dict[str, Any]]) -> dict[str, Any]:
    from tsdb_ops.health import locks

    return _finish(locks.judge_locks(blocked_locks, load_config()))


def check_index_usage(target: dict[str, Any], index_stats: list[dict[str, Any]]) -> dict[str, Any]:
    from tsdb_ops.health import indexes
    from tsdb_ops.health.target import HealthTarget

    return _finish(indexes.judge_index_usage(HealthTarget.from_dict(target), index_stats, load_config()))


def check_chunk_interval(target: dict[str, Any], chunk_rows: list[dict[str, Any]]) -> dict[str, Any]:
    from tsdb_ops.health import chunk_interval
    from tsdb_ops.health.target import HealthTarget

    return _finish(chunk_interval.judge_chunk_interval(HealthTarget.from_dict(target), chunk_rows, load_config()))


def check_stack_containers() -> dict[str, Any]:
    from tsdb_ops.docker import docker_api
    from tsdb_ops.health.containers import check_containers

    config = load_config()
    return _finish(check_containers(docker_api(config), config.health_containers))


def alert_and_write_health_report(dag_run: Any = None, ti: Any = None) -> str:
    """Publish each check's complete findings (scope db_health.<check>), write the report, fail on a critical one.

    Runs even when a check failed (trigger rule all_done): that check is named in the report and its scope is
    not published, so its open alerts are neither resolved nor re-sent on the strength of a check that did not run.
    """
    from tsdb_ops.alerts.monitor_alerts import publish_findings
    from tsdb_ops.health.report import all_findings, health_report_path, render_health_report, write_health_report
    from tsdb_ops.health.result import CheckResult
    from tsdb_ops.logfiles import HEALTH_LOG, append_log_line

    config = load_config()
    results, not_run = [], []
    for task_id in CHECK_TASK_IDS:
        data = ti.xcom_pull(task_ids=task_id)
        if data:
            results.append(CheckResult.from_dict(data))
        else:
            not_run.append(task_id)
    for result in results:
        publish_findings(f"{ALERT_SCOPE}.{result.check}", result.findings, config=config, log_file=HEALTH_LOG)
    markdown = render_health_report(results, not_run, title=f"{config.hypertable} and its stack",
                                    taken_at=dag_run.run_after)
    path = write_health_report(health_report_path(config.report_dir, dag_run.run_after), markdown)
    findings = all_findings(results)
    critical = [f.message for f in findings if f.severity == "critical"]
    summary = (f"Health check: {len(critical)} critical, {len(findings) - len(critical)} warning, "
               f"{len(not_run)} check(s) did not run; report {path}")
    append_log_line(config, HEALTH_LOG, summary)
    log.info("%s\n%s", summary, markdown)
    if critical:
        raise AlertedFindingsError(f"Health check: {len(critical)} critical problem(s), alerted: " + " ".join(
            m if m.endswith(".") else m + "." for m in critical) + f" Report: {path}")
    return markdown
