"""db_restore: full restore of a verified backup set into a chosen database, after a safety dump of it.

Guide: Recovery Procedures, "Full Database Restore". The guide runs ``pg_restore -c`` straight over the live
database (no copy of what it overwrites, no TimescaleDB restore procedure: with a TimescaleDB dump that fails
with hundreds of errors) and untars the models over whatever the volume holds. Here: the set's dump is checked
against its manifest, the target is dumped first (``db/safety_<db>_<run time>.backup``, verified with
``pg_restore -l``), TimescaleDB dumps are restored with TimescaleDB's procedure (restore_steps, shared with the
weekly test restore: the restored jobs stay unscheduled until the restored tables and jobs match the manifest),
and then each job is put back on its schedule as recorded at backup time (restored_jobs: never all due at once).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pendulum

from tsdb_ops.backup import restore_steps
from tsdb_ops.backup.artefacts import sha256_of
from tsdb_ops.backup.catalog import DatabaseState, database_state
from tsdb_ops.backup.database import database_facts
from tsdb_ops.backup.manifest import ManifestError, list_manifest_paths, manifest_path, read_manifest
from tsdb_ops.backup.restored_jobs import RESTART_GRACE, START_SPACING
from tsdb_ops.config import OpsConfig, load_config
from tsdb_ops.db import database_login, db_session
from tsdb_ops.logfiles import BACKUP_LOG, append_log_line
from tsdb_ops.params import ParamError, check_database_name, check_flag, check_set_id, text_param

log = logging.getLogger(__name__)

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
        return restore_steps.restore_facts(manifest, path)
    raise ParamError(f"No verified backup set (manifest with a database dump) under {backup_root}: run db_nightly_backup "
                     "first or give set_id")


def safety_dump_path(database: str, run_after: datetime, timezone: str) -> str:
    """``db/safety_<database>_<YYYYMMDDTHHMMSS>.backup`` (run time): never matched by retention's set names."""
    return f"db/safety_{database}_{pendulum.instance(run_after).in_timezone(timezone).strftime('%Y%m%dT%H%M%S')}.backup"


def plan_restore(backup: dict[str, Any], target: TargetFacts, *, backup_root: str, safety_dump: str,
                 scratch_database: str, restore_models: bool, clear_models_volume: bool, models_volume: str,
                 stack_lines: list[str] | None = None) -> RestorePlan:
    """What a confirmed run does, step by step, what stops it, and which confirmations it needs (pure).
    ``stack_lines``: the stack's containers to stop first and start afterwards (stop_stack), None: not stopped."""
    plan = RestorePlan()
    tsdb = backup["timescaledb_version"]
    name = target.name
    tables = ", ".join(f"{h['name']} {h['rows']} rows" for h in backup["hypertables"]) or "no table counts"
    plan.steps.append(f"Backup set {backup['set_id']}: {backup['dump_path']} ({backup['dump_bytes']} bytes, size and "
                      f"sha256 match the manifest), dumped from database {backup['database']} (PostgreSQL "
                      f"{backup['server_version']}, TimescaleDB {tsdb or 'not installed'}); {tables}")
    plan.steps.extend(stack_lines if stack_lines is not None else
                      ["Trading stack: not stopped (stop_stack=false); its writers keep writing during the restore"])
    if name == scratch_database:
        plan.refusals.append(f"{name} is restore_scratch_database: the weekly db_restore_verification drops it. "
                             "Choose another target_database")
    if target.state.exists:
        sessions = target.state.other_sessions
        plan.steps.append(f"Target database {name} exists" + (
            f"; {sessions} other sessions are connected to it: stop the writers (the trading stack's services, "
            "stop_stack=true) before confirming" if sessions else "; no other session is connected to it"))
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
        plan.steps.append(f"In restore mode, unschedule every job the dump restored, then SELECT timescaledb_post_restore() "
                          f"in {name} (also when pg_restore fails): no policy runs before the restore is verified")
    plan.steps.append(f"Compare the row counts and time ranges of {name} with the manifest: {tables}"
                      + ("; and its jobs: none may be scheduled or have run yet" if tsdb else ""))
    if tsdb:
        plan.steps.append(job_restore_step(backup["jobs"]))
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


def job_restore_step(jobs: list[dict[str, Any]] | None) -> str:
    """The plan's line about putting the restored jobs back (pure)."""
    timing = (f"a recorded start less than {RESTART_GRACE} ahead moves to the job's next slot on its schedule, no "
              f"two starts closer than {START_SPACING}")
    if jobs is None:
        return ("Jobs: the manifest (format 1, written before job records) records none: each job gets the scheduled "
                "flag the dump carried, its first start one schedule interval after the restore, no two starts closer "
                f"than {START_SPACING}; a job whose flag is unknown stays unscheduled")
    scheduled = [j["job_id"] for j in jobs if j["scheduled"]]
    paused = [j["job_id"] for j in jobs if not j["scheduled"]]
    return (f"Put the {len(jobs)} recorded jobs back as at backup time: scheduled {scheduled or 'none'}, paused "
            f"{paused or 'none'}; next start as recorded ({timing}); a job that does not match the record stays "
            "unscheduled")


def missing_confirmations(plan: RestorePlan, confirm_database: str, confirm_models_volume: str) -> list[str]:
    """The confirmations the plan needs that the params do not give (pure)."""
    given = {"confirm_database": confirm_database, "confirm_models_volume": confirm_models_volume}
    missing = []
    for needed in plan.confirmations:
        param, _, value = needed.partition("=")
        if given[param] != value:
            missing.append(needed)
    return missing


