"""The backup manifest: one JSON file per backup set, written beside the artefacts, last, atomically.

Layout under ``backup_root`` (set id = the run's ``run_after`` date, YYYYMMDD, in the configured time zone)::

    db/<dbname>_<set_id>.backup         pg_dump custom format
    models/models_<set_id>.tar.gz       the models volume
    configs/config_<set_id>.tar.gz      the configured files (mode 0600)
    base/base_<set_id>/                 physical base backup (physical_backup_enabled): pg_basebackup's base.tar.gz,
                                        pg_wal.tar.gz and backup_manifest
    manifests/backup_<set_id>.json      this manifest; its presence means "every artefact completed and verified"

A manifest is the contract between the nightly backup (writer), the monitor, the restore check, db_restore and
retention. Format 2 adds the TimescaleDB jobs the dump carries (``jobs``) and chunk counts per hypertable: a dump
carries each job's definition but not its run times, so the restore needs the record to put the jobs back as they
were. Format 3 adds the physical base backup, a directory artefact listing each of its files (``files``). Format 1
and 2 manifests (written before) stay readable: format 1's ``jobs`` is None ("not recorded"), its chunk counts are
None ("not recorded"), and the readers say what they do instead.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from tsdb_ops.files import write_atomically

FORMAT_VERSION = 3
READABLE_FORMAT_VERSIONS = (1, 2, 3)
MANIFEST_DIR = "manifests"
ARTEFACT_KINDS = ("database", "models", "configs")  # in every set
BASE_BACKUP = "base_backup"  # in the sets written while physical_backup_enabled
KIND_DIRS = {"database": "db", "models": "models", "configs": "configs", BASE_BACKUP: "base"}


@dataclass(frozen=True)
class ArtefactFile:
    """A file of a directory artefact."""

    name: str                      # within the artefact's directory, e.g. "base.tar.gz"
    size_bytes: int
    sha256: str


def files_sha256(files: list[ArtefactFile]) -> str:
    """The sha256 of a directory artefact: of its files' ``sha256sum`` lines, by name, so ``cd <dir> &&
    LC_ALL=C sha256sum * | sha256sum`` gives it too."""
    lines = "".join(f"{f.sha256}  {f.name}\n" for f in sorted(files, key=lambda f: f.name.encode()))
    return hashlib.sha256(lines.encode()).hexdigest()


@dataclass(frozen=True)
class Artefact:
    kind: str                      # one of ARTEFACT_KINDS or BASE_BACKUP
    path: str                      # relative to backup_root, e.g. "db/mt5_trading_20261128.backup"
    size_bytes: int                # a directory artefact: the sum of its files
    sha256: str                    # a directory artefact: files_sha256 of its files
    duration_seconds: float
    verification: str              # what proved it readable: "pg_restore -l: 212 TOC entries", "tar -t: 14 entries"
    source_bytes: int | None = None  # size of what was backed up (database or volume), for the compression ratio
    files: list[ArtefactFile] | None = None  # a directory artefact (the base backup): its files; None: a file

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Artefact:
        files = data.get("files")
        return cls(**{**data, "files": None if files is None else [ArtefactFile(**f) for f in files]})

    def file_entries(self) -> list[Artefact]:
        """The files to verify, each with its own path, size and sha256: this artefact, or each file of a
        directory artefact."""
        if self.files is None:
            return [self]
        return [replace(self, path=f"{self.path}/{f.name}", size_bytes=f.size_bytes, sha256=f.sha256, source_bytes=None,
                        files=None) for f in self.files]


@dataclass(frozen=True)
class HypertableStats:
    name: str                      # schema-qualified
    rows: int
    min_time: str | None           # ISO 8601
    max_time: str | None
    chunks: int | None = None      # hypertables only; None: a plain table, or not recorded (format 1)
    compressed_chunks: int | None = None


@dataclass(frozen=True)
class JobRecord:
    """A TimescaleDB job of the dumped database as it was in the dump's snapshot (only jobs the dump carries)."""

    job_id: int
    proc: str                      # schema-qualified procedure, e.g. "_timescaledb_functions.policy_retention"
    hypertable: str | None         # schema-qualified hypertable (or continuous aggregate) the job works on
    scheduled: bool
    next_start: str | None         # ISO 8601 UTC, "infinity" or "-infinity"; None: the job had no start recorded


@dataclass(frozen=True)
class Manifest:
    set_id: str                    # YYYYMMDD of run_after
    run_id: str
    run_after: str                 # ISO 8601
    started_at: str
    finished_at: str
    database: str
    server_version: str
    timescaledb_version: str | None
    artefacts: list[Artefact]
    hypertables: list[HypertableStats] = field(default_factory=list)
    jobs: list[JobRecord] | None = None  # None: not recorded (format 1); [] for a database without TimescaleDB jobs
    format_version: int = FORMAT_VERSION

    def artefact(self, kind: str) -> Artefact | None:
        return next((a for a in self.artefacts if a.kind == kind), None)

    def file_entries(self) -> list[Artefact]:
        """Every file of the set with its size and sha256 (the files of a directory artefact one by one)."""
        return [entry for artefact in self.artefacts for entry in artefact.file_entries()]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        data = dict(data)
        data["artefacts"] = [Artefact.from_dict(a) for a in data.get("artefacts", [])]
        data["hypertables"] = [HypertableStats(**h) for h in data.get("hypertables", [])]
        jobs = data.get("jobs")
        data["jobs"] = None if jobs is None else [JobRecord(**j) for j in jobs]
        return cls(**data)


class ManifestError(ValueError):
    """A manifest is missing, unreadable or not of this format."""


def manifest_path(backup_root: str | Path, set_id: str) -> Path:
    return Path(backup_root) / MANIFEST_DIR / f"backup_{set_id}.json"


def write_manifest(backup_root: str | Path, manifest: Manifest) -> Path:
    path = manifest_path(backup_root, manifest.set_id)
    write_atomically(path, manifest.to_json().encode())
    return path


def read_manifest(path: str | Path) -> Manifest:
    try:
        data = json.loads(Path(path).read_text())
        if data.get("format_version") not in READABLE_FORMAT_VERSIONS:
            raise ManifestError(f"{path}: format_version {data.get('format_version')!r}, expected one of "
                                f"{READABLE_FORMAT_VERSIONS}")
        return Manifest.from_dict(data)
    except (OSError, json.JSONDecodeError, TypeError, KeyError, AttributeError) as exc:
        raise ManifestError(f"{path}: unreadable backup manifest ({exc})") from None


def list_manifest_paths(backup_root: str | Path) -> list[Path]:
    """Manifest files, oldest set first (set ids sort as dates)."""
    directory = Path(backup_root) / MANIFEST_DIR
    return sorted(directory.glob("backup_*.json")) if directory.is_dir() else []
