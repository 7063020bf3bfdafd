"""db_restore: full restore of a verified backup set into a chosen database, after a safety dump of it.

Guide: Recovery Procedures, "Full Database Restore". The guide runs ``pg_restore -c`` straight over the live
database (no copy of what it overwrites, no TimescaleDB restore procedure: with a TimescaleDB dump that fails
with hundreds of errors) and untars the models over whatever the volume holds. Here: the set's dump is checked
against its manifest, the target is dumped first (``db/safety_<db>_<run time>.backup``, verified with
``pg_restore -l``), TimescaleDB dumps are restored serially between ``timescaledb_pre_restore()`` and
``timescaledb_post_restore()``, and the restored tables are compared with the counts in the manifest.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Param
from airflow.sdk.exceptions import AirflowSkipException
from psycopg import sql

from tsdb_ops.backup.artefacts import sha256_of
from tsdb_ops.backup.database import DatabaseLogin, database_facts, database_login, table_stats, tables_to_count
from tsdb_ops.backup.manifest import HypertableStats, ManifestError, list_manifest_paths, manifest_path, read_manifest
from tsdb_ops.backup.restore_check import compare_with_manifest
from tsdb_ops.config import OpsConfig, load_config
from tsdb_ops.logfiles import BACKUP_LOG, append_log_line
from tsdb_ops.manual.params import ParamError, check_flag
from tsdb_ops.paths import read_sql
from tsdb_ops.recovery.catalog import DatabaseState, database_state
from tsdb_ops.recovery.params import check_database_name, check_set_id, text_param

log = logging.getLogger(__name__)

RESTORE_PARAMS = {
    "set_id": Param("", type="string", title="Backup set",
                    description="Backup set to restore: its id YYYYMMDD (manifests/backup_<set_id>.json). Empty: the "
                                "newest verified set (the dry run names it; pass it here to be sure)."),
    "target_database": Param("", type="string", title="Target database",
                             description="Database to restore into. Empty: the database of the postgres connection. "
                                         "A database that does not exist is created."),
    "confirm_database": Param("", type="string", title="Confirm: target database name",
                              description="Restoring over an existing database replaces every object of the dump in "
                                          "it: repeat the target database's name here to allow it."),
    "restore_models": Param(False, type="boolean", title="Restore the models volume",
                            description="Also extract the set's models archive into the models volume (files of "
                                        "the same name are overwritten)."),
    "clear_models_volume": Param(False, type="boolean", title="Clear the models volume first",
                                 description="Delete every file in the models volume before extracting (needs "
                                             "confirm_models_volume)."),
    "confirm_models_volume": Param("", type="string", title="Confirm: models volume name",
                                   description="Repeat the models volume's name to allow clearing it."),
    "dry_run": Param(True, type="boolean", title="Dry run",
                     description="Only validate and log what would be done. Set to false to restore."),
}


@dataclass(frozen=True)
class TargetFacts:
    name: str
    state: DatabaseState
    timescaledb_version: str | None       # of an existing target


@dataclass
class RestorePlan:
    steps: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)   # problems that stop even a dry run
    confirmations: list[str] = field(default_factory=list)  # param=value a confirmed run needs


def artefact_intact(backup_root: str, path: str, size_bytes: int, sha256: str) -> bool:
    file = Path(backup_root) / path
    return file.is_file() and file.stat().st_size == size_bytes and sha256_of(file) == sha256


def select_backup_set(backup_root: str, set_id: str | None, need_models: bool) -> dict[str, Any]:
    """The set ``set_id`` (None: the newest readable manifest with a dump) with its artefacts checked against the
    manifest (size and sha256); a damaged or missing set fails with what to do."""
    paths = [manifest_path(backup_root, set_id)] if set_id else list(reversed(list_manifest_paths(backup_root)))
    for path in paths:
        if not path.is_file():
            raise ParamError(f"param set_id={set_id!r}: no manifest {path}; the verified sets are "
                             f"{[p.stem.removeprefix('backup_') for p in list_manifest_paths(backup_root)]}")
        try:
            manifest = read_manifest(path)
        except ManifestError as exc:
            if set_id:
                raise ParamError(f"param set_id={set_id!r}: {exc}") from None
            continue
        dump = manifest.artefact("database")
        if dump is None:
            continue
        kinds = ["database", "models"] if need_models else ["database"]
        for kind in kinds:
            artefact = manifest.artefact(kind)
            if artefact is None:
                raise ParamError(f"backup set {manifest.set_id} has no {kind} artefact; choose another set_id or set "
                                 "restore_models=false")
            if not artefact_intact(backup_root, artefact.path, artefact.size_bytes, artefact.sha256):
                raise ParamError(f"backup set {manifest.set_id}: {artefact.path} is missing or differs from its manifest "
                                 "(size or sha256): the backup is damaged; choose another set_id")
        models = manifest.artefact("models")
        return {
            "set_id": manifest.set_id, "manifest": str(path), "dump_path": dump.path, "dump_bytes": dump.size_bytes,
            "database": manifest.database, "server_version": manifest.server_version,
            "timescaledb_version": manifest.timescaledb_version,
            "models_path": models.path if models else None, "hypertables": [asdict(h) for h in manifest.hypertables],
        }
    raise ParamError(f"No verified backup set (manifest with a database dump) under {backup_root}: run db_nightly_backup "
                     "first or give set_id")


def safety_dump_path(database: str, run_after: datetime, timezone: str) -> str:
    """``db/safety_<database>_<YYYYMMDDTHHMMSS>.backup`` (run time): never matched by retention's set names."""
    return f"db/safety_{database}_{pendulum.instance(run_after).in_timezone(timezone).strftime('%Y%m%dT%H%M%S')}.backup"


