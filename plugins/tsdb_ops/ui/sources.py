"""What the ops page shows, read from the files the DAGs write: manifests, the monitor's verification record,
the Markdown reports and the alert lines of the log files. Never from the target database.

Reading is cached by file signature (size, mtime): a page load stats the manifests directory and re-parses only
the manifests that are new or changed, so 1,000 sets cost one directory scan, not 1,000 JSON parses.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from tsdb_ops.backup.manifest import ARTEFACT_KINDS, MANIFEST_DIR, Manifest, ManifestError, read_manifest
from tsdb_ops.monitor.verification import STATE_FILE

T = TypeVar("T")

RESOLVED_LINE = re.compile(r"^\[(?P<at>[0-9-]{10} [0-9:]{8})\] RESOLVED \[(?P<scope>[^\]]+)\] (?P<key>\S+): "
                           r"(?P<message>.*) \((?P<outcome>[^()]*)\)$")
ALERT_LOGS = ("backup_monitor.log", "db_health.log")
LOG_TAIL_BYTES = 256 * 1024
_REPORT_STAMP = re.compile(r"_(\d{8}T\d{6})\.md$")


@dataclass(frozen=True)
class BackupSet:
    set_id: str
    run_id: str
    finished_at: datetime | None
    sizes: dict[str, int]           # kind -> bytes
    seconds: dict[str, float]       # kind -> duration
    verdict: str                    # "verified", "problem" or "unchecked" (by the hourly monitor)
    detail: str                     # the problem, or when the monitor last read the files

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes.values())

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


@dataclass(frozen=True)
class ResolvedAlert:
    at: str
    scope: str
    key: str
    message: str


@dataclass(frozen=True)
class Report:
    kind: str                       # "compression" or "health"
    path: Path
    name: str                       # e.g. the hypertable of a compression report
    run_after: datetime | None      # from the file name (the run's run_after, UTC)
    markdown: str


class FileCache:
    """Values computed from files, recomputed only when a file's (size, mtime_ns) changes."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[tuple[int, int], Any]] = {}
        self._lock = threading.Lock()

    def get(self, label: str, path: str | Path, signature: tuple[int, int], compute: Callable[[Path], T]) -> T:
        key = (label, str(path))
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] == signature:
            return entry[1]
        value = compute(Path(path))
        with self._lock:
            self._entries[key] = (signature, value)
        return value

    def forget_missing(self, label: str, present: set[str]) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == label and k[1] not in present]:
                del self._entries[key]


def _signature(stat: os.stat_result) -> tuple[int, int]:
    return stat.st_size, stat.st_mtime_ns


def _parse_time(text: str | None) -> datetime | None:
    try:
        value = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _read_or_error(path: Path) -> Manifest | str:
    try:
        return read_manifest(path)
    except ManifestError as error:
        return str(error)


def manifest_signatures(backup_root: Path) -> list[tuple[str, tuple[int, int]]]:
    """(path, signature) of every manifest, oldest set first: one directory scan, no file opened."""
    directory = backup_root / MANIFEST_DIR
    try:
        entries = [e for e in os.scandir(directory) if e.name.startswith("backup_") and e.name.endswith(".json")]
    except FileNotFoundError:
        return []
    return sorted((e.path, _signature(e.stat())) for e in entries)


