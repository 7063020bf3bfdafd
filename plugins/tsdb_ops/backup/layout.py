"""Names and places of backup artefacts: set ids, final and partial file names, host paths for Docker mounts.

An artefact is written as ``<dir>/.<final name>.partial`` and renamed to its final name only after it was
complete and verified, so nothing that looks like a backup exists until it is one; the physical base backup is a
directory, written and renamed the same way. See manifest.py for the layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import pendulum

from tsdb_ops.backup.manifest import BASE_BACKUP, KIND_DIRS, MANIFEST_DIR

PARTIAL_SUFFIX = ".partial"
_SET_ID = r"(?P<set_id>\d{8})"
_FINAL_NAMES = {
    "database": re.compile(rf"^.+_{_SET_ID}\.backup$"),
    "models": re.compile(rf"^models_{_SET_ID}\.tar\.gz$"),
    "configs": re.compile(rf"^config_{_SET_ID}\.tar\.gz$"),
    BASE_BACKUP: re.compile(rf"^base_{_SET_ID}$"),
    "manifest": re.compile(rf"^backup_{_SET_ID}\.json$"),
}
DIRS = {**KIND_DIRS, "manifest": MANIFEST_DIR}
DIRECTORY_KINDS = frozenset({BASE_BACKUP})  # artefacts that are a directory of files


def set_id_for(run_after: datetime, timezone: str) -> str:
    """The backup set id of a run: its ``run_after`` date (YYYYMMDD) in the configured time zone."""
    return pendulum.instance(run_after).in_timezone(timezone).strftime("%Y%m%d")


def artefact_path(kind: str, set_id: str, database: str) -> str:
    """Path of an artefact relative to backup_root, e.g. ``db/mt5_trading_20261128.backup``."""
    names = {
        "database": f"{database}_{set_id}.backup",
        "models": f"models_{set_id}.tar.gz",
        "configs": f"config_{set_id}.tar.gz",
        BASE_BACKUP: f"base_{set_id}",
    }
    return f"{KIND_DIRS[kind]}/{names[kind]}"


def partial_path(relative: str) -> str:
    """The temporary name an artefact is written under: a dot-file ending in .partial in the same directory."""
    path = PurePosixPath(relative)
    return str(path.with_name(f".{path.name}{PARTIAL_SUFFIX}"))


def is_temporary(name: str) -> bool:
    """A file left by an unfinished write: our .partial files and write_atomically's .tmp files."""
    return name.startswith(".") and (name.endswith(PARTIAL_SUFFIX) or name.endswith(".tmp"))


@dataclass(frozen=True)
class BackupFile:
    path: str          # relative to backup_root
    kind: str          # database, models, configs or manifest
    set_id: str


def parse_backup_file(relative: str) -> BackupFile | None:
    """The kind and set id of a final artefact or manifest path, None for anything else (left alone)."""
    path = PurePosixPath(relative)
    for kind, pattern in _FINAL_NAMES.items():
        match = pattern.match(path.name)
        if match and str(path.parent) == DIRS[kind]:
            return BackupFile(relative, kind, match["set_id"])
    return None


def host_path(backup_root: str, backup_host_root: str, relative: str = "") -> str:
    """Path of ``backup_root/relative`` as the Docker engine sees it (the mount source of a container).

    When Airflow runs in a container, ``backup_root`` is its own view; the engine resolves bind-mount sources on
    the host, where the same directory may live elsewhere (``backup_host_root``).
    """
    root = PurePosixPath(backup_host_root or backup_root)
    return str(root / relative) if relative else str(root)


def ensure_dirs(backup_root: str) -> None:
    """The directories of the artefacts every set has (base/ is made when a base backup is taken)."""
    for kind, directory in DIRS.items():
        if kind != BASE_BACKUP:
            (Path(backup_root) / directory).mkdir(parents=True, exist_ok=True)
