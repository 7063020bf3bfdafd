"""The weekly test restore: newest verified dump into a scratch database, compared with its manifest.

Guide: Database Backup Verification ("Detailed verification (test restore)"). The guide restores into
``mt5_trading_test`` without TimescaleDB's restore procedure, compares with the live table (which has changed
since the dump) and never drops the copy. Here: TimescaleDB's procedure (restore_steps, shared with db_restore)
when the manifest says the extension was there, with every restored job unscheduled before the scheduler starts;
exact comparison with the counts and jobs taken in the dump's own snapshot; the scratch database dropped whatever
happened, its jobs never run.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tsdb_ops.backup import restore_steps
from tsdb_ops.backup.artefacts import sha256_of
from tsdb_ops.backup.manifest import ManifestError, list_manifest_paths, read_manifest
from tsdb_ops.config import OpsConfig
from tsdb_ops.files import write_atomically
from tsdb_ops.logfiles import BACKUP_LOG, append_log_line


def refuse_production_database(config: OpsConfig, production_database: str) -> None:
    """Fail when restore_scratch_database names the connection's own database (``production_database``)."""
    if config.restore_scratch_database == production_database:
        raise RuntimeError(
            f"restore_scratch_database is {production_database!r}, the production database of "
            f"{config.postgres_conn_id}: the test restore would overwrite it. Set restore_scratch_database to a "
            "separate name"
        )


def newest_verified_backup(backup_root: str) -> dict[str, Any]:
    """The newest set whose manifest reads and whose dump still has the recorded size and sha256."""
    for path in reversed(list_manifest_paths(backup_root)):
        try:
            manifest = read_manifest(path)
        except ManifestError:
            continue  # the monitor reports unreadable manifests; the newest readable one is the candidate
        dump = manifest.artefact("database")
        if dump is None:
            continue
        file = Path(backup_root) / dump.path
        if not file.is_file() or file.stat().st_size != dump.size_bytes or sha256_of(file) != dump.sha256:
            raise RuntimeError(
                f"The dump of the newest verified backup set {manifest.set_id} ({file}) is missing or differs from its "
                "manifest (size or sha256): the backup is damaged; investigate before relying on it"
            )
        return restore_steps.restore_facts(manifest, path)
    raise RuntimeError(f"No verified backup set (manifest) under {backup_root}: run db_nightly_backup first")


def plan_test_restore(config: OpsConfig, production_database: str) -> dict[str, Any]:
    """The newest verified set (restore_steps.restore_facts) with the plan of its restore into a fresh scratch
    database (restore_steps.plan_preparation); refused when the scratch database is the production database, so
    no step that drops or creates it ever names that one."""
    refuse_production_database(config, production_database)
    backup = newest_verified_backup(config.backup_root)
    return {**backup, **restore_steps.plan_preparation(config.restore_scratch_database, backup["timescaledb_version"],
                                                       create=True)}


def verify_restored_database(config: OpsConfig, backup: dict[str, Any],
                             dumped: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Compare the scratch database with the manifest (tables and jobs), write the report and the log line; fail on
    any finding. ``dumped``: the jobs' scheduled flags as restored, from restore_steps.end_restore_mode."""
    state, findings = restore_steps.verify_restored_database(config.postgres_conn_id, config.restore_scratch_database,
                                                             config, backup, dumped)
    report = {
        "set_id": backup["set_id"], "manifest": backup["manifest"], "dump": backup["dump_path"],
        "scratch_database": config.restore_scratch_database, "ok": not findings,
        "tables": [asdict(s) for s in state.tables], "jobs": [asdict(j) for j in state.jobs],
        "jobs_recorded": backup["jobs"] is not None, "findings": [f.as_dict() for f in findings],
    }
    report_path = Path(config.report_dir) / f"restore_check_{backup['set_id']}.json"
    write_atomically(report_path, json.dumps(report, indent=2).encode())
    if findings:
        summary = "; ".join(f.message for f in findings)
        append_log_line(config, BACKUP_LOG, f"ERROR: Restore verification of backup set {backup['set_id']} failed: {summary}")
        raise RuntimeError(f"Test restore of backup set {backup['set_id']} differs from its manifest: {summary} ({report_path})")
    jobs = f"; its {len(state.jobs)} jobs were kept unscheduled and never ran" if state.jobs else ""
    append_log_line(
        config, BACKUP_LOG,
        f"Restore verification of backup set {backup['set_id']} passed: {len(state.tables)} tables match the manifest{jobs}",
    )
    return {**report, "report": str(report_path)}
