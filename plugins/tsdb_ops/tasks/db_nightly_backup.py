"""db_nightly_backup's Python steps: pre-flight, configs, manifest, retention, and the failure log line; the dump
and the models archive are container steps (tasks.containers).

Guide: Automated Backup Script. Log lines go to ``backup.log`` in the guide's format; a failed task writes
``ERROR: ...`` there (the backup monitor counts these) and removes the partial files of its run.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Asset

from tsdb_ops.alerts.redaction import redact
from tsdb_ops.alerts.task_failure import notify_task_failure
from tsdb_ops.backup import manifest as manifests
from tsdb_ops.backup.artefacts import archive_config_files, remove_partial_files
from tsdb_ops.backup.layout import ensure_dirs, set_id_for
from tsdb_ops.backup.manifest import Artefact, HypertableStats, JobRecord, Manifest
from tsdb_ops.backup.retention import apply_retention, list_backup_sets, plan_retention
from tsdb_ops.config import OpsConfig, load_config
from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

log = logging.getLogger(__name__)

# Updated when a backup set is complete and verified (its manifest written); extra: set_id, manifest path.
VERIFIED_BACKUP = Asset(name="tsdb_ops_verified_backup", uri="tsdb-ops://backup/verified-set")


def run_set_id(context: dict[str, Any], config: OpsConfig) -> str:
    return set_id_for(context["dag_run"].run_after, config.timezone)


def free_space_problem(path: str, free_bytes: int, min_free_bytes: int) -> str | None:
    """The pre-flight verdict: None when the backup volume has room, else the message of the failure."""
    if free_bytes >= min_free_bytes:
        return None
    return (
        f"Backup volume of {path} has {free_bytes:,} bytes free, below backup_min_free_bytes={min_free_bytes:,}: "
        "free space there (or lower backup_min_free_bytes) before the next backup; nothing was written"
    )


def _check_free_disk_space(config: OpsConfig) -> int:
    """Fail before writing anything when the backup volume is short of space; then create the backup dirs."""
    existing = Path(config.backup_root)
    while not existing.exists():
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    problem = free_space_problem(config.backup_root, free, config.backup_min_free_bytes)
    if problem:
        raise RuntimeError(problem)
    ensure_dirs(config.backup_root)
    return free


def _back_up_configs(config: OpsConfig, set_id: str) -> dict[str, Any]:
    append_log_line(config, BACKUP_LOG, "Backing up configurations...")
    artefact = archive_config_files(config.backup_root, config.config_project_dir, config.config_files, set_id)
    append_log_line(config, BACKUP_LOG, f"Config backup written: {artefact.path} ({artefact.size_bytes} bytes)")
    return artefact.__dict__


def build_manifest(
    context: dict[str, Any], set_id: str, dump: dict[str, Any], models: dict[str, Any], configs: dict[str, Any]
) -> Manifest:
    dag_run = context["dag_run"]
    started = getattr(dag_run, "start_date", None) or pendulum.now("UTC")
    return Manifest(
        set_id=set_id, run_id=dag_run.run_id, run_after=pendulum.instance(dag_run.run_after).isoformat(),
        started_at=pendulum.instance(started).isoformat(), finished_at=pendulum.now("UTC").isoformat(),
        database=dump["database"], server_version=dump["server_version"], timescaledb_version=dump["timescaledb_version"],
        artefacts=[Artefact(**dump["artefact"]), Artefact(**models), Artefact(**configs)],
        hypertables=[HypertableStats(**h) for h in dump["hypertables"]], jobs=[JobRecord(**j) for j in dump["jobs"]],
    )


def write_manifest(dump: dict[str, Any], models: dict[str, Any], configs: dict[str, Any], **context: Any) -> str:
    """Write the manifest (last: it declares the set complete and verified) and update the VERIFIED_BACKUP asset."""
    config = load_config()
    set_id = run_set_id(context, config)
    path = manifests.write_manifest(config.backup_root, build_manifest(context, set_id, dump, models, configs))
    context["outlet_events"][VERIFIED_BACKUP].extra = {"set_id": set_id, "manifest": str(path)}
    return str(path)


def _clean_up_old_backups(config: OpsConfig, set_id: str) -> dict[str, Any]:
    append_log_line(config, BACKUP_LOG, "Cleaning up old backups...")
    sets, temporary = list_backup_sets(config.backup_root)
    plan = plan_retention(
        sets, temporary, today=datetime.strptime(set_id, "%Y%m%d").date(),
        retention_days=config.backup_retention_days, min_verified_sets=config.backup_min_verified_sets,
    )
    deleted = apply_retention(config.backup_root, plan)
    if deleted or plan.kept_old_sets:
        append_log_line(
            config, BACKUP_LOG,
            f"Deleted {len(deleted)} files (sets {plan.deleted_sets or 'none'}); old verified sets kept to keep "
            f"{config.backup_min_verified_sets}: {plan.kept_old_sets or 'none'}",
        )
    append_log_line(config, BACKUP_LOG, "Backup completed successfully")
    return {"deleted": deleted, "deleted_sets": plan.deleted_sets, "kept_old_sets": plan.kept_old_sets}


def log_backup_failure(context: dict[str, Any]) -> None:
    """Failure callback: ``ERROR: ...`` in backup.log and removal of the run's partial files. Never raises."""
    try:
        try:
            config = load_config()
        except Exception:  # a broken config must not hide the failure: write where the defaults say
            config = OpsConfig()
        ti = context["ti"]
        error = redact(" ".join(str(context.get("exception") or "unknown error").split()))[:500]
        removed = remove_partial_files(config.backup_root, run_set_id(context, config))
        append_log_line(config, BACKUP_LOG, f"ERROR: Backup task {ti.task_id} failed: {error}")
        if removed:
            log.info("Removed partial files of the failed run: %s", removed)
    except Exception as exc:
        log.error("Could not record the backup failure in %s: %s", BACKUP_LOG, redact(str(exc)))


# Every backup task: the project's failure alert, then the ERROR line in backup.log.
BACKUP_FAILURE_CALLBACKS = [notify_task_failure, log_backup_failure]


def check_free_disk_space() -> int:
    return _check_free_disk_space(load_config())


def back_up_configs(dag_run: Any = None) -> dict[str, Any]:
    config = load_config()
    return _back_up_configs(config, set_id_for(dag_run.run_after, config.timezone))


def clean_up_old_backups(dag_run: Any = None) -> dict[str, Any]:
    config = load_config()
    return _clean_up_old_backups(config, set_id_for(dag_run.run_after, config.timezone))
