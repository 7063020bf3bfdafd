"""Policy jobs of a hypertable: lookup by proc_name (old and columnstore names), run now, errors and stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from tsdb_ops.paths import read_sql
from tsdb_ops.timescale.hypertables import Hypertable

# proc_name of each policy kind in timescaledb_information.jobs. The columnstore API of TimescaleDB >= 2.18
# (add_columnstore_policy) schedules the same procedure; 'policy_columnstore' is accepted should a release name it so.
POLICY_PROCS: dict[str, tuple[str, ...]] = {
    "compression": ("policy_compression", "policy_columnstore"),
    "retention": ("policy_retention",),
    "reorder": ("policy_reorder",),
}


@dataclass(frozen=True)
class PolicyJob:
    job_id: int
    kind: str
    proc_name: str
    schedule_interval: timedelta | None
    config: dict[str, Any]
    scheduled: bool
    next_start: datetime | None


@dataclass(frozen=True)
class JobError:
    job_id: int
    start_time: datetime | None
    finish_time: datetime | None
    sqlerrcode: str | None
    message: str


def policy_kind(proc_name: str) -> str | None:
    return next((kind for kind, names in POLICY_PROCS.items() if proc_name in names), None)


def find_policy_jobs(conn: psycopg.Connection, hypertable: Hypertable, kind: str | None = None) -> list[PolicyJob]:
    """Policy jobs of the hypertable (all kinds, or one of POLICY_PROCS), oldest job id first."""
    names = list(POLICY_PROCS[kind]) if kind else [n for names in POLICY_PROCS.values() for n in names]
    rows = conn.execute(read_sql("maintenance/find_policy_jobs.sql"), {**hypertable.params, "proc_names": names})
    return [
        PolicyJob(job_id, policy_kind(proc_name) or proc_name, proc_name, schedule, config or {}, scheduled, next_start)
        for job_id, proc_name, schedule, config, scheduled, next_start in rows.fetchall()
    ]


def run_job(conn: psycopg.Connection, job_id: int) -> None:
    """``CALL run_job(<id>)``: a CALL argument must be a literal, so the integer id is composed as one."""
    conn.execute(sql.SQL(read_sql("maintenance/run_job.sql")).format(job_id=sql.Literal(int(job_id))))


def job_errors_since(conn: psycopg.Connection, job_ids: list[int], since: datetime) -> list[JobError]:
    """Errors recorded in timescaledb_information.job_errors for these jobs since ``since``."""
    rows = conn.execute(read_sql("maintenance/job_errors.sql"), {"job_ids": job_ids, "since": since}).fetchall()
    return [JobError(*row) for row in rows]


def job_stats(conn: psycopg.Connection, job_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Last run status and failure count per job from timescaledb_information.job_stats (None fields: no run yet)."""
    cursor = conn.execute(read_sql("maintenance/job_stats.sql"), {"job_ids": job_ids})
    columns = [c.name for c in cursor.description or []]
    return {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}