def target_facts(conn_id: str, name: str) -> TargetFacts:
    with db_session(conn_id) as conn:
        state = database_state(conn, name)
    version = None
    if state.exists:
        with db_session(conn_id, name) as conn:
            version = database_facts(conn).timescaledb_version
    return TargetFacts(name, state, version)


def validate_restore_params(params: dict[str, Any], run_after: datetime,
                            stack: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every param checked (names as identifiers and in the catalog, the set against its manifest), the plan
    logged; raises ParamError on anything that stops the restore, also in a dry run. ``stack``: the stack's
    containers to stop (backup.stack.StackPlan.as_dict()), None when stop_stack is false."""
    config = load_config()
    dry_run = check_flag(params.get("dry_run"), "dry_run")
    restore_models = check_flag(params.get("restore_models"), "restore_models")
    clear_models = check_flag(params.get("clear_models_volume"), "clear_models_volume")
    set_id = check_set_id(params.get("set_id"))
    target = check_database_name(text_param(params, "target_database") or database_login(config.postgres_conn_id).dbname,
                                 "target_database")
    confirm_database, confirm_volume = text_param(params, "confirm_database"), text_param(params, "confirm_models_volume")
    if confirm_database and confirm_database != target:
        raise ParamError(f"param confirm_database={confirm_database!r} does not repeat the target database {target!r}")
    if confirm_volume and confirm_volume != config.models_volume:
        raise ParamError(f"param confirm_models_volume={confirm_volume!r} does not repeat the models volume "
                         f"{config.models_volume!r}")
    backup = select_backup_set(config.backup_root, set_id, restore_models)
    facts = target_facts(config.postgres_conn_id, target)
    safety = safety_dump_path(target, run_after, config.timezone)
    plan = plan_restore(backup, facts, backup_root=config.backup_root, safety_dump=safety,
                        scratch_database=config.restore_scratch_database, restore_models=restore_models,
                        clear_models_volume=clear_models, models_volume=config.models_volume,
                        stack_lines=stack["lines"] if stack is not None else None)
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
    preparation = restore_steps.plan_preparation(target, backup["timescaledb_version"], create=not facts.state.exists,
                                                 dry_run=dry_run)
    return {
        "dry_run": dry_run, "backup": backup, "target_exists": facts.state.exists,
        "safety_dump": safety if facts.state.exists else None, "restore_models": restore_models,
        "clear_models_volume": clear_models, "plan": plan.steps, "stack": stack, **preparation,
    }


def end_timescaledb_restore(validated: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Unschedule the restored jobs and leave restore mode; their scheduled flags as the dump carried them."""
    return restore_steps.end_restore_mode(load_config().postgres_conn_id, validated["target_database"],
                                          validated["backup"]["timescaledb_version"])


def compare_restored_tables(config: OpsConfig, validated: dict[str, Any], dumped: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Tables (rows, time ranges, chunks) and jobs of the restored database against the manifest; fails on any
    difference, leaving the restored jobs unscheduled."""
    backup, target = validated["backup"], validated["target_database"]
    state, findings = restore_steps.verify_restored_database(config.postgres_conn_id, target, config, backup, dumped)
    if findings:
        summary = "; ".join(f.message for f in findings)
        append_log_line(config, BACKUP_LOG, f"ERROR: Restore of backup set {backup['set_id']} into {target} differs "
                                            f"from its manifest: {summary}")
        jobs = "; its jobs stay unscheduled" if backup["timescaledb_version"] else ""
        raise RuntimeError(f"Restore of backup set {backup['set_id']} into {target} differs from its manifest: {summary}"
                           f"{jobs}. The safety dump is {validated['safety_dump'] or 'none (new database)'}")
    append_log_line(config, BACKUP_LOG, f"Restored backup set {backup['set_id']} into {target}: {len(state.tables)} tables "
                                        "match the manifest")
    return {"set_id": backup["set_id"], "target_database": target, "tables": [asdict(s) for s in state.tables],
            "jobs": [asdict(j) for j in state.jobs]}


def reschedule_restored_jobs(config: OpsConfig, validated: dict[str, Any],
                             dumped: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Put each verified restored job back on its schedule (restored_jobs.plan_job_schedules), log every decision;
    jobs the record cannot place stay unscheduled and are named in backup.log as a WARNING."""
    backup, target = validated["backup"], validated["target_database"]
    if not backup["timescaledb_version"]:
        log.info("Backup set %s has no TimescaleDB: no jobs to put back", backup["set_id"])
        return {"decisions": [], "problems": []}
    plan = restore_steps.put_jobs_back(config.postgres_conn_id, target, backup, dumped)
    for line in plan.lines():
        log.info("%s", line)
    scheduled = sum(d.scheduled for d in plan.decisions)
    source = "the manifest" if backup["jobs"] is not None else "the dump (the manifest, format 1, records no jobs)"
    append_log_line(config, BACKUP_LOG, f"Restored jobs of {target} back on their schedule as recorded in {source}: "
                                        f"{scheduled} scheduled, {len(plan.decisions) - scheduled} unscheduled")
    if plan.problems:
        append_log_line(config, BACKUP_LOG, f"WARNING: restored jobs of {target} left unscheduled: "
                                            f"{'; '.join(plan.problems)}. Check them and resume with db_job_control")
    return {"decisions": [asdict(d) for d in plan.decisions], "problems": plan.problems}
