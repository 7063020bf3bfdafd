"""Daily: run the hypertable's retention and compression policy jobs now and judge them by the chunks.

``CALL run_job(id)`` from a session does not update ``job_stats`` (and scheduled runs have reported Failed
although their work was committed), so success is judged by the state of the chunks afterwards; job_errors and
job_stats are reported when they hold anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from tsdb_ops.paths import read_sql
from tsdb_ops.timescale.chunks import Chunk, database_now, list_chunks
from tsdb_ops.timescale.hypertables import Hypertable
from tsdb_ops.timescale.jobs import PolicyJob, find_policy_jobs, job_errors_since, job_stats, run_job

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


def run_policies(
    conn: psycopg.Connection, hypertable: Hypertable, progress: Callable[[str], None]
) -> PolicyRunReport:
    """Run the retention then the compression policy job of ``hypertable`` now and check the chunks after."""
    jobs: dict[str, PolicyJob] = {}
    for kind in RUN_ORDER:
        found = find_policy_jobs(conn, hypertable, kind)
        if not found:
            raise PolicyRunError(
                f"{hypertable} has no {kind} policy job in timescaledb_information.jobs; "
                "trigger db_policy_setup with apply=true to add it"
            )
        jobs[kind] = found[0]
    started = database_now(conn)
    before = list_chunks(conn, hypertable)
    for kind in RUN_ORDER:
        job = jobs[kind]
        progress(f"running {kind} policy job {job.job_id} ({job.proc_name}, config {job.config})")
        try:
            run_job(conn, job.job_id)
        except psycopg.Error as exc:
            raise PolicyRunError(f"{kind} policy job {job.job_id} of {hypertable} failed: {str(exc).strip()}") from exc
    after = list_chunks(conn, hypertable)
    now = database_now(conn)
    ids = [job.job_id for job in jobs.values()]
    errors = [f"job {e.job_id} at {e.start_time}: [{e.sqlerrcode}] {e.message}" for e in job_errors_since(conn, ids, started)]
    stats = job_stats(conn, ids)
    recorded = {job_id: s for job_id, s in stats.items() if s.get("last_run_started_at") is not None}
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
    after_names = {str(c) for c in after}
    compressed_before = {str(c) for c in before if c.is_compressed}
    return PolicyRunReport(
        hypertable=str(hypertable),
        jobs={kind: job.job_id for kind, job in jobs.items()},
        chunks_before=len(before), compressed_before=len(compressed_before),
        chunks_after=len(after), compressed_after=sum(c.is_compressed for c in after),
        dropped=sorted({str(c) for c in before} - after_names),
        newly_compressed=sorted(str(c) for c in after if c.is_compressed and str(c) not in compressed_before),
        problems=problems, job_errors=errors, job_stats_note=note,
    )