def plan_restore(backup: dict[str, Any], target: TargetFacts, *, backup_root: str, safety_dump: str,
                 scratch_database: str, restore_models: bool, clear_models_volume: bool, models_volume: str) -> RestorePlan:
    """What a confirmed run does, step by step, what stops it, and which confirmations it needs (pure)."""
    plan = RestorePlan()
    tsdb = backup["timescaledb_version"]
    name = target.name
    tables = ", ".join(f"{h['name']} {h['rows']} rows" for h in backup["hypertables"]) or "no table counts"
    plan.steps.append(f"Backup set {backup['set_id']}: {backup['dump_path']} ({backup['dump_bytes']} bytes, size and "
                      f"sha256 match the manifest), dumped from database {backup['database']} (PostgreSQL "
                      f"{backup['server_version']}, TimescaleDB {tsdb or 'not installed'}); {tables}")
    if name == scratch_database:
        plan.refusals.append(f"{name} is restore_scratch_database: the weekly db_restore_verification drops it. "
                             "Choose another target_database")
    if target.state.exists:
        sessions = target.state.other_sessions
        plan.steps.append(f"Target database {name} exists" + (
            f"; {sessions} other sessions are connected to it: stop the writers (the trading stack's services) "
            "before confirming" if sessions else "; no other session is connected to it"))
        plan.confirmations.append(f"confirm_database={name}")
        if tsdb and target.timescaledb_version != tsdb:
            plan.refusals.append(
                f"The set was dumped with TimescaleDB {tsdb}, target {name} has "
                f"{target.timescaledb_version or 'no TimescaleDB'}: a TimescaleDB restore needs the same extension "
                "version. Restore into a new database (target_database) or align the extension version first")
        plan.steps.append(f"Write a safety dump of {name} to {backup_root}/{safety_dump} (pg_dump custom format, "
                          "written under a .partial name, verified with pg_restore -l, then renamed)")
    else:
        if not target.state.can_create:
            plan.refusals.append(f"Target database {name} does not exist and the connection's role may not create "
                                 "databases: create it (empty) first or grant CREATEDB")
        plan.steps.append(f"Target database {name} does not exist: no safety dump; CREATE DATABASE {name}")
        if tsdb:
            plan.steps.append(f"CREATE EXTENSION timescaledb VERSION '{tsdb}' in {name}")
    if tsdb:
        plan.steps.append(f"SELECT timescaledb_pre_restore() in {name}")
    if target.state.exists:
        plan.steps.append(
            f"pg_restore --clean --if-exists into {name}, serially: drops and re-creates every object of the dump "
            "(objects that are not in the dump stay)" + ("" if tsdb else "; in a single transaction (all or nothing)"))
    else:
        plan.steps.append(f"pg_restore into {name}, serially" + ("" if tsdb else ", in a single transaction"))
    if tsdb:
        plan.steps.append(f"SELECT timescaledb_post_restore() in {name} (also when pg_restore fails)")
    plan.steps.append(f"Compare the row counts and time ranges of {name} with the manifest: {tables}")
    if clear_models_volume and not restore_models:
        plan.refusals.append("clear_models_volume=true needs restore_models=true (clearing is part of the models restore)")
    if restore_models:
        if clear_models_volume:
            plan.steps.append(f"Clear Docker volume {models_volume}: delete every file in it")
            plan.confirmations.append(f"confirm_models_volume={models_volume}")
        plan.steps.append(f"Extract {backup['models_path']} into Docker volume {models_volume} (busybox tar xzf; "
                          "files of the same name are overwritten)")
    else:
        plan.steps.append("Models volume: not restored (restore_models=false)")
    return plan


