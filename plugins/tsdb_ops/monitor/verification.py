"""Integrity of the backup files, each verified once: size and sha256 against the manifest, then readability.

A multi-GB file is hashed and listed only when it is new or changed; afterwards its size, mtime and recorded
verdict are trusted, so an hourly run costs one stat per file. The record lives beside the backups
(``.monitor_verified.json``, written atomically) and only ever holds verdicts about the files themselves: when
the dump reader cannot run (Docker down, image missing), the check fails and the files stay unverified.

Dumps are listed by ``pg_restore -l`` in a container of ``pg_client_image`` (network off, the db/ directory
mounted read-only), one container for all new dumps: the Airflow image has no PostgreSQL client, and the image
that wrote a dump is the one whose pg_restore surely reads it (an older local pg_restore would reject a newer
dump's header as "unsupported version" and raise a false corruption alert).
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tsdb_ops.backup.layout import host_path, parse_backup_file
from tsdb_ops.backup.manifest import (
    KIND_DIRS,
    Artefact,
    Manifest,
    ManifestError,
    list_manifest_paths,
    read_manifest,
    write_atomically,
)
from tsdb_ops.config import OpsConfig
from tsdb_ops.findings import Finding

STATE_FILE = ".monitor_verified.json"
DUMP_MOUNT = "/backup/db"
# Artefacts without a manifest younger than this belong to a set being written right now.
ORPHAN_GRACE_SECONDS = 3600

# Lists the dumps named as arguments: one "OK <name> <entries>" or "BAD <name> <last error line>" line each.
_LIST_DUMPS = (
    'for f in "$@"; do '
    'if pg_restore --list "/backup/db/$f" > /tmp/toc 2> /tmp/err; then echo "OK $f $(grep -vc \'^;\' /tmp/toc)"; '
    'else echo "BAD $f $(tail -n 1 /tmp/err)"; fi; done'
)

DumpLister = Callable[[Sequence[str]], dict[str, str | None]]


@dataclass(frozen=True)
class Inventory:
    manifests: list[Manifest]
    problems: list[Finding]     # unreadable manifests, missing files, size/hash mismatches, unreadable archives
    files_checked: int
    files_verified_now: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def tarball_problem(path: Path) -> str | None:
    """None when the gzipped tarball lists to its end (``tar -tzf``), else what is wrong."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            if not archive.getmembers():
                return "unreadable (tar -t lists no entries)"
    except (OSError, tarfile.TarError, EOFError) as error:
        return f"unreadable (tar -t: {error})"
    return None


def parse_dump_listing(lines: Sequence[str], names: Sequence[str]) -> dict[str, str | None]:
    """Verdict per dump from the container's output; a dump the output does not mention is an error of the run."""
    verdicts: dict[str, str | None] = {}
    for line in lines:
        status, _, rest = line.partition(" ")
        name, _, detail = rest.partition(" ")
        if status == "OK" and name in names:
            verdicts[name] = None if detail.strip() not in ("", "0") else "unreadable (pg_restore -l lists no entries)"
        elif status == "BAD" and name in names:
            verdicts[name] = f"unreadable (pg_restore -l: {detail.strip() or 'failed'})"
    missing = [n for n in names if n not in verdicts]
    if missing:
        raise RuntimeError(f"pg_restore -l gave no verdict for {missing}; output: {' | '.join(lines[-3:])}")
    return verdicts


def container_dump_lister(config: OpsConfig) -> DumpLister:
    """Lists dump names (files in db/) by ``pg_restore -l`` in one container of ``pg_client_image``."""

    def list_dumps(names: Sequence[str]) -> dict[str, str | None]:
        import docker
        from docker.types import Mount

        source = host_path(config.backup_root, config.backup_host_root, KIND_DIRS["database"])
        try:
            client = docker.DockerClient(base_url=config.docker_url, version="auto")
        except docker.errors.DockerException as error:
            raise RuntimeError(f"cannot reach the Docker engine at {config.docker_url} to run pg_restore -l ({error}); "
                               "fix docker_url") from None
        container = None
        try:
            container = client.containers.create(
                config.pg_client_image, ["sh", "-c", _LIST_DUMPS, "list_dumps", *names], network_mode="none",
                mounts=[Mount(target=DUMP_MOUNT, source=source, type="bind", read_only=True)],
                labels={"tsdb_ops.task": "db_backup_monitor.check_integrity"},
            )
            container.start()
            exit_code = container.wait(timeout=600).get("StatusCode")
            lines = container.logs(stdout=True, stderr=False).decode(errors="replace").splitlines()
            if exit_code:
                tail = container.logs(stdout=False, stderr=True).decode(errors="replace").strip().splitlines()[-1:]
                raise RuntimeError(f"pg_restore -l in image {config.pg_client_image} exited {exit_code}: {tail}")
            return parse_dump_listing(lines, names)
        except docker.errors.ImageNotFound:
            raise RuntimeError(f"image {config.pg_client_image!r} is not on the Docker engine; pull it or fix "
                               "pg_client_image") from None
        finally:
            if container is not None:
                container.remove(force=True)
            client.close()

    return list_dumps


