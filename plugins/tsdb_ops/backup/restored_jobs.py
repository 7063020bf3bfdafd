"""The TimescaleDB jobs of a restored database: checked against the manifest, then put back on their schedule.

A dump carries each job's definition and ``scheduled`` flag but not its run times, so after
``timescaledb_post_restore()`` every policy would be due at once (retention drops restored chunks, compression and
reorder lock them). The restore therefore unschedules every restored job before it leaves restore mode
(restore_steps.end_restore_mode); the verification requires that none of them is scheduled or has run; and
db_restore, once the restored database matched its manifest, puts each job back (:func:`plan_job_schedules`):

- scheduled as recorded in the manifest: a job paused at backup time stays paused;
- first start as recorded, when that is at least ``RESTART_GRACE`` after the restore;
- a recorded start that has passed (or is closer than ``RESTART_GRACE``) moves to the job's next slot on its own
  schedule, recorded start + k x schedule interval: when it would have run had the database not been restored;
- no recorded start (``-infinity`` or none: the job had not started yet): one schedule interval after the restore,
  the latest the source would have run it;
- ``infinity`` stays: the job waits for an operator, as it did;
- finally no two starts closer than ``START_SPACING`` (jobs that start together can deadlock): later ones move.

A manifest of format 1 has no job record. Its jobs get the scheduled flag the dump carried (read while
unscheduling them) and a first start one schedule interval after the restore, spaced: what an operator restoring
production expects is its policies back, and nothing runs earlier than it would have run in the source. When that
flag is not known either (an earlier try ended the restore mode), the jobs stay unscheduled and the plan says so.
A job that does not match the record (missing, other procedure or hypertable, not recorded) stays unscheduled.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from tsdb_ops.backup.manifest import JobRecord
from tsdb_ops.findings import Finding

RESTART_GRACE = timedelta(minutes=15)   # no restored job starts sooner after the restore
START_SPACING = timedelta(minutes=2)    # and no two restored jobs start closer together
INFINITY = "infinity"


@dataclass(frozen=True)
class RestoredJob:
    """A job of the restored database (dumped_jobs.sql)."""

    job_id: int
    proc: str
    hypertable: str | None
    scheduled: bool
    schedule_interval_seconds: float | None
    total_runs: int

    @property
    def label(self) -> str:
        return job_label(self.job_id, self.proc, self.hypertable)


@dataclass(frozen=True)
class JobDecision:
    """What the restore does with one restored job."""

    job_id: int
    label: str
    scheduled: bool
    next_start: str | None   # ISO 8601 UTC or "infinity" when scheduled; None when the job stays unscheduled
    reason: str


@dataclass(frozen=True)
class JobPlan:
    decisions: list[JobDecision]
    problems: list[str]      # jobs left unscheduled because the record does not say how to put them back

    def lines(self) -> list[str]:
        return [f"{d.label}: {'next start ' + d.next_start if d.scheduled else 'stays unscheduled'} ({d.reason})"
                for d in self.decisions]


def job_label(job_id: int, proc: str, hypertable: str | None) -> str:
    return f"job {job_id} ({proc.rsplit('.', 1)[-1]}{' on ' + hypertable if hypertable else ''})"


def compare_jobs(recorded: list[JobRecord] | None, restored: list[RestoredJob],
                 dumped_scheduled: dict[int, bool] | None) -> list[Finding]:
    """Critical findings: a restored job that is scheduled or has run before the restore was verified (either can
    change the restored data), and, when the manifest records the jobs, any job missing, differing or extra, or
    whose scheduled flag in the dump differs from the record."""
    findings = []
    for job in restored:
        if job.total_runs:
            findings.append(Finding(f"restore_check.job_{job.job_id}.ran", "critical",
                                    f"{job.label} ran {job.total_runs} times in the restored database before the restore "
                                    "was verified", {"restored": asdict(job)}))
        elif job.scheduled:
            findings.append(Finding(f"restore_check.job_{job.job_id}.scheduled", "critical",
                                    f"{job.label} is scheduled in the restored database before the restore was verified",
                                    {"restored": asdict(job)}))
    if recorded is None:
        return findings
    by_id = {job.job_id: job for job in restored}
    for record in recorded:
        label = job_label(record.job_id, record.proc, record.hypertable)
        job = by_id.pop(record.job_id, None)
        if job is None:
            findings.append(Finding(f"restore_check.job_{record.job_id}.missing", "critical",
                                    f"{label} is recorded in the manifest but missing from the restored database",
                                    {"recorded": asdict(record)}))
        elif (job.proc, job.hypertable) != (record.proc, record.hypertable):
            findings.append(Finding(f"restore_check.job_{record.job_id}.differs", "critical",
                                    f"{label} is recorded in the manifest, the restored database has {job.label}",
                                    {"recorded": asdict(record), "restored": asdict(job)}))
        elif dumped_scheduled is not None and dumped_scheduled.get(record.job_id) != record.scheduled:
            findings.append(Finding(
                f"restore_check.job_{record.job_id}.scheduled_differs", "critical",
                f"{label} was {'scheduled' if record.scheduled else 'paused'} at backup time (manifest), the dump "
                f"restored it {'scheduled' if dumped_scheduled.get(record.job_id) else 'paused'}",
                {"recorded": asdict(record), "dumped_scheduled": dumped_scheduled.get(record.job_id)}))
    for job in by_id.values():
        findings.append(Finding(f"restore_check.job_{job.job_id}.unexpected", "critical",
                                f"{job.label} is in the restored database but not recorded in the manifest",
                                {"restored": asdict(job)}))
    return findings


def _first_start(next_start: str | None, interval_seconds: float | None, now: datetime) -> tuple[datetime | str, str]:
    """The first start of a job to reschedule, before spacing, with the reason."""
    earliest = now + RESTART_GRACE
    interval = timedelta(seconds=interval_seconds) if interval_seconds else None
    if next_start == INFINITY:
        return INFINITY, "as recorded: infinity, the job waits for an operator"
    if next_start is None or next_start == "-infinity":
        if interval is None:
            return earliest, f"no start recorded and no schedule interval: {RESTART_GRACE} after the restore"
        return max(now + interval, earliest), "no start recorded: one schedule interval after the restore"
    recorded = datetime.fromisoformat(next_start)
    if recorded >= earliest:
        return recorded, "as recorded"
    if interval is None:
        return earliest, f"recorded start {next_start} has passed, no schedule interval: {RESTART_GRACE} after the restore"
    slots = math.ceil((earliest - recorded) / interval)
    return recorded + slots * interval, f"recorded start {next_start} has passed: its next slot on the job's schedule"


def plan_job_schedules(recorded: list[JobRecord] | None, restored: list[RestoredJob],
                       dumped_scheduled: dict[int, bool] | None, now: datetime) -> JobPlan:
    """Which restored jobs go back on their schedule and when (see the module docstring); ``now`` is the database
    server's clock. Pure: the caller applies the decisions with alter_job."""
    wanted: list[tuple[RestoredJob, str | None, str]] = []   # (job, recorded next start, reason prefix)
    decisions: list[JobDecision] = []
    problems: list[str] = []

    def keep_unscheduled(job: RestoredJob, reason: str, problem: bool) -> None:
        decisions.append(JobDecision(job.job_id, job.label, False, None, reason))
        if problem:
            problems.append(f"{job.label}: {reason}")

    if recorded is None:
        for job in restored:
            if dumped_scheduled is None or job.job_id not in dumped_scheduled:
                keep_unscheduled(job, "the manifest (format 1) records no jobs and the dump's scheduled flag is not "
                                      "known: resume it once the data is checked", problem=True)
            elif not dumped_scheduled[job.job_id]:
                keep_unscheduled(job, "paused in the dump (the manifest, format 1, records no jobs)", problem=False)
            else:
                wanted.append((job, None, "scheduled in the dump (the manifest, format 1, records no jobs)"))
    else:
        by_id = {job.job_id: job for job in restored}
        for record in recorded:
            job = by_id.pop(record.job_id, None)
            if job is None:
                problems.append(f"{job_label(record.job_id, record.proc, record.hypertable)}: recorded in the manifest "
                                "but not in the restored database")
            elif (job.proc, job.hypertable) != (record.proc, record.hypertable):
                keep_unscheduled(job, f"the manifest records job {record.job_id} as {record.proc} on "
                                      f"{record.hypertable}", problem=True)
            elif not record.scheduled:
                keep_unscheduled(job, "paused at backup time", problem=False)
            else:
                wanted.append((job, record.next_start, "scheduled at backup time"))
        for job in by_id.values():
            keep_unscheduled(job, "not recorded in the manifest", problem=True)

    finite: list[tuple[datetime, RestoredJob, str]] = []
    for job, next_start, why in wanted:
        start, reason = _first_start(next_start, job.schedule_interval_seconds, now)
        if start == INFINITY:
            decisions.append(JobDecision(job.job_id, job.label, True, INFINITY, f"{why}; {reason}"))
        else:
            finite.append((start, job, f"{why}; {reason}"))
    previous: datetime | None = None
    for start, job, reason in sorted(finite, key=lambda item: (item[0], item[1].job_id)):
        if previous is not None and start < previous + START_SPACING:
            start, reason = previous + START_SPACING, f"{reason}; moved to start {START_SPACING} after the one before"
        previous = start
        decisions.append(JobDecision(job.job_id, job.label, True, start.astimezone(UTC).isoformat(), reason))
    return JobPlan(sorted(decisions, key=lambda d: d.job_id), problems)
