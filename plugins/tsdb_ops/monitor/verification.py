"""Integrity of the backup files: size and sha256 against the manifest, then readability; re-read on a schedule.

A new or changed file (size, mtime or manifest hash differ from the record) is hashed and listed at once. Size +
mtime cannot see bytes changed with the mtime put back (``touch -r``, bit rot, a good copy restored by ``cp -p``),
so every file is also re-hashed at least once per ``monitor_rehash_days``, the cost spread over the hourly runs,
and a file in a bad state is re-hashed every run so a silent repair resolves its alert (:mod:`.rehash` decides
which files). A re-hash whose content equals the recorded one keeps the recorded verdict without listing the
dump again: the verdict is a function of the bytes. Different content is verified in full.

A monitor run does it in three steps, three tasks of db_backup_monitor: :func:`hash_backups` (sizes and sha256
against the manifests; it decides which dumps need listing), the listing (``pg_restore -l`` of those dumps, a
DockerOperator: tasks.containers.ListDumpsOperator), and :func:`judge_backups` (the findings, the record).
:func:`verify_backups` runs the three in one process with a lister function.

The record lives beside the backups (``.monitor_verified.json``, written atomically by the judgement only): per
file its signature, its verdict, the sha256 of the content it judged and when it was last read. It only ever holds
verdicts about the files themselves: when the dump reader cannot run (Docker down, image missing), the check fails
and nothing of that run is recorded.

Dumps are listed by ``pg_restore -l`` (LIST_DUMPS_SCRIPT) in a container of ``pg_client_image`` (network off, the
db/ directory mounted read-only), one container for all new dumps: the Airflow image has no PostgreSQL client, and
the image that wrote a dump is the one whose pg_restore surely reads it (an older local pg_restore would reject a
newer dump's header as "unsupported version" and raise a false corruption alert).

A physical base backup (a directory) is verified file by file against the manifest's list of its files: size and
sha256 of each, its tars listed to their end, its backup_manifest parsed.
"""

from __future__ import annotations

import json
import tarfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from tsdb_ops.backup.artefacts import PG_BACKUP_MANIFEST, read_pg_backup_manifest
from tsdb_ops.backup.layout import parse_backup_file
from tsdb_ops.backup.manifest import (
    KIND_DIRS,
    Artefact,
    Manifest,
    ManifestError,
    list_manifest_paths,
    read_manifest,
)
from tsdb_ops.config import OpsConfig
from tsdb_ops.files import sha256_of, write_atomically
from tsdb_ops.findings import Finding
from tsdb_ops.monitor.rehash import REHASH_MIN_BYTES_PER_RUN, FileFacts, plan_rehash

STATE_FILE = ".monitor_verified.json"
DUMP_MOUNT = "/backup/db"
# Artefacts without a manifest younger than this belong to a set being written right now.
ORPHAN_GRACE_SECONDS = 3600
DEFAULT_REHASH_DAYS = OpsConfig().monitor_rehash_days

# Lists the dumps (in DUMP_MOUNT) named as arguments: one "OK <name> <entries>" or "BAD <name> <last error line>"
# line each (sh -c LIST_DUMPS_SCRIPT list_dumps <name>...).
LIST_DUMPS_SCRIPT = (
    'for f in "$@"; do '
    f'if pg_restore --list "{DUMP_MOUNT}/$f" > /tmp/toc 2> /tmp/err; then echo "OK $f $(grep -vc \'^;\' /tmp/toc)"; '
    'else echo "BAD $f $(tail -n 1 /tmp/err)"; fi; done'
)

DumpLister = Callable[[Sequence[str]], dict[str, str | None]]