def _load_state(root: Path) -> dict[str, Any]:
    try:
        state = json.loads((root / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _file_problem(path: Path, artefact: Artefact) -> str | None:
    """Size, then sha256 against the manifest (the dump's readability is listed in one batch afterwards)."""
    size = path.stat().st_size
    if size != artefact.size_bytes:
        return f"size {size} differs from the manifest's {artefact.size_bytes}"
    actual = sha256_of(path)
    if actual != artefact.sha256:
        return f"sha256 {actual[:12]}... differs from the manifest's {artefact.sha256[:12]}..."
    if artefact.kind != "database":
        return tarball_problem(path)
    return None


def verify_backups(backup_root: str, list_dumps: DumpLister, *, verify_all: bool = False,
                   now: float | None = None) -> Inventory:
    """Read every manifest; verify each artefact not verified before (or changed since); record the verdicts."""
    root = Path(backup_root)
    state = _load_state(root)
    new_state: dict[str, Any] = {}
    manifests: list[Manifest] = []
    problems: list[Finding] = []
    checked = 0
    to_verify: list[tuple[str, Artefact, list[Any]]] = []
    for manifest_file in list_manifest_paths(root):
        try:
            manifest = read_manifest(manifest_file)
        except ManifestError as error:
            problems.append(Finding(f"backup.manifest.unreadable.{manifest_file.stem}", "critical", str(error),
                                    {"path": str(manifest_file.relative_to(root))}))
            continue
        manifests.append(manifest)
        for artefact in manifest.artefacts:
            checked += 1
            try:
                stat = (root / artefact.path).stat()
            except FileNotFoundError:
                problems.append(Finding(f"backup.integrity.{artefact.path}", "critical",
                                        f"{artefact.path} is listed in {manifest_file.name} but missing",
                                        {"path": artefact.path}))
                continue
            signature = [stat.st_size, stat.st_mtime_ns, artefact.sha256]
            known = state.get(artefact.path)
            if not verify_all and isinstance(known, dict) and known.get("signature") == signature:
                new_state[artefact.path] = known
            else:
                to_verify.append((artefact.path, artefact, signature))
    verdicts = {path: _file_problem(root / path, artefact) for path, artefact, _ in to_verify}
    dumps = [path for path, artefact, _ in to_verify if artefact.kind == "database" and verdicts[path] is None]
    if dumps:
        listed = list_dumps([PurePosixPath(path).name for path in dumps])
        verdicts.update({path: listed[PurePosixPath(path).name] for path in dumps})
    for path, _, signature in to_verify:
        new_state[path] = {"signature": signature, "problem": verdicts[path]}
    for path, entry in sorted(new_state.items()):
        if entry["problem"]:
            problems.append(Finding(f"backup.integrity.{path}", "critical", f"Integrity check failed for {path}: "
                                    f"{entry['problem']}", {"path": path}))
    problems += orphan_artefacts(root, {m.set_id for m in manifests}, time.time() if now is None else now)
    if new_state != state:
        write_atomically(root / STATE_FILE, json.dumps(new_state, indent=1, sort_keys=True).encode())
    return Inventory(manifests, problems, checked, len(to_verify))


def orphan_artefacts(root: Path, set_ids: set[str], now: float) -> list[Finding]:
    """Final artefacts of a set without a manifest (an incomplete set, or a lost manifest): one finding per set.

    A set being written right now has no manifest yet either: artefacts younger than ``ORPHAN_GRACE_SECONDS``
    are left for a later run.
    """
    findings: dict[str, Finding] = {}
    for directory in (root / d for d in KIND_DIRS.values()):
        for path in sorted(directory.iterdir()) if directory.is_dir() else []:
            parsed = parse_backup_file(str(path.relative_to(root)))
            if parsed and parsed.set_id not in set_ids and now - path.stat().st_mtime > ORPHAN_GRACE_SECONDS:
                key = f"backup.manifest.missing.{parsed.set_id}"
                findings.setdefault(key, Finding(key, "critical", f"{parsed.path} has no manifest: backup set "
                                                 f"{parsed.set_id} is incomplete or its manifest was lost",
                                                 {"path": parsed.path, "set_id": parsed.set_id}))
    return list(findings.values())
