"""db_backup_monitor's task bodies: gather the inputs of one check, decide, publish through the alert API."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tsdb_ops.alerts.task_failure import AlertedFindingsError
from tsdb_ops.config import OpsConfig, load_config
from tsdb_ops.dag_defaults import SCHEDULES

if TYPE_CHECKING:
    from tsdb_ops.backup.manifest import Manifest
    from tsdb_ops.findings import Finding

log = logging.getLogger(__name__)


def as_of_time(context: dict[str, Any]) -> datetime:
    """The time the run evaluates: the end of its data interval (scheduled or backfilled), else its run_after."""
    import pendulum

    when = context.get("data_interval_end") or context["dag_run"].run_after
    return pendulum.instance(when).in_timezone("UTC")


def readable_manifests(backup_root: str) -> list[Manifest]:
    """Manifests that parse, oldest first (unreadable ones are the integrity check's finding)."""
    from tsdb_ops.backup.manifest import ManifestError, list_manifest_paths, read_manifest

    manifests = []
    for path in list_manifest_paths(backup_root):
        try:
            manifests.append(read_manifest(path))
        except ManifestError:
            continue
    return manifests


def _freshness(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    from tsdb_ops.monitor import checks

    return checks.check_freshness(checks.manifests_as_of(readable_manifests(config.backup_root), as_of), as_of, config)


def _sizes(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    from tsdb_ops.monitor import checks

    return checks.check_sizes(checks.manifests_as_of(readable_manifests(config.backup_root), as_of), config)


def _trends(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    from tsdb_ops.monitor import checks

    return checks.check_trends(checks.manifests_as_of(readable_manifests(config.backup_root), as_of), config)


def hash_backup_files() -> dict[str, Any]:
    """The integrity check's first step: sizes and sha256 against the manifests (the rolling re-hash included), and
    the dumps whose readability list_dumps_with_pg_restore must judge; nothing is recorded yet."""
    from tsdb_ops.monitor.verification import hash_backups

    config = load_config()
    return hash_backups(config.backup_root, rehash_days=config.monitor_rehash_days).as_dict()


def _integrity(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    """The judgement of what hash_backup_files and list_dumps_with_pg_restore found; records the verdicts."""
    from tsdb_ops.monitor.verification import HashedBackups, judge_backups

    ti = context["ti"]
    hashed = HashedBackups.from_dict(ti.xcom_pull(task_ids="hash_backup_files"))
    inventory = judge_backups(config.backup_root, hashed, ti.xcom_pull(task_ids="list_dumps_with_pg_restore") or {})
    log.info("integrity: %d files checked, %d verified now (new or changed), %d re-hashed for silent change (%.1f MB; "
             "pace %.1f MB per run, every file re-read within %.0f h), the rest trusted by size+mtime+hash",
             inventory.files_checked, inventory.files_verified_now, inventory.files_rehashed,
             inventory.bytes_rehashed / 1e6, inventory.rehash_budget_bytes / 1e6,
             inventory.rehash_cycle_seconds / 3600 + 1)
    return inventory.problems


def _disk_usage(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    from tsdb_ops.monitor import checks

    if not Path(config.backup_root).is_dir():  # never created here: an empty dir would hide an unmounted volume
        return [checks.backup_root_missing(config.backup_root)]
    usage = shutil.disk_usage(config.backup_root)
    return checks.check_disk_usage(100.0 * usage.used / usage.total, config.backup_root, config)


def _failed_runs(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    from tsdb_ops.monitor import checks
    from tsdb_ops.monitor.run_history import nightly_outcomes

    outcomes = nightly_outcomes(context["ti"].get_dr_count, SCHEDULES["db_nightly_backup"], as_of,
                                config.max_consecutive_failed_backups + 7, config.timezone)
    log.info("last scheduled db_nightly_backup runs, newest first: %s", outcomes)
    return checks.check_failed_runs(outcomes, config)


def _log_errors(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    from tsdb_ops.logfiles import BACKUP_LOG
    from tsdb_ops.monitor import checks
    from tsdb_ops.monitor.log_scan import read_new_lines

    lines = read_new_lines(Path(config.log_dir) / BACKUP_LOG, Path(config.log_dir))
    return checks.check_log_errors(lines, config)


def _pitr(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    """Point-in-time recovery: the WAL stream (given max_wal_lag_seconds to recover), barman check, the catalogue's
    disk, the newest base backup's age, and the WAL the slot holds back against the database disk's free space."""
    from tsdb_ops.db import database_login, db_session, role_password
    from tsdb_ops.docker import docker_api
    from tsdb_ops.pitr import status as pitr_status
    from tsdb_ops.pitr.barman import BarmanStep
    from tsdb_ops.pitr.database import slot_state
    from tsdb_ops.pitr.engine import run_barman_steps

    if not config.pitr_enabled:
        log.info("point-in-time recovery is not set up (pitr_enabled is false): nothing to check")
        return []
    login = database_login(config.postgres_conn_id)
    with db_session(config.postgres_conn_id) as conn:
        stream_findings, stream = pitr_status.watch_wal_stream(lambda: slot_state(conn, config.pitr_slot_name), config)
    api = docker_api(config)
    results, lines = run_barman_steps(
        api, config, login.dbname, role_password(config.pitr_conn_id, config.pitr_replication_role),
        [BarmanStep(("check", config.pitr_server_name), "check"),
         BarmanStep(("list-backups", config.pitr_server_name), "list_backups")],
        {"tsdb_ops.task": "db_backup_monitor.check_pitr"})
    # one alert for one cause: Barman's own receiver and slot checks say again what the stream finding says
    ignore = pitr_status.BEFORE_FIRST_BACKUP | (pitr_status.STREAM_CHECKS if stream_findings else frozenset())
    findings = [
        *stream_findings,
        *pitr_status.catalogue_findings(pitr_status.catalogue_space(lines), config),
        *pitr_status.check_findings(pitr_status.failed_checks(results["check"].data, config.pitr_server_name),
                                    ignore=ignore),
        *pitr_status.base_backup_findings(
            pitr_status.listed_base_backups(results["list_backups"], config.pitr_server_name), as_of, config),
    ]
    if stream and stream.get("slot_name"):
        free = _database_free_bytes(api, config.db_host_in_docker, stream["data_directory"])
        log.info("slot %s holds back %s bytes of WAL; database disk free: %s", config.pitr_slot_name,
                 stream["retained_bytes"], free if free is not None else f"unknown (no container {config.db_host_in_docker})")
        findings += pitr_status.slot_retention_findings(stream["retained_bytes"], free, config)
    return findings


def _database_free_bytes(api: Any, container: str, data_directory: str) -> int | None:
    """Free bytes of the database's data directory, by ``df`` in its container (None when there is no such container)."""
    from docker.errors import NotFound

    from tsdb_ops.pitr import status as pitr_status

    try:
        exec_id = api.exec_create(container, ["df", "-Pk", data_directory])
    except NotFound:
        return None
    space = pitr_status.parse_df(api.exec_start(exec_id).decode(errors="replace"))
    return space.available_bytes if space else None


CHECKS: dict[str, Callable[[OpsConfig, datetime, dict[str, Any]], list[Finding]]] = {
    "freshness": _freshness,
    "sizes": _sizes,
    "integrity": _integrity,
    "disk_usage": _disk_usage,
    "failed_runs": _failed_runs,
    "log_errors": _log_errors,
    "trends": _trends,
    "pitr": _pitr,
}


def run_check(name: str, context: dict[str, Any]) -> dict[str, Any]:
    """Run one check and publish its complete findings under scope ``backup_monitor.<name>``.

    A run for a past hour (backfill, manual run with an earlier time) reports its findings in its log and outcome
    but publishes nothing: the open alerts describe the present, and a past hour must neither re-send nor
    "resolve" them. It also leaves backup.log's new lines to the next hourly run.
    """
    from tsdb_ops.alerts.monitor_alerts import publish_findings
    from tsdb_ops.monitor import checks

    config = load_config()
    as_of = as_of_time(context)
    past = is_past_hour(as_of)
    if past and name == "log_errors":
        log.info("check log_errors skipped for a past hour: new backup.log lines are left for the next hourly run")
        return {"check": name, "present_only": True, "findings": []}
    findings = CHECKS[name](config, as_of, context)
    for finding in findings:
        log.warning("%s %s: %s", finding.severity.upper(), finding.key, finding.message)
    if past:
        outcome = "not alerted (a run for a past hour leaves the live alerts alone)"
        if name in checks.PRESENT_ONLY_CHECKS:
            outcome += f"; this check looked at {checks.PRESENT_ONLY_CHECKS[name]}, not at that hour"
    else:
        report = publish_findings(f"backup_monitor.{name}", findings, config=config)
        outcome = f"sent {report.sent}, suppressed {report.suppressed}, resolved {report.resolved}"
    log.info("check %s as of %s: %d finding(s); %s", name, as_of.isoformat(), len(findings), outcome)
    return {"check": name, "present_only": past and name in checks.PRESENT_ONLY_CHECKS,
            "findings": [f.as_dict() for f in findings]}


def is_past_hour(as_of: datetime) -> bool:
    """A backfill or a manual run for an earlier hour (a scheduled run evaluates its own, current hour)."""
    return as_of < datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def check_results(context: dict[str, Any]) -> list[dict[str, Any] | None]:
    """The results of the check tasks of this run; None for a check that failed before returning."""
    ti = context["ti"]
    return [ti.xcom_pull(task_ids=f"check_{name}") for name in CHECKS]


def conclude(results: list[dict[str, Any] | None], context: dict[str, Any]) -> dict[str, int]:
    """Say in sentences what the run found, log it, ping the heartbeat, and set the run's state.

    The states: a run of the present hour fails while a critical finding is open or a check could not run (the
    grid shows the problem as long as it lasts; the alert API pages once and suppresses repeats, and the failure
    raises AlertedFindingsError so no second, task-failure page is sent). A run for a past hour (a backfill or a
    re-run) alerts nobody and succeeds, whatever it found: its log line and this task's log say what that was.
    """
    from tsdb_ops.findings import Finding
    from tsdb_ops.logfiles import MONITOR_LOG, append_log_line
    from tsdb_ops.monitor import checks

    config = load_config()
    findings = [Finding.from_dict(f) for r in results if r for f in r["findings"]]
    not_run = sorted(set(CHECKS) - {r["check"] for r in results if r})
    critical = [f for f in findings if f.severity == "critical"]
    warnings = [f for f in findings if f.severity == "warning"]
    as_of = as_of_time(context)
    line = f"Backup monitor run as of {as_of:%Y-%m-%d %H:%M} UTC: {len(critical)} critical, {len(warnings)} warning(s)"
    if not_run:
        line += f", checks that could not run: {not_run}"
    past = is_past_hour(as_of)
    if past:
        as_of_checks = ", ".join(name for name in CHECKS if name not in checks.PRESENT_ONLY_CHECKS)
        line += (f" (a past hour, not alerted; judged as of that hour: {as_of_checks}; "
                 f"looked at the present: {', '.join(checks.PRESENT_ONLY_CHECKS)})")
    append_log_line(config, MONITOR_LOG, line)
    sentences = [f.message for f in critical] + [f"Check {name} could not run: see its task log." for name in not_run]
    for sentence in sentences + [f.message for f in warnings]:
        log.info("%s", sentence)
    if not past:  # the dead-man's switch reports the present
        ping_heartbeat(config.heartbeat_url, failed=bool(critical or not_run))
    if sentences and not past:
        raise AlertedFindingsError(f"Backup monitor: {len(sentences)} critical problem(s), alerted: " + " ".join(
            s if s.endswith(".") else s + "." for s in sentences))
    return {"critical": len(critical), "warnings": len(warnings), "past_hour": past}


def ping_heartbeat(url: str, *, failed: bool) -> None:
    """Healthchecks-style dead-man's switch: POST <url> on success, <url>/fail on a critical run."""
    if not url:
        return
    import requests

    target = url.rstrip("/") + ("/fail" if failed else "")
    try:
        requests.post(target, data=b"", timeout=10).raise_for_status()
    except requests.RequestException as error:
        log.warning("heartbeat ping to %s failed: %s", target.split("?")[0], type(error).__name__)


def summary_path(config: OpsConfig, as_of: datetime) -> Path:
    """The report of the run's day (configured time zone): one per day, so a re-run rewrites it."""
    import pendulum

    return Path(config.report_dir) / f"backup_summary_{pendulum.instance(as_of).in_timezone(config.timezone):%Y%m%d}.md"


def daily_summary_is_due(context: dict[str, Any], force: bool) -> bool:
    """True for the first run of the day at or after ``monitor_summary_hour`` (a missed 06:00 run is made up
    by the next one), or when forced."""
    import pendulum

    config = load_config()
    as_of = as_of_time(context)
    local = pendulum.instance(as_of).in_timezone(config.timezone)
    due = force or (local.hour >= config.monitor_summary_hour and not summary_path(config, as_of).exists())
    log.info("daily summary %s (as of %s, summary hour %02d:00, forced: %s)", "due" if due else "not due",
             local.isoformat(), config.monitor_summary_hour, force)
    return due


def write_daily_summary(context: dict[str, Any]) -> str:
    """The summary report, its chart and the day's backup directory size, under report_dir."""
    import pendulum

    from tsdb_ops.files import write_atomically
    from tsdb_ops.monitor import checks
    from tsdb_ops.monitor.run_history import nightly_outcomes
    from tsdb_ops.monitor.summary import (
        directory_bytes,
        load_dir_sizes,
        record_dir_size,
        render_summary,
        save_dir_sizes,
        write_chart,
    )

    config = load_config()
    as_of = as_of_time(context)
    local = pendulum.instance(as_of).in_timezone(config.timezone)
    manifests = checks.manifests_as_of(readable_manifests(config.backup_root), as_of)
    outcomes = nightly_outcomes(context["ti"].get_dr_count, SCHEDULES["db_nightly_backup"], as_of, 7, config.timezone)
    report_dir = Path(config.report_dir)
    root = Path(config.backup_root)
    sizes = load_dir_sizes(report_dir)
    if local.date() >= max((datetime.fromisoformat(d).date() for d in sizes), default=local.date()):
        sizes = record_dir_size(sizes, local.date(), directory_bytes(root) if root.is_dir() else 0)
        save_dir_sizes(report_dir, sizes)  # a backfill of an earlier day does not rewrite history with today's size
    chart = write_chart(manifests, report_dir / f"backup_summary_{local:%Y%m%d}.png")
    markdown = render_summary(manifests, outcomes, sizes, local, config.monitor_history_sets, chart.name if chart else None)
    path = summary_path(config, as_of)
    write_atomically(path, markdown.encode())
    log.info("daily backup summary written to %s\n%s", path, markdown)
    return str(path)