def missing_confirmations(plan: RestorePlan, confirm_database: str, confirm_models_volume: str) -> list[str]:
    """The confirmations the plan needs that the params do not give (pure)."""
    given = {"confirm_database": confirm_database, "confirm_models_volume": confirm_models_volume}
    missing = []
    for needed in plan.confirmations:
        param, _, value = needed.partition("=")
        if given[param] != value:
            missing.append(needed)
    return missing


def target_facts(login: DatabaseLogin, name: str) -> TargetFacts:
    with login.connect() as conn:
        state = database_state(conn, name)
    version = None
    if state.exists:
        with login.connect(name) as conn:
            version = database_facts(conn).timescaledb_version
    return TargetFacts(name, state, version)


def validate_restore_params(params: dict[str, Any], run_after: datetime) -> dict[str, Any]:
    """Every param checked (names as identifiers and in the catalog, the set against its manifest), the plan
    logged; raises ParamError on anything that stops the restore, also in a dry run."""
    config = load_config()
    login = database_login(config.postgres_conn_id)
    dry_run = check_flag(params.get("dry_run"), "dry_run")
    restore_models = check_flag(params.get("restore_models"), "restore_models")
    clear_models = check_flag(params.get("clear_models_volume"), "clear_models_volume")
    set_id = check_set_id(params.get("set_id"))
    target = check_database_name(text_param(params, "target_database") or login.dbname, "target_database")
    confirm_database, confirm_volume = text_param(params, "confirm_database"), text_param(params, "confirm_models_volume")
    if confirm_database and confirm_database != target:
        raise ParamError(f"param confirm_database={confirm_database!r} does not repeat the target database {target!r}")
    if confirm_volume and confirm_volume != config.models_volume:
        raise ParamError(f"param confirm_models_volume={confirm_volume!r} does not repeat the models volume "
                         f"{config.models_volume!r}")
    backup = select_backup_set(config.backup_root, set_id, restore_models)
    facts = target_facts(login, target)
    safety = safety_dump_path(target, run_after, config.timezone)
    plan = plan_restore(backup, facts, backup_root=config.backup_root, safety_dump=safety,
                        scratch_database=config.restore_scratch_database, restore_models=restore_models,
                        clear_models_volume=clear_models, models_volume=config.models_volume)
    for number, step in enumerate(plan.steps, 1):
        log.info("Plan %d: %s", number, step)
    if plan.refusals:
        raise ParamError("Restore refused: " + "; ".join(plan.refusals))
    missing = missing_confirmations(plan, confirm_database, confirm_volume)
    if dry_run:
        log.info("Dry run: nothing changed. To do exactly this, trigger again with dry_run=false, set_id=%s%s",
                 backup["set_id"], "".join(f", {m}" for m in missing))
    elif missing:
        raise ParamError(f"Refused: restoring over existing data needs {', '.join(missing)} (the dry run lists what it "
                         "replaces); nothing was changed")
    return {
        "dry_run": dry_run, "backup": backup, "target_database": target, "target_exists": facts.state.exists,
        "safety_dump": safety if facts.state.exists else None, "restore_models": restore_models,
        "clear_models_volume": clear_models, "plan": plan.steps,
    }


