"""Backup directories as db_nightly_backup writes them: real artefacts (a pg_dump custom file, gzipped tarballs)
and manifests, for the monitor's tests and benchmark."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
from datetime import datetime
from pathlib import Path

from tsdb_ops.backup.manifest import Artefact, Manifest, write_manifest

PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump"


def make_dump(dsn: str, target: Path) -> Path:
    """A real custom-format dump of ``dsn``, by Debian's pg_dump 15."""
    subprocess.run([PG_DUMP, "-Fc", "-Z", "3", "-f", str(target), "--dbname", dsn], check=True, capture_output=True)
    return target


def make_tarball(target: Path, files: dict[str, bytes]) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return target


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_backup_set(root: Path, finished: datetime, dump: Path, *, models_bytes: int = 200_000, seconds: float = 30.0,
                     source_bytes: int | None = None, with_manifest: bool = True) -> Manifest:
    """One complete set (database, models, configs) finished at ``finished``, with its manifest."""
    set_id = f"{finished:%Y%m%d}"
    db_path = root / "db" / f"mt5_trading_{set_id}.backup"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(dump, db_path)
    models = make_tarball(root / "models" / f"models_{set_id}.tar.gz",
                          {"lstm/weights.bin": os.urandom(models_bytes), "lstm/meta.json": b'{"v": 3}'})
    configs = make_tarball(root / "configs" / f"config_{set_id}.tar.gz",
                           {".env": b"X=1\n", "docker-compose.yml": b"services: {}\n"})
    for path in (db_path, models, configs):
        os.utime(path, (finished.timestamp(), finished.timestamp()))
    artefacts = [
        Artefact("database", str(db_path.relative_to(root)), db_path.stat().st_size, _sha256(db_path), seconds, "pg_restore -l",
                 source_bytes or db_path.stat().st_size * 4),
        Artefact("models", str(models.relative_to(root)), models.stat().st_size, _sha256(models), 2.0, "tar -t", models_bytes),
        Artefact("configs", str(configs.relative_to(root)), configs.stat().st_size, _sha256(configs), 0.1, "tar -t", 20),
    ]
    manifest = Manifest(set_id=set_id, run_id=f"scheduled__{set_id}", run_after=finished.isoformat(),
                        started_at=finished.isoformat(), finished_at=finished.isoformat(), database="mt5_trading",
                        server_version="15.20", timescaledb_version=None, artefacts=artefacts)
    if with_manifest:
        write_manifest(root, manifest)
    return manifest
