"""TimescaleDB's restore procedure, written once: db_restore_verification (scratch database) and db_restore use it.

1. Prepare the database, as SQL steps of the DAGs (the UI shows the statements that ran): ``CREATE DATABASE``
   (CREATE_DATABASE_SQL; the scratch database: CREATE_SCRATCH_DATABASE_SQL, a leftover dropped first), then in it
   ``CREATE EXTENSION timescaledb`` at the dump's version and ``timescaledb_pre_restore()`` in one transaction
   (PREPARE_TIMESCALEDB_RESTORE_SQL: restore mode, the database's scheduler is stopped). :func:`plan_preparation`
   decides which of them a restore runs.
2. pg_restore, serially, in the pg_client_image container (parallel restore breaks TimescaleDB).
3. :func:`end_restore_mode`: in one transaction, unschedule every restored job (keeping the scheduled flag the
   dump carried) and ``timescaledb_post_restore()``. The scheduler post_restore starts waits for that transaction,
   so it finds nothing to run: no policy drops, compresses or locks restored chunks before the restore is verified.
4. :func:`verify_restored_database`: every counted table's rows, time range and chunk counts, and the jobs, read in
   one snapshot and compared with the manifest. It holds while the scheduler runs: nothing is scheduled.
5. db_restore only, after 4 passed: :func:`put_jobs_back` (restored_jobs.plan_job_schedules). The verification drops
   its scratch database with the jobs never run.

A backup set without TimescaleDB skips the TimescaleDB steps. Steps 3 to 5 stay Python: each is a decision in one
transaction or snapshot (restore mode or not and where the job table lives; the tables to count, whose names are
read from the catalog; when each job starts again).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from tsdb_ops.backup.database import table_stats
from tsdb_ops.backup.manifest import HypertableStats, JobRecord, Manifest
from tsdb_ops.backup.restored_jobs import JobPlan, RestoredJob, compare_jobs, plan_job_schedules
from tsdb_ops.config import OpsConfig
from tsdb_ops.db import db_session
from tsdb_ops.files import read_sql
from tsdb_ops.findings import Finding

log = logging.getLogger(__name__)

# The SQL steps that prepare a database for pg_restore, in order (the DAGs run them as SQLExecuteQueryOperators).
CREATE_DATABASE = "create_database"
PREPARE_TIMESCALEDB_RESTORE = "prepare_timescaledb_restore"
CREATE_DATABASE_SQL = "backup/create_database.sql"   # db_restore's target, when it does not exist
PREPARE_TIMESCALEDB_RESTORE_SQL = "backup/prepare_timescaledb_restore.sql"
# The weekly test restore's scratch database: dropped (if left over) and created, and dropped at the end.
CREATE_SCRATCH_DATABASE_SQL = "backup/create_scratch_database.sql"
DROP_SCRATCH_DATABASE_SQL = "backup/drop_scratch_database.sql"


def restore_facts(manifest: Manifest, path: str | Path) -> dict[str, Any]:
    """What both restore DAGs pass from task to task about the set they restore (JSON-serialisable)."""
    dump, models = manifest.artefact("database"), manifest.artefact("models")
    if dump is None:
        raise ValueError(f"backup set {manifest.set_id} has no database dump")
    return {
        "set_id": manifest.set_id, "manifest": str(path), "format_version": manifest.format_version,
        "dump_path": dump.path, "dump_bytes": dump.size_bytes, "database": manifest.database,
        "server_version": manifest.server_version, "timescaledb_version": manifest.timescaledb_version,
        "models_path": models.path if models else None, "hypertables": [asdict(h) for h in manifest.hypertables],
        "jobs": None if manifest.jobs is None else [asdict(j) for j in manifest.jobs],
    }


def recorded_jobs(backup: dict[str, Any]) -> list[JobRecord] | None:
    return None if backup["jobs"] is None else [JobRecord(**j) for j in backup["jobs"]]


def plan_preparation(database: str, timescaledb_version: str | None, *, create: bool,
                     dry_run: bool = False) -> dict[str, Any]:
    """What the preparation's SQL steps need from the task that planned the restore (pure): ``target_database``,
    the names they compose (``identifiers``: the database, the dump's TimescaleDB version) and why a step does not
    run (``skip``, by step; a step not named runs). The caller has checked that ``database`` may be written."""
    skip = {}
    if not create:
        skip[CREATE_DATABASE] = f"database {database} exists: not created"
    if not timescaledb_version:
        skip[PREPARE_TIMESCALEDB_RESTORE] = "the backup set has no TimescaleDB: no extension, no restore mode"
    if dry_run:
        skip = {CREATE_DATABASE: f"dry run: CREATE DATABASE {database} not done",
                PREPARE_TIMESCALEDB_RESTORE: f"dry run: TimescaleDB restore mode of {database} not entered"}
    # Without TimescaleDB the version step is skipped before it runs; "" only fills its placeholder.
    return {"target_database": database, "identifiers": {"database": database, "version": timescaledb_version or ""},
            "skip": skip}


def end_restore_mode(conn_id: str, dbname: str, timescaledb_version: str | None) -> list[dict[str, Any]] | None:
    """Unschedule every restored job and leave restore mode, in one transaction; the jobs' scheduled flags as the
    dump carried them (``[{"job_id", "dumped_scheduled"}]``).

    None for a set without TimescaleDB, and when the database had already left restore mode (an earlier try
    committed): the jobs are unscheduled again, but their dumped flags are gone.
    """
    if not timescaledb_version:
        return None
    with db_session(conn_id, dbname) as conn, conn.transaction():
        restoring = conn.execute(read_sql("backup/restore_mode.sql")).fetchone()[0]
        found = conn.execute(read_sql("backup/job_catalog_table.sql")).fetchone()
        if found is None:
            raise RuntimeError(f"{dbname}: TimescaleDB's job table bgw_job was not found; this TimescaleDB version is "
                               "not supported by the restore (2.14 and later are)")
        schema, table = found
        unschedule = sql.SQL(read_sql("backup/unschedule_restored_jobs.sql")).format(bgw_job=sql.Identifier(schema, table))
        dumped = [{"job_id": job_id, "dumped_scheduled": scheduled} for job_id, scheduled in conn.execute(unschedule)]
        if restoring:
            conn.execute(read_sql("backup/timescaledb_post_restore.sql"))
    log.info("%s: %d restored jobs unscheduled%s", dbname, len(dumped),
             ", restore mode ended (timescaledb_post_restore())" if restoring else
             "; the database had left restore mode already (an earlier try): their dumped scheduled flags are unknown")
    return sorted(dumped, key=lambda j: j["job_id"]) if restoring else None


def dumped_flags(dumped: list[dict[str, Any]] | None) -> dict[int, bool] | None:
    return None if dumped is None else {int(j["job_id"]): bool(j["dumped_scheduled"]) for j in dumped}


def restored_jobs(conn: psycopg.Connection) -> list[RestoredJob]:
    """The jobs the dump restored (ids from 1000), with their schedule and runs since the restore."""
    return [RestoredJob(int(job_id), proc, hypertable, bool(scheduled), interval, int(runs))
            for job_id, proc, hypertable, scheduled, interval, _, _, runs
            in conn.execute(read_sql("backup/dumped_jobs.sql")).fetchall()]


@dataclass(frozen=True)
class RestoredState:
    tables: list[HypertableStats]
    jobs: list[RestoredJob]


def read_restored_state(conn: psycopg.Connection, config: OpsConfig, timescaledb: bool) -> RestoredState:
    """Tables and jobs of the restored database, in one REPEATABLE READ snapshot (``conn`` has no open transaction)."""
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    with conn.transaction():
        tables = table_stats(conn, config, timescaledb)
        jobs = restored_jobs(conn) if timescaledb else []
    return RestoredState(tables, jobs)


def compare_tables(expected: list[HypertableStats], restored: list[HypertableStats]) -> list[Finding]:
    """One critical finding per table whose rows, time range or (when recorded) chunk counts differ, or that is
    missing on either side. Chunk counts are not recorded by format 1 manifests nor for plain tables."""
    findings = []
    by_name = {s.name: s for s in restored}
    for want in expected:
        got = by_name.pop(want.name, None)
        if got is None:
            findings.append(Finding(f"restore_check.{want.name}.missing", "critical",
                                    f"{want.name} is missing from the restored database", {"expected": asdict(want)}))
            continue
        differs = (got.rows, got.min_time, got.max_time) != (want.rows, want.min_time, want.max_time)
        if want.chunks is not None:
            differs = differs or (got.chunks, got.compressed_chunks) != (want.chunks, want.compressed_chunks)
        if differs:
            findings.append(Finding(
                f"restore_check.{want.name}.differs", "critical",
                f"{want.name} restored {_describe(got, want.chunks is not None)}, "
                f"the manifest says {_describe(want, want.chunks is not None)}",
                {"expected": asdict(want), "restored": asdict(got)},
            ))
    for extra in by_name.values():
        findings.append(Finding(f"restore_check.{extra.name}.unexpected", "critical",
                                f"{extra.name} is in the restored database but not in the manifest", {"restored": asdict(extra)}))
    return findings


def _describe(stats: HypertableStats, chunks: bool) -> str:
    text = f"{stats.rows} rows {stats.min_time} .. {stats.max_time}"
    return f"{text}, {stats.chunks} chunks ({stats.compressed_chunks} compressed)" if chunks else text


def verify_restored_database(conn_id: str, dbname: str, config: OpsConfig, backup: dict[str, Any],
                             dumped: list[dict[str, Any]] | None) -> tuple[RestoredState, list[Finding]]:
    """The restored database against its manifest: tables and jobs (see compare_tables, restored_jobs.compare_jobs)."""
    timescaledb = bool(backup["timescaledb_version"])
    with db_session(conn_id, dbname) as conn:
        state = read_restored_state(conn, config, timescaledb)
    findings = compare_tables([HypertableStats(**h) for h in backup["hypertables"]], state.tables)
    if timescaledb:
        findings += compare_jobs(recorded_jobs(backup), state.jobs, dumped_flags(dumped))
    return state, findings


def put_jobs_back(conn_id: str, dbname: str, backup: dict[str, Any], dumped: list[dict[str, Any]] | None) -> JobPlan:
    """After the verification: each restored job back on its schedule as the plan decides, in one transaction."""
    with db_session(conn_id, dbname) as conn, conn.transaction():
        now = conn.execute(read_sql("backup/database_now.sql")).fetchone()[0]
        jobs = restored_jobs(conn)
        plan = plan_job_schedules(recorded_jobs(backup), jobs, dumped_flags(dumped), now)
        for decision in plan.decisions:
            if decision.scheduled:
                conn.execute(read_sql("backup/reschedule_job.sql"),
                             {"job_id": decision.job_id, "next_start": decision.next_start})
    return plan