def skip_in_dry_run(validated: dict[str, Any], what: str) -> None:
    """Every acting task checks the run's dry_run itself: clearing one task of a dry run must not make it act."""
    if validated["dry_run"]:
        raise AirflowSkipException(f"dry run: {what}")


def _execute(login: DatabaseLogin, dbname: str, statement: sql.Composable) -> None:
    with login.connect(dbname, autocommit=True) as conn:
        conn.execute(statement)


def prepare_target_database(validated: dict[str, Any]) -> None:
    """Create the target when it did not exist (with TimescaleDB at the dump's version); TimescaleDB restore mode."""
    config = load_config()
    login = database_login(config.postgres_conn_id)
    target, version = validated["target_database"], validated["backup"]["timescaledb_version"]
    if not validated["target_exists"]:
        with login.connect(autocommit=True) as conn:
            if database_state(conn, target).exists:  # a retry after the create: the database is this run's
                log.info("Database %s exists already (created by an earlier try of this run)", target)
            else:
                conn.execute(sql.SQL(read_sql("recovery/create_target_database.sql")).format(database=sql.Identifier(target)))
        if version:
            create_extension = sql.SQL(read_sql("backup/create_timescaledb_extension.sql"))
            _execute(login, target, create_extension.format(version=sql.Literal(version)))
    if version:
        _execute(login, target, sql.SQL(read_sql("backup/timescaledb_pre_restore.sql")))
    log.info("Database %s is ready for pg_restore", target)


def end_timescaledb_restore(validated: dict[str, Any]) -> None:
    if validated["backup"]["timescaledb_version"]:
        config = load_config()
        _execute(database_login(config.postgres_conn_id), validated["target_database"],
                 sql.SQL(read_sql("backup/timescaledb_post_restore.sql")))
        log.info("timescaledb_post_restore() done in %s", validated["target_database"])


def compare_restored_tables(config: OpsConfig, validated: dict[str, Any]) -> dict[str, Any]:
    """Row counts and time ranges of the restored database against the manifest; fails on any difference."""
    login = database_login(config.postgres_conn_id)
    backup, target = validated["backup"], validated["target_database"]
    with login.connect(target) as conn:
        restored = table_stats(conn, tables_to_count(conn, config, bool(backup["timescaledb_version"])))
    findings = compare_with_manifest([HypertableStats(**h) for h in backup["hypertables"]], restored)
    if findings:
        summary = "; ".join(f.message for f in findings)
        append_log_line(config, BACKUP_LOG, f"ERROR: Restore of backup set {backup['set_id']} into {target} differs "
                                            f"from its manifest: {summary}")
        raise RuntimeError(f"Restore of backup set {backup['set_id']} into {target} differs from its manifest: {summary}. "
                           f"The safety dump is {validated['safety_dump'] or 'none (new database)'}")
    append_log_line(config, BACKUP_LOG, f"Restored backup set {backup['set_id']} into {target}: {len(restored)} tables "
                                        "match the manifest")
    return {"set_id": backup["set_id"], "target_database": target, "tables": [asdict(s) for s in restored]}