def _verification_record(backup_root: Path, cache: FileCache | None) -> dict[str, Any]:
    path = backup_root / STATE_FILE
    try:
        signature = _signature(path.stat())
    except FileNotFoundError:
        return {}

    def load(p: Path) -> dict[str, Any]:
        try:
            data = json.loads(p.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    return cache.get("record", path, signature, load) if cache else load(path)


def set_verdict(manifest: Manifest, record: dict[str, Any]) -> tuple[str, str]:
    """What the hourly monitor last found about the set's files: every file good, a problem, or not read yet."""
    files = manifest.file_entries()  # the monitor records a base backup's files one by one
    entries = [record.get(a.path) for a in files]
    problems = [f"{a.path}: {e['problem']}" for a, e in zip(files, entries, strict=True)
                if isinstance(e, dict) and e.get("problem")]
    if problems:
        return "problem", "; ".join(problems)
    if entries and all(isinstance(e, dict) for e in entries):
        read = [e.get("hashed_at") for e in entries if e.get("hashed_at")]
        return "verified", f"files last read {min(read)[:16].replace('T', ' ')}" if read else "files verified"
    return "unchecked", "not read by the monitor yet"


def backup_sets(backup_root: str | Path, cache: FileCache | None = None) -> tuple[list[BackupSet], list[str]]:
    """Every set, oldest first, and the manifests that could not be read."""
    root = Path(backup_root)
    record = _verification_record(root, cache)
    sets: list[BackupSet] = []
    errors: list[str] = []
    signatures = manifest_signatures(root)
    for path, signature in signatures:
        manifest = cache.get("manifest", path, signature, _read_or_error) if cache else _read_or_error(Path(path))
        if isinstance(manifest, str):
            errors.append(manifest)
            continue
        verdict, detail = set_verdict(manifest, record)
        sets.append(BackupSet(
            set_id=manifest.set_id, run_id=manifest.run_id, finished_at=_parse_time(manifest.finished_at),
            sizes={a.kind: a.size_bytes for a in manifest.artefacts if a.kind in ARTEFACT_KINDS},
            seconds={a.kind: a.duration_seconds for a in manifest.artefacts if a.kind in ARTEFACT_KINDS},
            verdict=verdict, detail=detail,
        ))
    if cache:
        cache.forget_missing("manifest", {p for p, _ in signatures})
    return sets, errors


def recently_resolved(log_dir: str | Path, limit: int = 10) -> list[ResolvedAlert]:
    """The newest "RESOLVED" lines of the monitor and health logs (their tails only), newest first."""
    found: list[ResolvedAlert] = []
    for name in ALERT_LOGS:
        path = Path(log_dir) / name
        try:
            with open(path, "rb") as handle:
                handle.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
                text = handle.read().decode(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            match = RESOLVED_LINE.match(line)
            if match:
                found.append(ResolvedAlert(match["at"], match["scope"], match["key"], match["message"]))
    return sorted(found, key=lambda r: r.at, reverse=True)[:limit]


def _report_stamp(path: Path) -> datetime | None:
    match = _REPORT_STAMP.search(path.name)
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC) if match else None


def latest_reports(report_dir: str | Path, cache: FileCache | None = None) -> list[Report]:
    """The newest health report, and the newest compression report of each hypertable."""
    root = Path(report_dir)
    newest: dict[tuple[str, str], tuple[datetime, Path]] = {}
    for kind, pattern in (("health", "health_*.md"), ("compression", "compression_*.md")):
        folder = root / kind
        if not folder.is_dir():
            continue
        for path in folder.glob(pattern):
            stamp = _report_stamp(path)
            if stamp is None:
                continue
            name = path.name[len(kind) + 1:-len("_YYYYmmddTHHMMSS.md")] if kind == "compression" else "database"
            if (kind, name) not in newest or stamp > newest[(kind, name)][0]:
                newest[(kind, name)] = (stamp, path)
    reports = []
    for (kind, name), (stamp, path) in sorted(newest.items()):
        try:
            signature = _signature(path.stat())
        except FileNotFoundError:
            continue
        text = cache.get("report", path, signature, Path.read_text) if cache else path.read_text()
        reports.append(Report(kind, path, name, stamp, text))
    return reports


@dataclass(frozen=True)
class TimelineMonth:
    month: str
    chunks: int
    compressed: int
    before: str
    now: str


def compression_timeline(markdown: str) -> list[TimelineMonth]:
    """The "Timeline" table of a compression report (per month of chunk start), oldest month first."""
    months: list[TimelineMonth] = []
    in_section = False
    for line in markdown.splitlines():
        if line.startswith("## "):
            in_section = line.startswith("## Timeline")
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if in_section and len(cells) == 5 and cells[1].isdigit() and cells[2].isdigit():
            months.append(TimelineMonth(cells[0], int(cells[1]), int(cells[2]), cells[3], cells[4]))
    return sorted(months, key=lambda m: m.month)


def health_verdict(markdown: str) -> str | None:
    match = re.search(r"Verdict: \*\*([A-Z]+)", markdown)
    return match.group(1) if match else None
