"""Finishing artefacts: rename a verified partial file to its final name, hash it; the config archive (0600).

Guide (Automated Backup Script): ``tar czf "$BACKUP_DIR/configs/config_$DATE.tar.gz" ...`` writes the final name
directly (a crash leaves a truncated archive that looks like a backup) with the default mode 0644, although the
archive holds ``.env`` with the stack's secrets. Here: written as 0600 under a partial name, listed back, renamed.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import time
from pathlib import Path

from tsdb_ops.backup.layout import PARTIAL_SUFFIX, artefact_path, partial_path
from tsdb_ops.backup.manifest import KIND_DIRS, Artefact

CONFIG_ARCHIVE_MODE = 0o600


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


def publish(
    backup_root: str, kind: str, final: str, *, duration_seconds: float, verification: str, source_bytes: int | None = None
) -> Artefact:
    """Rename the verified partial file of ``final`` (relative to backup_root) to ``final``; its manifest entry."""
    root = Path(backup_root)
    partial = root / partial_path(final)
    if not partial.is_file():
        raise RuntimeError(f"{partial} is missing: the container reported success but left no file to publish")
    os.replace(partial, root / final)
    _fsync_dir((root / final).parent)
    return Artefact(
        kind=kind, path=final, size_bytes=(root / final).stat().st_size, sha256=sha256_of(root / final),
        duration_seconds=round(duration_seconds, 3), verification=verification, source_bytes=source_bytes,
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
                entry.unlink(missing_ok=True)
                removed.append(f"{directory}/{entry.name}")
    return sorted(removed)
