"""Finishing artefacts: rename a verified partial file (or directory) to its final name, hash it; the config
archive (0600).

Guide (Automated Backup Script): ``tar czf "$BACKUP_DIR/configs/config_$DATE.tar.gz" ...`` writes the final name
directly (a crash leaves a truncated archive that looks like a backup) with the default mode 0644, although the
archive holds ``.env`` with the stack's secrets. Here: written as 0600 under a partial name, listed back, renamed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from tsdb_ops.backup.layout import PARTIAL_SUFFIX, artefact_path, partial_path
from tsdb_ops.backup.manifest import KIND_DIRS, Artefact, ArtefactFile, files_sha256

CONFIG_ARCHIVE_MODE = 0o600
PG_BACKUP_MANIFEST = "backup_manifest"  # PostgreSQL's own manifest of a base backup


@dataclass(frozen=True)
class BaseBackupContents:
    files: int             # files of the data directory, each with its SHA256 in backup_manifest
    data_bytes: int        # their size unpacked
    wal: str               # the WAL range a restore replays, "start LSN-end LSN" per timeline


def read_pg_backup_manifest(path: str | Path) -> BaseBackupContents:
    """What a base backup holds, from PostgreSQL's ``backup_manifest``; ValueError when the file is not one."""
    try:
        data = json.loads(Path(path).read_text())
        files = data["Files"]
        wal = ", ".join(f"{r['Start-LSN']}-{r['End-LSN']}" for r in data["WAL-Ranges"])
        return BaseBackupContents(len(files), sum(int(f["Size"]) for f in files), wal)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"not a readable PostgreSQL backup_manifest ({type(error).__name__}: {error})") from None


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def delete_path(path: Path) -> None:
    """Delete a file, or a directory with its files (a base backup); nothing when it is gone already."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def publish(
    backup_root: str, kind: str, final: str, *, duration_seconds: float, verification: str, source_bytes: int | None = None
) -> Artefact:
    """Rename the verified partial file of ``final`` (relative to backup_root) to ``final``; its manifest entry.

    A partial directory (the base backup) is hashed file by file first and replaces the set's earlier one (a re-run).
    """
    root = Path(backup_root)
    partial, target = root / partial_path(final), root / final
    files = None
    if partial.is_dir():
        files = [ArtefactFile(p.name, p.stat().st_size, sha256_of(p)) for p in sorted(partial.iterdir())]
        delete_path(target)  # os.replace cannot put a directory over one that has files
    elif not partial.is_file():
        raise RuntimeError(f"{partial} is missing: the container reported success but left nothing to publish")
    os.replace(partial, target)
    _fsync_dir(target.parent)
    return Artefact(
        kind=kind, path=final, size_bytes=target.stat().st_size if files is None else sum(f.size_bytes for f in files),
        sha256=sha256_of(target) if files is None else files_sha256(files), duration_seconds=round(duration_seconds, 3),
        verification=verification, source_bytes=source_bytes, files=files,
    )


def archive_config_files(backup_root: str, project_dir: str, files: list[str], set_id: str) -> Artefact:
    """tar.gz of ``files`` (relative to ``project_dir``), mode 0600, written atomically and listed back."""
    started = time.monotonic()
    project = Path(project_dir)
    missing = [f for f in files if not (project / f).is_file()]
    if missing:
        raise RuntimeError(
            f"Config backup: {missing} not found under {project_dir}; fix config_files or config_project_dir"
        )
    final = artefact_path("configs", set_id, "")
    partial = Path(backup_root) / partial_path(final)
    partial.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, CONFIG_ARCHIVE_MODE)
    try:
        os.fchmod(fd, CONFIG_ARCHIVE_MODE)  # an older partial file may have had another mode
        with os.fdopen(fd, "wb") as handle:
            with tarfile.open(fileobj=handle, mode="w:gz") as archive:
                for name in files:
                    archive.add(project / name, arcname=name, recursive=False)
            handle.flush()
            os.fsync(handle.fileno())
        with tarfile.open(partial, "r:gz") as archive:
            listed = archive.getnames()
        if sorted(listed) != sorted(files):
            raise RuntimeError(f"Config backup: {partial} lists {listed}, expected {files}")
        source_bytes = sum((project / f).stat().st_size for f in files)
        return publish(
            backup_root, "configs", final, duration_seconds=time.monotonic() - started,
            verification=f"tar -t: {len(listed)} entries", source_bytes=source_bytes,
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def remove_partial_files(backup_root: str, set_id: str) -> list[str]:
    """Delete the partial files of set ``set_id`` (a failed or killed step); returns the deleted paths."""
    removed = []
    for directory in KIND_DIRS.values():
        folder = Path(backup_root) / directory
        if folder.is_dir():
            for entry in folder.glob(f".*{set_id}*{PARTIAL_SUFFIX}"):
                delete_path(entry)
                removed.append(f"{directory}/{entry.name}")
    return sorted(removed)
