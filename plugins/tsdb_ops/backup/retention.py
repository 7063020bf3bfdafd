"""Retention of backup sets: which files to delete (a pure decision) and deleting them.

Guide (Automated Backup Script): ``find "$BACKUP_DIR" -type f -mtime +14 -delete``. That deletes the only
backups left when backups stopped two weeks ago, and anything else under the directory. Here: only files named
like our artefacts, by the set id in their name; a set older than ``backup_retention_days`` is deleted unless it
is one of the newest ``backup_min_verified_sets`` verified sets (so the newest verified set always stays), its
physical base backup directory with it; leftover temporary files (and partial directories) of dead runs are deleted
(never one still being written). Retention runs last and only when every other task of the run succeeded.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from tsdb_ops.backup.artefacts import delete_path
from tsdb_ops.backup.layout import DIRECTORY_KINDS, DIRS, is_temporary, parse_backup_file
from tsdb_ops.backup.manifest import ManifestError, manifest_path, read_manifest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackupSet:
    set_id: str
    verified: bool             # its manifest exists and is readable
    files: tuple[str, ...]     # relative to backup_root, the manifest included (a base backup: its directory)


@dataclass(frozen=True)
class RetentionPlan:
    delete: list[str] = field(default_factory=list)      # files, manifests first (a set stops counting as verified first)
    kept_old_sets: list[str] = field(default_factory=list)  # old sets kept to honour the verified minimum
    deleted_sets: list[str] = field(default_factory=list)


def _set_date(set_id: str) -> date:
    return datetime.strptime(set_id, "%Y%m%d").date()


def plan_retention(
    sets: Iterable[BackupSet], temporary_files: Iterable[str], *, today: date, retention_days: int, min_verified_sets: int,
) -> RetentionPlan:
    """Files to delete: sets older than ``retention_days`` except the newest ``min_verified_sets`` (at least 1)
    verified sets, and every leftover temporary file."""
    sets = sorted(sets, key=lambda s: s.set_id, reverse=True)
    protected = {s.set_id for s in [s for s in sets if s.verified][: max(min_verified_sets, 1)]}
    cutoff = today - timedelta(days=retention_days)
    plan = RetentionPlan()
    for backup_set in sets:
        if _set_date(backup_set.set_id) >= cutoff:
            continue
        if backup_set.set_id in protected:
            plan.kept_old_sets.append(backup_set.set_id)
            continue
        plan.deleted_sets.append(backup_set.set_id)
        plan.delete.extend(sorted(backup_set.files, key=lambda f: not f.startswith(DIRS["manifest"] + "/")))
    plan.delete.extend(sorted(temporary_files))
    return plan


# A temporary file written to within this time may belong to a write in flight (a safety dump of db_restore, a
# selective export): retention leaves it; a dead run's leftovers are older.
TEMPORARY_GRACE_SECONDS = 3600


def _last_written(entry: Path) -> float:
    """mtime of a file; of a partial directory, of the newest of it and its files (pg_basebackup writes flat)."""
    if entry.is_dir():
        return max([entry.stat().st_mtime, *(child.stat().st_mtime for child in entry.iterdir())])
    return entry.stat().st_mtime


def list_backup_sets(backup_root: str | Path, now: float | None = None) -> tuple[list[BackupSet], list[str]]:
    """The backup sets under ``backup_root`` and the temporary files of dead runs lying there (paths relative to
    it): temporary files modified within ``TEMPORARY_GRACE_SECONDS`` of ``now`` are still being written."""
    root = Path(backup_root)
    now = time.time() if now is None else now
    files: dict[str, list[str]] = defaultdict(list)
    temporary: list[str] = []
    for directory in DIRS.values():
        if not (root / directory).is_dir():
            continue
        for entry in (root / directory).iterdir():
            relative = f"{directory}/{entry.name}"
            if is_temporary(entry.name):
                if now - _last_written(entry) > TEMPORARY_GRACE_SECONDS:
                    temporary.append(relative)
            elif (parsed := parse_backup_file(relative)) and entry.is_dir() == (parsed.kind in DIRECTORY_KINDS):
                files[parsed.set_id].append(relative)
    sets = []
    for set_id, paths in files.items():
        try:
            verified = manifest_path(root, set_id).is_file() and bool(read_manifest(manifest_path(root, set_id)))
        except ManifestError as exc:
            log.warning("Backup set %s counts as unverified: %s", set_id, exc)
            verified = False
        sets.append(BackupSet(set_id, verified, tuple(sorted(paths))))
    return sets, sorted(temporary)


def apply_retention(backup_root: str | Path, plan: RetentionPlan) -> list[str]:
    """Delete the planned files (and base backup directories); returns what was deleted."""
    deleted = []
    for relative in plan.delete:
        delete_path(Path(backup_root) / relative)
        deleted.append(relative)
    return deleted
