"""Integrity of the backup files, each verified once: the sha256 against the manifest, then readability.

A multi-GB file is hashed and listed only when it is new or changed; afterwards its size, mtime and recorded
result are trusted, so an hourly run costs one stat per file. The record lives beside the backups
(``.monitor_verified.json``, written atomically).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tsdb_ops.backup.layout import parse_backup_file
from tsdb_ops.backup.manifest import (
    Manifest,
    ManifestError,
    list_manifest_paths,
    read_manifest,
    write_atomically,
)
from tsdb_ops.findings import Finding

STATE_FILE = ".monitor_verified.json"


@dataclass(frozen=True)
class Inventory:
    manifests: list[Manifest]
    problems: list[Finding]     # unreadable manifests, missing files, hash mismatches, unreadable archives
    files_checked: int
    files_verified_now: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def list_tarball(path: Path) -> str:
    with tarfile.open(path, "r:gz") as archive:
        return f"tar -t: {len(archive.getnames())} entries"


def list_dump_toc(path: Path) -> str:
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise RuntimeError("pg_restore not found: install the PostgreSQL client in the Airflow image")
    result = subprocess.run([pg_restore, "-l", str(path)], capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}")
    return f"pg_restore -l: {sum(1 for line in result.stdout.splitlines() if line and not line.startswith(';'))} TOC entries"


READERS: dict[str, Callable[[Path], str]] = {"database": list_dump_toc, "models": list_tarball, "configs": list_tarball}


def _load_state(root: Path) -> dict[str, Any]:
    try:
        return json.loads((root / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}


def verify_backups(backup_root: str, *, verify_all: bool = False) -> Inventory:
    """Read every manifest; verify each artefact not verified before (or changed since)."""
    root = Path(backup_root)
    state = _load_state(root)
    new_state: dict[str, Any] = {}
    manifests: list[Manifest] = []
    problems: list[Finding] = []
    checked = verified_now = 0
    for manifest_file in list_manifest_paths(root):
        try:
            manifest = read_manifest(manifest_file)
        except ManifestError as error:
            problems.append(Finding(f"backup.manifest.unreadable.{manifest_file.stem}", "critical", str(error),
                                    {"path": str(manifest_file.relative_to(root))}))
            continue
        manifests.append(manifest)
        for artefact in manifest.artefacts:
            path = root / artefact.path
            checked += 1
            key = f"backup.integrity.{artefact.path}"
            try:
                stat = path.stat()
            except FileNotFoundError:
                problems.append(Finding(key, "critical", f"{artefact.path} is listed in {manifest_file.name} but missing",
                                        {"path": artefact.path}))
                continue
            signature = [stat.st_size, stat.st_mtime_ns, artefact.sha256]
            known = state.get(artefact.path)
            if not verify_all and known and known["signature"] == signature:
                new_state[artefact.path] = known
            else:
                verified_now += 1
                known = {"signature": signature, "problem": _verify(path, artefact.kind, artefact.sha256, artefact.size_bytes)}
                new_state[artefact.path] = known
            if known["problem"]:
                problems.append(Finding(key, "critical", f"Integrity check failed for {artefact.path}: {known['problem']}",
                                        {"path": artefact.path}))
    problems += orphan_artefacts(root, {m.set_id for m in manifests})
    if new_state != state:
        write_atomically(root / STATE_FILE, json.dumps(new_state, indent=1, sort_keys=True).encode())
    return Inventory(manifests, problems, checked, verified_now)


def orphan_artefacts(root: Path, set_ids: set[str], grace_seconds: float = 3600) -> list[Finding]:
    """Final artefacts of a set without a manifest (an incomplete set, or a lost manifest).

    A set being written right now has no manifest yet either: artefacts younger than ``grace_seconds`` are left
    for the next hourly run.
    """
    import time

    findings = []
    for directory in (root / "db", root / "models", root / "configs"):
        for path in sorted(directory.iterdir()) if directory.is_dir() else []:
            parsed = parse_backup_file(str(path.relative_to(root)))
            if parsed and parsed.set_id not in set_ids and time.time() - path.stat().st_mtime > grace_seconds:
                findings.append(Finding(f"backup.manifest.missing.{parsed.set_id}", "critical",
                                        f"{parsed.path} has no manifest: backup set {parsed.set_id} is incomplete or its "
                                        "manifest was lost", {"path": parsed.path, "set_id": parsed.set_id}))
    return _unique_keys(findings)


def _unique_keys(findings: list[Finding]) -> list[Finding]:
    return list({f.key: f for f in findings}.values())


def _verify(path: Path, kind: str, expected_sha256: str, expected_size: int) -> str | None:
    """None when the file is intact, else what is wrong."""
    if path.stat().st_size != expected_size:
        return f"size {path.stat().st_size} differs from the manifest's {expected_size}"
    actual = sha256_of(path)
    if actual != expected_sha256:
        return f"sha256 {actual[:12]}... differs from the manifest's {expected_sha256[:12]}..."
    try:
        READERS[kind](path)
    except (OSError, tarfile.TarError, EOFError, RuntimeError) as error:
        return f"unreadable ({error})"
    return None
