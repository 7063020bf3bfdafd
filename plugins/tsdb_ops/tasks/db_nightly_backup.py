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
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset

from tsdb_ops.alerts.task_failure import notify_task_failure
from tsdb_ops.config import OpsConfig, load_config

if TYPE_CHECKING:
    from tsdb_ops.backup.manifest import Manifest

log = logging.getLogger(__name__)

# Updated when a backup set is complete and verified (its manifest written); extra: set_id, manifest path.
VERIFIED_BACKUP = Asset(name="tsdb_ops_verified_backup", uri="tsdb-ops://backup/verified-set")


def run_set_id(context: dict[str, Any], config: OpsConfig) -> str:
    from tsdb_ops.backup.layout import set_id_for

    return set_id_for(context["dag_run"].run_after, config.timezone)


def free_space_problem(path: str, free_bytes: int, min_free_bytes: int) -> str | None:
    """The pre-flight verdict: None when the backup volume has room, else the message of the failure."""
    if free_bytes >= min_free_bytes:
        return None
    return (
        f"Backup volume of {path} has {free_bytes:,} bytes free, below backup_min_free_bytes={min_free_bytes:,}: "
        "free space there (or lower backup_min_free_bytes) before the next backup; nothing was written"
    )


def dump_room_warning(path: str, free_bytes: int, database_bytes: int, bytes_per_database_byte: float | None) -> str | None:
    """None when the backup volume holds tonight's expected dump, else the warning: the database size at the newest
    dump's size per database byte (without an earlier dump: the database size). A warning, not a failure: it is
    an estimate, and a dump that does not fit fails by itself and leaves no partial file."""
    factor = 1.0 if bytes_per_database_byte is None else bytes_per_database_byte
    expected = round(database_bytes * factor)
    if free_bytes >= expected:
        return None
    basis = ("the database size: no earlier dump to go by" if bytes_per_database_byte is None else
             f"{database_bytes:,} database bytes at {factor:.3f} dump bytes each, as the newest dump")
    return (f"WARNING: Backup volume of {path} has {free_bytes:,} bytes free, less than tonight's dump is expected to "
            f"take ({expected:,} bytes: {basis}); free space there before the dump runs out of it")


def newest_dump_ratio(backup_root: str) -> float | None:
    """Dump bytes per database byte of the newest readable manifest that records both; None when there is none."""
    from tsdb_ops.backup import manifest as manifests

    for path in reversed(manifests.list_manifest_paths(backup_root)):
        try:
            dump = manifests.read_manifest(path).artefact("database")
        except manifests.ManifestError:
            continue
        if dump is not None and dump.source_bytes:
            return dump.size_bytes / dump.source_bytes
    return None


def _check_free_disk_space(config: OpsConfig) -> int:
    """Fail before writing anything when the backup volume is short of space; then create the backup dirs."""
    from tsdb_ops.backup.layout import ensure_dirs

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
    from tsdb_ops.backup.artefacts import archive_config_files
    from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

    append_log_line(config, BACKUP_LOG, "Backing up configurations...")
    artefact = archive_config_files(config.backup_root, config.config_project_dir, config.config_files, set_id)
    append_log_line(config, BACKUP_LOG, f"Config backup written: {artefact.path} ({artefact.size_bytes} bytes)")
    return artefact.__dict__


def build_manifest(
    context: dict[str, Any], set_id: str, dump: dict[str, Any], models: dict[str, Any], configs: dict[str, Any],
    base_backup: dict[str, Any] | None,
) -> Manifest:
    """The set's manifest; ``base_backup``: the physical base backup's entry, None when it was skipped."""
    import pendulum

    from tsdb_ops.backup.manifest import Artefact, HypertableStats, JobRecord, Manifest

    dag_run = context["dag_run"]
    base = [] if base_backup is None else [Artefact.from_dict(base_backup)]
    started = getattr(dag_run, "start_date", None) or pendulum.now("UTC")
    return Manifest(
        set_id=set_id, run_id=dag_run.run_id, run_after=pendulum.instance(dag_run.run_after).isoformat(),
        started_at=pendulum.instance(started).isoformat(), finished_at=pendulum.now("UTC").isoformat(),
        database=dump["database"], server_version=dump["server_version"], timescaledb_version=dump["timescaledb_version"],
        artefacts=[Artefact(**dump["artefact"]), Artefact(**models), Artefact(**configs), *base],
        hypertables=[HypertableStats(**h) for h in dump["hypertables"]], jobs=[JobRecord(**j) for j in dump["jobs"]],
    )


def write_manifest(dump: dict[str, Any], models: dict[str, Any], configs: dict[str, Any],
                   base_backup: dict[str, Any] | None, **context: Any) -> str:
    """Write the manifest (last: it declares the set complete and verified) and update the VERIFIED_BACKUP asset."""
    from tsdb_ops.backup import manifest as manifests

    config = load_config()
    set_id = run_set_id(context, config)
    path = manifests.write_manifest(config.backup_root, build_manifest(context, set_id, dump, models, configs,
                                                                       base_backup))
    context["outlet_events"][VERIFIED_BACKUP].extra = {"set_id": set_id, "manifest": str(path)}
    return str(path)


def _clean_up_old_backups(config: OpsConfig, set_id: str) -> dict[str, Any]:
    from tsdb_ops.backup.retention import apply_retention, list_backup_sets, plan_retention
    from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

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
    from tsdb_ops.alerts.redaction import redact
    from tsdb_ops.backup.artefacts import remove_partial_files
    from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

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


def check_room_for_the_dump(free_bytes: int, database_facts: list[dict[str, Any]]) -> str | None:
    """The free bytes the pre-flight found against the database size (the rows of the read_database_facts SQL step,
    backup/database_facts.sql): a WARNING in backup.log when tonight's dump is expected not to fit."""
    from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

    config = load_config()
    warning = dump_room_warning(config.backup_root, free_bytes, int(database_facts[0]["database_bytes"]),
                                newest_dump_ratio(config.backup_root))
    if warning:
        log.warning("%s", warning)
        append_log_line(config, BACKUP_LOG, warning)
    return warning


def back_up_configs(dag_run: Any = None) -> dict[str, Any]:
    from tsdb_ops.backup.layout import set_id_for

    config = load_config()
    return _back_up_configs(config, set_id_for(dag_run.run_after, config.timezone))


def clean_up_old_backups(dag_run: Any = None) -> dict[str, Any]:
    from tsdb_ops.backup.layout import set_id_for

    config = load_config()
    return _clean_up_old_backups(config, set_id_for(dag_run.run_after, config.timezone))
