"""Daily: run the hypertable's retention and compression policy jobs now and judge them by the chunks.

``CALL run_job(id)`` from a session does not update ``job_stats`` (and scheduled runs have reported Failed
although their work was committed), so success is judged by the state of the chunks afterwards; job_errors and
job_stats are reported when they hold anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from tsdb_ops.files import read_sql
from tsdb_ops.timescale.chunks import Chunk, database_now, list_chunks
from tsdb_ops.timescale.jobs import find_policy_jobs, job_errors, job_stats
from tsdb_ops.timescale.table import Table

RUN_ORDER = ("retention", "compression")  # drop first: no time is spent compressing chunks about to be dropped


class PolicyRunError(RuntimeError):
    """A policy job is missing, failed, or left chunks it should have handled."""


@dataclass(frozen=True)
class PolicyRunReport:
    hypertable: str
    jobs: dict[str, int]
    chunks_before: int
    compressed_before: int
    chunks_after: int
    compressed_after: int
    dropped: list[str]
    newly_compressed: list[str]
    problems: list[str] = field(default_factory=list)
    job_errors: list[str] = field(default_factory=list)
    job_stats_note: str = ""

    def lines(self) -> list[str]:
        out = [
            f"{self.hypertable}: jobs run {self.jobs}",
            f"chunks before: {self.chunks_before} ({self.compressed_before} compressed); "
            f"after: {self.chunks_after} ({self.compressed_after} compressed)",
            f"dropped {len(self.dropped)} chunks, compressed {len(self.newly_compressed)} chunks",
            self.job_stats_note,
        ]
        return out + [f"job error: {e}" for e in self.job_errors] + [f"PROBLEM: {p}" for p in self.problems]

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__}


def interval_days(conn: psycopg.Connection, value: Any) -> float:
    """A policy's drop_after / compress_after from its job config ('90 days', ...) in days, read by the server."""
    if not isinstance(value, str):
        raise PolicyRunError(f"policy interval {value!r} is not a time interval; the hypertable must be time-based")
    return float(conn.execute(read_sql("maintenance/interval_days.sql"), {"interval": value}).fetchone()[0])


def overdue_chunks(chunks: list[Chunk], now: datetime, after_days: float, *, uncompressed_only: bool) -> list[Chunk]:
    """Chunks entirely older than ``after_days`` (range end at or before the cutoff), as the policies select them."""
    cutoff = now - timedelta(days=after_days)
    return [c for c in chunks
            if c.range_end is not None and c.range_end <= cutoff and (not uncompressed_only or not c.is_compressed)]


@dataclass(frozen=True)
class PolicyRunStart:
    """What the run needs to judge the jobs afterwards: their ids and the chunks and clock before they ran."""

    hypertable: str
    jobs: dict[str, int]            # kind -> job id, in RUN_ORDER
    started: datetime
    chunks_before: list[Chunk]

    def as_dict(self) -> dict[str, Any]:
        return {"hypertable": self.hypertable, "jobs": self.jobs, "started": self.started.isoformat(),
                "chunks_before": [c.as_dict() for c in self.chunks_before]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyRunStart:
        return cls(data["hypertable"], dict(data["jobs"]), datetime.fromisoformat(data["started"]),
                   [Chunk.from_dict(c) for c in data["chunks_before"]])


def prepare_policy_run(conn: psycopg.Connection, hypertable: Table) -> PolicyRunStart:
    """The retention and compression jobs of ``hypertable`` (fails naming the fix when one is missing), and the
    chunks and clock before they run."""
    jobs: dict[str, int] = {}
    for kind in RUN_ORDER:
        found = find_policy_jobs(conn, hypertable, kind)
        if not found:
            raise PolicyRunError(
                f"{hypertable} has no {kind} policy job in timescaledb_information.jobs; "
                "trigger db_policy_setup with apply=true to add it"
            )
        jobs[kind] = found[0].job_id
    return PolicyRunStart(str(hypertable), jobs, database_now(conn), list_chunks(conn, hypertable))


def judge_policy_run(conn: psycopg.Connection, hypertable: Table, start: PolicyRunStart) -> PolicyRunReport:
    """The chunks after the jobs ran, against the policies' ages: none past retention left, none past compression
    uncompressed. job_errors and job_stats are reported when they hold anything."""
    jobs = {job.kind: job for job in find_policy_jobs(conn, hypertable) if job.job_id in start.jobs.values()}
    after = list_chunks(conn, hypertable)
    now = database_now(conn)
    ids = list(start.jobs.values())
    errors = [f"job {e['job_id']} at {e['start_time']}: [{e['sqlerrcode']}] {e['message']}"
              for e in reversed(job_errors(conn, start.started, ids))]
    recorded = {s["job_id"]: s for s in job_stats(conn, ids) if s.get("last_run_started_at") is not None}
    note = ("job_stats: " + "; ".join(f"job {j}: {s['last_run_status']}, {s['total_failures']} failures"
                                      for j, s in recorded.items())
            if recorded else
            "job_stats: no run recorded (CALL run_job from a session does not update job_stats, and this server's "
            "background scheduler has not run the jobs); success is judged by the chunks")
    problems = []
    drop_after = interval_days(conn, jobs["retention"].config.get("drop_after"))
    left = overdue_chunks(after, now, drop_after, uncompressed_only=False)
    if left:
        problems.append(f"{len(left)} chunks older than the retention policy ({drop_after:g} days) remain: "
                        + ", ".join(map(str, left[:5])))
    compress_after = interval_days(conn, jobs["compression"].config.get("compress_after"))
    pending = overdue_chunks(after, now, compress_after, uncompressed_only=True)
    if pending:
        problems.append(f"{len(pending)} chunks older than the compression policy ({compress_after:g} days) are "
                        "still uncompressed: " + ", ".join(map(str, pending[:5])))
    before = start.chunks_before
    after_names = {str(c) for c in after}
    compressed_before = {str(c) for c in before if c.is_compressed}
    return PolicyRunReport(
        hypertable=str(hypertable),
        jobs=dict(start.jobs),
        chunks_before=len(before), compressed_before=len(compressed_before),
        chunks_after=len(after), compressed_after=sum(c.is_compressed for c in after),
        dropped=sorted({str(c) for c in before} - after_names),
        newly_compressed=sorted(str(c) for c in after if c.is_compressed and str(c) not in compressed_before),
        problems=problems, job_errors=errors, job_stats_note=note,
    )