@dataclass(frozen=True)
class HashedBackups:
    """What :func:`hash_backups` found, handed to the listing and the judgement (as_dict/from_dict through XCom).
    Nothing of it is recorded before the judgement."""

    now: float                          # epoch seconds of the run's schedule clock
    read: dict[str, dict[str, Any]]     # files read this run: path -> {"signature", "problem", "sha256"}
    gone: list[str]                     # recorded files that no manifest lists any more, or that are missing
    to_list: list[str]                  # dumps read this run with a good size and hash: pg_restore -l decides
    problems: list[Finding]             # unreadable manifests, files listed but missing
    orphans: list[Finding]              # files no manifest references (orphan_artefacts)
    files_checked: int
    files_verified_now: int
    files_rehashed: int
    bytes_rehashed: int
    rehash_budget_bytes: int
    rehash_cycle_seconds: float

    @property
    def dump_names(self) -> list[str]:
        """The dumps to list, as names in db/ (DUMP_MOUNT)."""
        return [PurePosixPath(path).name for path in self.to_list]

    def as_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {**data, "problems": [f.as_dict() for f in self.problems], "orphans": [f.as_dict() for f in self.orphans]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HashedBackups:
        return cls(**{**data, "problems": [Finding.from_dict(f) for f in data["problems"]],
                      "orphans": [Finding.from_dict(f) for f in data["orphans"]]})


@dataclass(frozen=True)
class Inventory:
    problems: list[Finding]     # unreadable manifests, missing files, size/hash mismatches, unreadable archives
    files_checked: int
    files_verified_now: int     # verdict computed this run: new, size/mtime changed, or content found changed
    files_rehashed: int = 0     # trusted or bad files re-read this run to look for silent change
    bytes_rehashed: int = 0
    rehash_budget_bytes: int = 0    # the rolling re-hash's pace, bytes per run on average
    rehash_cycle_seconds: float = 0.0   # every trusted file is re-read within this (and one run)


def tarball_problem(path: Path) -> str | None:
    """None when the gzipped tarball lists to its end (``tar -tzf``), else what is wrong."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            if not archive.getmembers():
                return "unreadable (tar -t lists no entries)"
    except (OSError, tarfile.TarError, EOFError) as error:
        return f"unreadable (tar -t: {error})"
    return None


def pg_backup_manifest_problem(path: Path) -> str | None:
    """None when a base backup's backup_manifest reads as PostgreSQL's, else what is wrong."""
    try:
        read_pg_backup_manifest(path)
    except ValueError as error:
        return f"unreadable ({error})"
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


def _load_state(root: Path) -> dict[str, Any]:
    try:
        state = json.loads((root / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _file_problem(path: Path, artefact: Artefact, content: str | None = None) -> tuple[str | None, str | None]:
    """(problem, sha256 of the content judged): size, then sha256 against the manifest, then a tarball's listing.

    A dump's readability is listed in one batch afterwards. ``content`` is the hash when the caller has just read
    it; a file of the wrong size is not read (its hash is None).
    """
    size = path.stat().st_size
    if size != artefact.size_bytes:
        return f"size {size} differs from the manifest's {artefact.size_bytes}", None
    actual = content or sha256_of(path)
    if actual != artefact.sha256:
        return f"sha256 {actual[:12]}... differs from the manifest's {artefact.sha256[:12]}...", actual
    if path.name == PG_BACKUP_MANIFEST:  # of a physical base backup; its tars are tarballs
        return pg_backup_manifest_problem(path), actual
    if artefact.kind != "database":
        return tarball_problem(path), actual
    return None, actual


def _state_bytes(state: dict[str, Any]) -> bytes:
    """Compact JSON: the record is rewritten by most hourly runs now (read times change), and json's C encoder,
    which ``indent=`` leaves for the pure-Python one, writes 1,360 files' record in ~5 ms instead of ~25 ms."""
    return json.dumps(state, sort_keys=True, separators=(",", ":")).encode()


def _recorded_content(entry: dict[str, Any], artefact: Artefact) -> str | None:
    """The sha256 of the content the recorded verdict judged; a good record from before it was kept judged
    the manifest's hash (it matched), a bad one is unknown."""
    if "sha256" in entry:
        return entry["sha256"]
    return artefact.sha256 if entry.get("problem") is None else None


def _hashed_at(entry: dict[str, Any] | None) -> float | None:
    try:
        return datetime.fromisoformat(entry["hashed_at"]).timestamp() if entry else None
    except (KeyError, TypeError, ValueError):
        return None


def hash_backups(backup_root: str, *, verify_all: bool = False, now: float | None = None,
                 rehash_days: float = DEFAULT_REHASH_DAYS,
                 rehash_min_bytes: int = REHASH_MIN_BYTES_PER_RUN) -> HashedBackups:
    """Read every manifest; hash each artefact new or changed since the last run, and the ones the rolling schedule
    and the bad states call for (``now``: epoch seconds, the schedule's clock); choose the dumps to list."""
    root = Path(backup_root)
    now = time.time() if now is None else now
    state = _load_state(root)
    problems: list[Finding] = []
    manifests: list[Manifest] = []
    checked = 0
    present: dict[str, tuple[Artefact, list[Any], dict[str, Any] | None]] = {}
    facts: dict[str, FileFacts] = {}
    for manifest_file in list_manifest_paths(root):
        try:
            manifest = read_manifest(manifest_file)
        except ManifestError as error:
            problems.append(Finding(f"backup.manifest.unreadable.{manifest_file.stem}", "critical", str(error),
                                    {"path": str(manifest_file.relative_to(root))}))
            continue
        manifests.append(manifest)
        for artefact in manifest.file_entries():  # a base backup: each of its files
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
            known = known if isinstance(known, dict) else None
            changed = verify_all or known is None or known.get("signature") != signature
            present[artefact.path] = (artefact, signature, known)
            facts[artefact.path] = FileFacts(artefact.path, stat.st_size, changed, bool(known and known.get("problem")),
                                             _hashed_at(known))
    plan = plan_rehash(list(facts.values()), now, rehash_days, min_bytes=rehash_min_bytes)

    verdicts: dict[str, tuple[str | None, str | None]] = {}
    verified = list(plan.verify)
    for path in plan.verify:
        verdicts[path] = _file_problem(root / path, present[path][0])
    rehashed = rehashed_bytes = 0
    for path in plan.recheck + plan.rolling:
        artefact, signature, known = present[path]
        entry = known or {}  # recheck and rolling hold recorded files only
        if signature[0] != artefact.size_bytes:
            continue  # judged by its size alone, and its size is in the unchanged signature
        content = sha256_of(root / path)
        rehashed, rehashed_bytes = rehashed + 1, rehashed_bytes + signature[0]
        if content == _recorded_content(entry, artefact):
            verdicts[path] = (entry.get("problem"), content)
        else:
            verdicts[path] = _file_problem(root / path, artefact, content)
            verified.append(path)
    dumps = [path for path in verified if present[path][0].kind == "database" and verdicts[path][0] is None]
    read = {path: {"signature": present[path][1], "problem": problem, "sha256": content}
            for path, (problem, content) in verdicts.items()}
    return HashedBackups(now, read, sorted(set(state) - set(present)), dumps, problems,
                         orphan_artefacts(root, manifests, now), checked, len(verified), rehashed, rehashed_bytes,
                         plan.budget_bytes, plan.cycle_seconds)


def judge_backups(backup_root: str, hashed: HashedBackups, listed: dict[str, str | None]) -> Inventory:
    """The run's verdicts (``listed``: pg_restore -l's verdict per dump name of ``hashed.dump_names``) merged into the
    record, which is written; the findings: every recorded problem, with the hash step's problems and orphans."""
    root = Path(backup_root)
    missing = [name for name in hashed.dump_names if name not in listed]
    if missing:
        raise RuntimeError(f"pg_restore -l gave no verdict for {missing}; nothing of this run is recorded")
    stamp = datetime.fromtimestamp(hashed.now, UTC).isoformat()
    state = _load_state(root)
    new_state = {path: entry for path, entry in state.items() if path not in hashed.gone}
    for path, entry in hashed.read.items():
        problem = listed[PurePosixPath(path).name] if path in hashed.to_list else entry["problem"]
        new_state[path] = {**entry, "problem": problem, "hashed_at": stamp}
    problems = list(hashed.problems)
    for path, entry in sorted(new_state.items()):
        if entry["problem"]:
            problems.append(Finding(f"backup.integrity.{path}", "critical", f"Integrity check failed for {path}: "
                                    f"{entry['problem']}", {"path": path}))
    if new_state != state:
        write_atomically(root / STATE_FILE, _state_bytes(new_state))
    return Inventory(problems + hashed.orphans, hashed.files_checked, hashed.files_verified_now, hashed.files_rehashed,
                     hashed.bytes_rehashed, hashed.rehash_budget_bytes, hashed.rehash_cycle_seconds)


def verify_backups(backup_root: str, list_dumps: DumpLister, **hashing: Any) -> Inventory:
    """The three steps of a monitor run in one process (:func:`hash_backups` takes ``hashing``), ``list_dumps``
    listing the dumps (what the DAG's ListDumpsOperator does in its own task)."""
    hashed = hash_backups(backup_root, **hashing)
    return judge_backups(backup_root, hashed, list_dumps(hashed.dump_names) if hashed.to_list else {})


def orphan_artefacts(root: Path, manifests: list[Manifest], now: float) -> list[Finding]:
    """Final artefacts that no manifest references, one finding per set.

    A set without a manifest is incomplete or lost its manifest (critical). A file of a set that has a manifest
    but is not in it was left by a failed or foreign run (a second backup the same day, of another database):
    it is no backup anyone can rely on, and retention deletes it with its set (warning). A set being written
    right now has no manifest yet either: artefacts younger than ``ORPHAN_GRACE_SECONDS`` are left for a later run.
    """
    set_ids = {m.set_id for m in manifests}
    referenced = {a.path for m in manifests for a in m.artefacts}
    findings: dict[str, Finding] = {}
    for directory in (root / d for d in KIND_DIRS.values()):
        for path in sorted(directory.iterdir()) if directory.is_dir() else []:
            parsed = parse_backup_file(str(path.relative_to(root)))
            if not parsed or parsed.path in referenced or now - path.stat().st_mtime <= ORPHAN_GRACE_SECONDS:
                continue
            if parsed.set_id not in set_ids:
                key = f"backup.manifest.missing.{parsed.set_id}"
                findings.setdefault(key, Finding(key, "critical", f"{parsed.path} has no manifest: backup set "
                                                 f"{parsed.set_id} is incomplete or its manifest was lost",
                                                 {"path": parsed.path, "set_id": parsed.set_id}))
            else:
                key = f"backup.unreferenced.{parsed.path}"
                findings[key] = Finding(key, "warning", f"{parsed.path} is not in the manifest of backup set "
                                        f"{parsed.set_id}: a failed or foreign run left it; it is no verified backup, "
                                        "and retention deletes it with its set",
                                        {"path": parsed.path, "set_id": parsed.set_id})
    return list(findings.values())
