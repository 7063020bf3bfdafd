"""The backup checks of the guide's monitor_backups.sh, as pure functions from gathered facts to findings.

Critical: stale, tiny, integrity, disk, consecutive failed runs, errors in backup.log.
Warning: size change, shrinking, compression ratio, slow, suspiciously fast.
Each per kind: the dump, models and configs, and the physical base backup while physical_backup_enabled.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta

from tsdb_ops.backup.manifest import ARTEFACT_KINDS, BASE_BACKUP, Artefact, Manifest
from tsdb_ops.config import OpsConfig
from tsdb_ops.findings import Finding

# Checks that a run for a past hour cannot evaluate as of that hour, and what they look at instead. Freshness,
# sizes and trends use only the manifests of sets finished by then, so they are judged as of the run's hour.
PRESENT_ONLY_CHECKS = {
    "integrity": "the files on disk now",
    "disk_usage": "the volume's usage now",
    "log_errors": "backup.log lines written since the previous check",
    "failed_runs": "the scheduled nightly runs before that hour, with the states they have now",
    "pitr": "the WAL stream to Barman and Barman's catalogue now",
}


# Kinds that hold the database: each has the minimum size min_backup_size_bytes.
DATABASE_KINDS = ("database", BASE_BACKUP)


def expected_kinds(config: OpsConfig) -> tuple[str, ...]:
    """The kinds every new set has: the physical base backup only while physical_backup_enabled."""
    return (*ARTEFACT_KINDS, BASE_BACKUP) if config.physical_backup_enabled else ARTEFACT_KINDS


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.2f} MB"


def manifests_as_of(manifests: Sequence[Manifest], as_of: datetime) -> list[Manifest]:
    """Manifests of sets finished by ``as_of``, oldest first (a backfill sees the state of its hour)."""
    return sorted((m for m in manifests if datetime.fromisoformat(m.finished_at) <= as_of), key=lambda m: m.finished_at)


def history(manifests: Sequence[Manifest], kind: str) -> list[tuple[Manifest, Artefact]]:
    """(manifest, artefact) of one kind, oldest first."""
    return [(m, a) for m in manifests if (a := m.artefact(kind)) is not None]


def check_freshness(manifests: Sequence[Manifest], as_of: datetime, config: OpsConfig) -> list[Finding]:
    findings = []
    limit = timedelta(hours=config.max_backup_age_hours)
    for kind in expected_kinds(config):
        series = history(manifests, kind)
        if not series:
            findings.append(Finding(f"backup.{kind}.missing", "critical", f"No verified {kind} backup exists",
                                    {"kind": kind}))
            continue
        finished = datetime.fromisoformat(series[-1][0].finished_at)
        age = as_of - finished
        if age > limit:
            hours = age.total_seconds() / 3600
            findings.append(Finding(
                f"backup.{kind}.stale", "critical",
                f"Newest verified {kind} backup is {hours:.1f} h old (limit {config.max_backup_age_hours:g} h): "
                f"{series[-1][1].path}", {"kind": kind, "age_hours": round(hours, 1), "path": series[-1][1].path}))
    return findings


def check_sizes(manifests: Sequence[Manifest], config: OpsConfig) -> list[Finding]:
    findings = []
    for kind in (k for k in expected_kinds(config) if k in DATABASE_KINDS):
        series = history(manifests, kind)
        artefact = series[-1][1] if series else None
        if artefact and artefact.size_bytes < config.min_backup_size_bytes:
            findings.append(Finding(f"backup.{kind}.too_small", "critical",
                                    f"Newest {kind} backup {artefact.path} is {_mb(artefact.size_bytes)}, below the "
                                    f"{_mb(config.min_backup_size_bytes)} minimum",
                                    {"path": artefact.path, "size_bytes": artefact.size_bytes}))
    return findings


def backup_root_missing(path: str) -> Finding:
    return Finding("backup.disk.root_missing", "critical",
                   f"Backup directory {path} does not exist: is the backup volume mounted? (fix backup_root)", {"path": path})


def check_disk_usage(used_percent: float, path: str, config: OpsConfig) -> list[Finding]:
    if used_percent > config.disk_usage_threshold_percent:
        return [Finding("backup.disk.full", "critical",
                        f"Backup volume {path} is {used_percent:.1f}% full (threshold {config.disk_usage_threshold_percent:g}%)",
                        {"path": path, "used_percent": round(used_percent, 1)})]
    return []


def consecutive_failures(outcomes_newest_first: Sequence[str | None]) -> int:
    """Failed runs in a row, newest first; a missing run (None) neither counts nor breaks the streak."""
    count = 0
    for outcome in outcomes_newest_first:
        if outcome == "failed":
            count += 1
        elif outcome == "success":
            break
    return count


def check_failed_runs(outcomes_newest_first: Sequence[str | None], config: OpsConfig) -> list[Finding]:
    failed = consecutive_failures(outcomes_newest_first)
    if failed >= config.max_consecutive_failed_backups:
        return [Finding("backup.runs.failed", "critical",
                        f"{failed} consecutive db_nightly_backup runs failed (limit {config.max_consecutive_failed_backups})",
                        {"consecutive_failures": failed})]
    return []


def error_lines(lines: Sequence[str], pattern: str) -> list[str]:
    regex = re.compile(pattern)
    return [line for line in lines if regex.search(line)]


def check_log_errors(new_lines: Sequence[str], config: OpsConfig) -> list[Finding]:
    errors = error_lines(new_lines, config.monitor_log_error_pattern)
    if not errors:
        return []
    shown = "; ".join(line.strip() for line in errors[-3:])
    return [Finding("backup.log.errors", "critical", f"{len(errors)} error line(s) in backup.log since the last check: {shown}",
                    {"count": len(errors), "last": errors[-1].strip()})]


def _median(values: Sequence[float]) -> float | None:
    values = [v for v in values if v]
    return statistics.median(values) if values else None


def check_trends(manifests: Sequence[Manifest], config: OpsConfig) -> list[Finding]:
    """Warnings comparing the newest backup of each kind with the previous one and the recent median."""
    findings = []
    for kind in expected_kinds(config):
        series = history(manifests, kind)
        if len(series) < 2:
            continue
        newest, previous = series[-1][1], series[-2][1]
        baseline = [a for _, a in series[-1 - config.monitor_history_sets:-1]]
        facts = {"kind": kind, "path": newest.path, "size_bytes": newest.size_bytes, "previous_bytes": previous.size_bytes}
        change = (newest.size_bytes - previous.size_bytes) / previous.size_bytes * 100 if previous.size_bytes else 0.0
        if abs(change) > config.size_change_threshold_percent:
            findings.append(Finding(f"backup.{kind}.size_change", "warning",
                                    f"{kind} backup size changed {change:+.0f}% ({_mb(previous.size_bytes)} -> "
                                    f"{_mb(newest.size_bytes)}), threshold {config.size_change_threshold_percent:g}%",
                                    {**facts, "change_percent": round(change, 1)}))
        if newest.size_bytes < previous.size_bytes * (1 - config.shrink_tolerance_percent / 100):
            findings.append(Finding(f"backup.{kind}.shrinking", "warning",
                                    f"New {kind} backup is smaller than the previous one ({_mb(newest.size_bytes)} < "
                                    f"{_mb(previous.size_bytes)})", facts))
        ratios = [a.source_bytes / a.size_bytes for a in baseline if a.source_bytes and a.size_bytes]
        usual_ratio = _median(ratios)
        if usual_ratio and newest.source_bytes and newest.size_bytes:
            ratio = newest.source_bytes / newest.size_bytes
            band = config.compression_ratio_band_factor
            if not usual_ratio / band <= ratio <= usual_ratio * band:
                findings.append(Finding(f"backup.{kind}.compression_ratio", "warning",
                                        f"{kind} backup compression ratio {ratio:.2f} is outside its usual band "
                                        f"({usual_ratio / band:.2f}-{usual_ratio * band:.2f})",
                                        {**facts, "ratio": round(ratio, 2)}))
        seconds = newest.duration_seconds
        usual_seconds = _median([a.duration_seconds for a in baseline])
        if usual_seconds and seconds > usual_seconds * config.slow_backup_factor:
            findings.append(Finding(f"backup.{kind}.slow", "warning",
                                    f"{kind} backup took {seconds:.0f} s, {seconds / usual_seconds:.1f}x "
                                    f"the recent median of {usual_seconds:.0f} s", {**facts, "seconds": seconds}))
        usual_size = _median([a.size_bytes for a in baseline])
        fast = usual_seconds and seconds < usual_seconds * config.fast_backup_factor
        if fast and usual_size and newest.size_bytes < usual_size:
            findings.append(Finding(f"backup.{kind}.suspiciously_fast", "warning",
                                    f"{kind} backup finished in {seconds:.1f} s (usual {usual_seconds:.0f} s) and is smaller "
                                    f"than usual ({_mb(newest.size_bytes)} vs {_mb(int(usual_size))}): check it is complete",
                                    {**facts, "seconds": seconds}))
    return findings
