"""Task bodies of db_backup_monitor: gather the inputs of one check, decide, publish through the alert API."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pendulum

from tsdb_ops.alerts.monitor_alerts import publish_findings
from tsdb_ops.alerts.task_failure import AlertedFindingsError
from tsdb_ops.backup.manifest import Manifest, ManifestError, list_manifest_paths, read_manifest, write_atomically
from tsdb_ops.config import OpsConfig, load_config
from tsdb_ops.findings import Finding
from tsdb_ops.logfiles import BACKUP_LOG, MONITOR_LOG, append_log_line
from tsdb_ops.monitor import checks
from tsdb_ops.monitor.log_scan import read_new_lines
from tsdb_ops.monitor.run_history import nightly_outcomes
from tsdb_ops.monitor.summary import directory_bytes, render_summary, write_size_chart
from tsdb_ops.monitor.verification import verify_backups

log = logging.getLogger(__name__)


def as_of_time(context: dict[str, Any]) -> datetime:
    """The time the run evaluates: a scheduled or backfilled run's logical date, else (manual) its run_after."""
    when = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(when).in_timezone("UTC")


def readable_manifests(backup_root: str) -> list[Manifest]:
    """Manifests that parse, oldest first (unreadable ones are the integrity check's finding)."""
    manifests = []
    for path in list_manifest_paths(backup_root):
        try:
            manifests.append(read_manifest(path))
        except ManifestError:
            continue
    return manifests


def _freshness(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    return checks.check_freshness(checks.manifests_as_of(readable_manifests(config.backup_root), as_of), as_of, config)


def _sizes(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    return checks.check_sizes(checks.manifests_as_of(readable_manifests(config.backup_root), as_of), config)


def _trends(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    return checks.check_trends(checks.manifests_as_of(readable_manifests(config.backup_root), as_of), config)


def _integrity(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    inventory = verify_backups(config.backup_root)
    log.info("integrity: %d files checked, %d verified now (new or changed), the rest trusted by size+mtime+hash",
             inventory.files_checked, inventory.files_verified_now)
    return inventory.problems


def _disk_usage(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    usage = shutil.disk_usage(config.backup_root)
    return checks.check_disk_usage(100.0 * usage.used / usage.total, config.backup_root, config)


def _failed_runs(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    outcomes = nightly_outcomes(context["ti"].get_dr_count, as_of, config.max_consecutive_failed_backups + 7, config.timezone)
    log.info("last scheduled db_nightly_backup runs, newest first: %s", outcomes)
    return checks.check_failed_runs(outcomes, config)


def _log_errors(config: OpsConfig, as_of: datetime, context: dict[str, Any]) -> list[Finding]:
    lines = read_new_lines(Path(config.log_dir) / BACKUP_LOG, Path(config.log_dir))
    return checks.check_log_errors(lines, config)


CHECKS: dict[str, Callable[[OpsConfig, datetime, dict[str, Any]], list[Finding]]] = {
    "freshness": _freshness,
    "sizes": _sizes,
    "integrity": _integrity,
    "disk_usage": _disk_usage,
    "failed_runs": _failed_runs,
    "log_errors": _log_errors,
    "trends": _trends,
}


def run_check(name: str, context: dict[str, Any]) -> dict[str, Any]:
    """Run one check and publish its complete findings under scope ``backup_monitor.<name>``."""
    config = load_config()
    as_of = as_of_time(context)
    Path(config.backup_root).mkdir(parents=True, exist_ok=True)
    findings = CHECKS[name](config, as_of, context)
    report = publish_findings(f"backup_monitor.{name}", findings, config=config)
    for finding in findings:
        log.warning("%s %s: %s", finding.severity.upper(), finding.key, finding.message)
    present_only = name in checks.PRESENT_ONLY_CHECKS
    log.info("check %s as of %s%s: %d finding(s); sent %s, suppressed %s, resolved %s", name, as_of.isoformat(),
             " (looks at the present only)" if present_only else "", len(findings), report.sent, report.suppressed,
             report.resolved)
    return {"check": name, "present_only": present_only, "findings": [f.as_dict() for f in findings]}


def check_results(context: dict[str, Any]) -> list[dict[str, Any] | None]:
    """The results of the check tasks of this run; None for a check that failed before returning."""
    ti = context["ti"]
    return [ti.xcom_pull(task_ids=f"check_{name}") for name in CHECKS]


def conclude(results: list[dict[str, Any] | None], context: dict[str, Any]) -> dict[str, int]:
    """Log the run's outcome, ping the heartbeat, and fail the run when a check is critical or could not run."""
    config = load_config()
    findings = [Finding.from_dict(f) for r in results if r for f in r["findings"]]
    not_run = sorted(set(CHECKS) - {r["check"] for r in results if r})
    critical = [f for f in findings if f.severity == "critical"]
    warnings = [f for f in findings if f.severity == "warning"]
    as_of = as_of_time(context)
    line = f"Backup monitor run as of {as_of:%Y-%m-%d %H:%M} UTC: {len(critical)} critical, {len(warnings)} warning(s)"
    if not_run:
        line += f", checks that could not run: {not_run}"
    if as_of < datetime.now(UTC).replace(minute=0, second=0, microsecond=0):
        line += f" (past hour: {', '.join(checks.PRESENT_ONLY_CHECKS)} looked at the present)"
    append_log_line(config, MONITOR_LOG, line)
    ping_heartbeat(config.heartbeat_url, failed=bool(critical or not_run))
    if critical or not_run:
        keys = [f.key for f in critical] + [f"check {name} did not run" for name in not_run]
        raise AlertedFindingsError(f"backup monitor: {len(keys)} critical finding(s): {keys}")
    return {"critical": 0, "warnings": len(warnings)}


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


def write_daily_summary(context: dict[str, Any], force: bool) -> str | None:
    """Once a day (at monitor_summary_hour, or when forced): the summary report and its chart under report_dir."""
    from airflow.sdk.exceptions import AirflowSkipException

    config = load_config()
    as_of = as_of_time(context)
    local = pendulum.instance(as_of).in_timezone(config.timezone)
    if not force and local.hour != config.monitor_summary_hour:
        raise AirflowSkipException(f"the daily summary is written by the {config.monitor_summary_hour:02d}:00 run")
    manifests = checks.manifests_as_of(readable_manifests(config.backup_root), as_of)
    outcomes = nightly_outcomes(context["ti"].get_dr_count, as_of, 7, config.timezone)
    report_dir = Path(config.report_dir)
    chart = write_size_chart(manifests, report_dir / f"backup_summary_{local:%Y%m%d}.png")
    markdown = render_summary(manifests, outcomes, directory_bytes(Path(config.backup_root)), local,
                              chart.name if chart else None)
    path = report_dir / f"backup_summary_{local:%Y%m%d}.md"
    write_atomically(path, markdown.encode())
    log.info("daily backup summary written to %s\n%s", path, markdown)
    return str(path)
