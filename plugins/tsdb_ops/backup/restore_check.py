"""The weekly test restore: newest verified dump into a scratch database, compared with its manifest.

Guide: Database Backup Verification ("Detailed verification (test restore)"). The guide restores into
``mt5_trading_test`` without TimescaleDB's restore procedure, compares with the live table (which has changed
since the dump) and never drops the copy. Here: TimescaleDB's documented procedure when the manifest says the
extension was there, exact comparison with the counts taken in the dump's own snapshot, and the scratch database
dropped whatever happened.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from tsdb_ops.backup.artefacts import sha256_of
from tsdb_ops.backup.database import DatabaseLogin, table_stats, tables_to_count
from tsdb_ops.backup.manifest import HypertableStats, ManifestError, list_manifest_paths, read_manifest, write_atomically
from tsdb_ops.config import OpsConfig
from tsdb_ops.findings import Finding
from tsdb_ops.logfiles import BACKUP_LOG, append_log_line
from tsdb_ops.paths import read_sql


def refuse_production_database(config: OpsConfig, login: DatabaseLogin) -> None:
    if config.restore_scratch_database == login.dbname:
        raise RuntimeError(
            f"restore_scratch_database is {login.dbname!r}, the production database of {config.postgres_conn_id}: "
            "the test restore would overwrite it. Set restore_scratch_database to a separate name"
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
        return {
            "set_id": manifest.set_id, "manifest": str(path), "dump_path": dump.path, "database": manifest.database,
            "timescaledb_version": manifest.timescaledb_version, "hypertables": [asdict(h) for h in manifest.hypertables],
        }
    raise RuntimeError(f"No verified backup set (manifest) under {backup_root}: run db_nightly_backup first")


def _execute(login: DatabaseLogin, dbname: str, step: str, **parts: sql.Composable) -> None:
    with login.connect(dbname, autocommit=True) as conn:
        conn.execute(sql.SQL(read_sql(f"backup/{step}.sql")).format(**parts))


def drop_scratch_database(config: OpsConfig, login: DatabaseLogin) -> None:
    refuse_production_database(config, login)
    _execute(login, login.dbname, "drop_scratch_database", database=sql.Identifier(config.restore_scratch_database))


def create_scratch_database(config: OpsConfig, login: DatabaseLogin, timescaledb_version: str | None) -> None:
    """A fresh scratch database; with TimescaleDB: the extension at the dump's version, in restore mode."""
    drop_scratch_database(config, login)
    _execute(login, login.dbname, "create_scratch_database", database=sql.Identifier(config.restore_scratch_database))
    if timescaledb_version:
        _execute(login, config.restore_scratch_database, "create_timescaledb_extension", version=sql.Literal(timescaledb_version))
        _execute(login, config.restore_scratch_database, "timescaledb_pre_restore")


def end_timescaledb_restore(config: OpsConfig, login: DatabaseLogin, timescaledb_version: str | None) -> None:
    if timescaledb_version:
        _execute(login, config.restore_scratch_database, "timescaledb_post_restore")


def compare_with_manifest(expected: list[HypertableStats], restored: list[HypertableStats]) -> list[Finding]:
    """One critical finding per table whose rows or time range differ, or that is missing on either side."""
    findings = []
    by_name = {s.name: s for s in restored}
    for want in expected:
        got = by_name.pop(want.name, None)
        if got is None:
            findings.append(Finding(f"restore_check.{want.name}.missing", "critical",
                                    f"{want.name} is missing from the restored database", {"expected": asdict(want)}))
        elif got != want:
            findings.append(Finding(
                f"restore_check.{want.name}.differs", "critical",
                f"{want.name} restored {got.rows} rows {got.min_time} .. {got.max_time}, "
                f"the manifest says {want.rows} rows {want.min_time} .. {want.max_time}",
                {"expected": asdict(want), "restored": asdict(got)},
            ))
    for extra in by_name.values():
        findings.append(Finding(f"restore_check.{extra.name}.unexpected", "critical",
                                f"{extra.name} is in the restored database but not in the manifest", {"restored": asdict(extra)}))
    return findings


def verify_restored_database(config: OpsConfig, login: DatabaseLogin, backup: dict[str, Any]) -> dict[str, Any]:
    """Count the scratch database, compare with the manifest, write the report and the log line; fail on mismatch."""
    with login.connect(config.restore_scratch_database) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        restored = table_stats(conn, tables_to_count(conn, config, bool(backup["timescaledb_version"])))
    expected = [HypertableStats(**h) for h in backup["hypertables"]]
    findings = compare_with_manifest(expected, restored)
    report = {
        "set_id": backup["set_id"], "manifest": backup["manifest"], "dump": backup["dump_path"],
        "scratch_database": config.restore_scratch_database, "ok": not findings,
        "tables": [asdict(s) for s in restored], "findings": [f.as_dict() for f in findings],
    }
    report_path = Path(config.report_dir) / f"restore_check_{backup['set_id']}.json"
    write_atomically(report_path, json.dumps(report, indent=2).encode())
    if findings:
        summary = "; ".join(f.message for f in findings)
        append_log_line(config, BACKUP_LOG, f"ERROR: Restore verification of backup set {backup['set_id']} failed: {summary}")
        raise RuntimeError(f"Test restore of backup set {backup['set_id']} differs from its manifest: {summary} ({report_path})")
    append_log_line(
        config, BACKUP_LOG,
        f"Restore verification of backup set {backup['set_id']} passed: {len(restored)} tables match the manifest",
    )
    return {**report, "report": str(report_path)}
