"""The restored jobs: what the verification requires of them, and when each goes back on its schedule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from tsdb_ops.backup.manifest import JobRecord
from tsdb_ops.backup.restored_jobs import (
    RESTART_GRACE,
    START_SPACING,
    RestoredJob,
    compare_jobs,
    plan_job_schedules,
)

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
DAY = 86400.0
RETENTION = RestoredJob(1001, "_timescaledb_functions.policy_retention", "public.market_data", False, DAY, 0)
COMPRESSION = RestoredJob(1000, "_timescaledb_functions.policy_compression", "public.market_data", False, DAY / 2, 0)
REORDER = RestoredJob(1002, "_timescaledb_functions.policy_reorder", "public.market_data", False, 3.5 * DAY, 0)
RESTORED = [COMPRESSION, RETENTION, REORDER]


def record(job: RestoredJob, next_start: str | None, scheduled: bool = True) -> JobRecord:
    return JobRecord(job.job_id, job.proc, job.hypertable, scheduled, next_start)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def starts(plan) -> dict[int, str | None]:
    return {d.job_id: d.next_start for d in plan.decisions}


def test_recorded_future_starts_are_kept_and_paused_jobs_stay_paused():
    recorded = [record(COMPRESSION, iso(NOW + timedelta(hours=5))), record(RETENTION, iso(NOW + timedelta(hours=1))),
                record(REORDER, iso(NOW + timedelta(hours=2)), scheduled=False)]
    plan = plan_job_schedules(recorded, RESTORED, None, NOW)
    assert starts(plan) == {1000: iso(NOW + timedelta(hours=5)), 1001: iso(NOW + timedelta(hours=1)), 1002: None}
    assert [d.scheduled for d in plan.decisions] == [True, True, False] and plan.problems == []


def test_a_passed_start_moves_to_its_next_slot_on_the_jobs_schedule():
    passed = NOW - timedelta(days=6, hours=3)  # daily retention: slots at 09:00; 09:00 today has passed too
    plan = plan_job_schedules([record(RETENTION, iso(passed))], [RETENTION], None, NOW)
    assert starts(plan) == {1001: iso(NOW + timedelta(hours=21))}
    assert "has passed: its next slot" in plan.decisions[0].reason


def test_a_start_closer_than_the_grace_counts_as_passed():
    soon = NOW + RESTART_GRACE - timedelta(minutes=1)
    plan = plan_job_schedules([record(RETENTION, iso(soon))], [RETENTION], None, NOW)
    assert starts(plan) == {1001: iso(soon + timedelta(days=1))}


@pytest.mark.parametrize("recorded_start", [None, "-infinity"])
def test_a_job_without_a_recorded_start_waits_one_schedule_interval(recorded_start):
    plan = plan_job_schedules([record(RETENTION, recorded_start)], [RETENTION], None, NOW)
    assert starts(plan) == {1001: iso(NOW + timedelta(days=1))}


def test_an_infinite_start_is_kept():
    plan = plan_job_schedules([record(RETENTION, "infinity")], [RETENTION], None, NOW)
    assert starts(plan) == {1001: "infinity"} and plan.decisions[0].scheduled


def test_jobs_never_start_together_even_when_recorded_so():
    same = iso(NOW + timedelta(hours=1))
    plan = plan_job_schedules([record(job, same) for job in RESTORED], RESTORED, None, NOW)
    assert starts(plan) == {1000: same, 1001: iso(NOW + timedelta(hours=1) + START_SPACING),
                            1002: iso(NOW + timedelta(hours=1) + 2 * START_SPACING)}


def test_no_restored_job_is_due_within_the_grace_whatever_was_recorded():
    recorded = [record(COMPRESSION, iso(NOW - timedelta(days=30))), record(RETENTION, "-infinity"),
                record(REORDER, iso(NOW + timedelta(minutes=1)))]
    plan = plan_job_schedules(recorded, RESTORED, None, NOW)
    times = sorted(datetime.fromisoformat(s) for s in starts(plan).values())
    assert times[0] >= NOW + RESTART_GRACE
    assert all(later - earlier >= START_SPACING for earlier, later in pairwise(times))


def test_format_1_manifest_takes_the_dumps_scheduled_flags_and_waits_one_interval():
    plan = plan_job_schedules(None, RESTORED, {1000: True, 1001: True, 1002: False}, NOW)
    assert starts(plan) == {1000: iso(NOW + timedelta(hours=12)), 1001: iso(NOW + timedelta(days=1)), 1002: None}
    assert plan.problems == [] and "format 1" in plan.decisions[0].reason


def test_format_1_manifest_without_the_dumps_flags_keeps_every_job_unscheduled_and_says_so():
    plan = plan_job_schedules(None, RESTORED, None, NOW)
    assert starts(plan) == {1000: None, 1001: None, 1002: None}
    assert len(plan.problems) == 3 and "resume it once the data is checked" in plan.problems[0]


def test_jobs_that_do_not_match_the_record_stay_unscheduled_and_are_named():
    other = replace(REORDER, hypertable="analytics.signals")
    extra = RestoredJob(1007, "public.my_action", None, False, 3600.0, 0)
    recorded = [record(COMPRESSION, iso(NOW + timedelta(hours=1))), record(RETENTION, iso(NOW + timedelta(hours=2))),
                record(REORDER, iso(NOW + timedelta(hours=3)))]
    plan = plan_job_schedules(recorded, [COMPRESSION, other, extra], None, NOW)
    assert starts(plan) == {1000: iso(NOW + timedelta(hours=1)), 1002: None, 1007: None}
    assert plan.problems == [
        "job 1001 (policy_retention on public.market_data): recorded in the manifest but not in the restored database",
        "job 1002 (policy_reorder on analytics.signals): the manifest records job 1002 as "
        "_timescaledb_functions.policy_reorder on public.market_data",
        "job 1007 (my_action): not recorded in the manifest",
    ]


@pytest.mark.parametrize(("restored", "dumped", "keys"), [
    (RESTORED, {1000: True, 1001: True, 1002: False}, []),
    (RESTORED, None, []),
    ([COMPRESSION, replace(RETENTION, total_runs=1), REORDER], None, ["restore_check.job_1001.ran"]),
    ([COMPRESSION, replace(RETENTION, scheduled=True), REORDER], None, ["restore_check.job_1001.scheduled"]),
    ([COMPRESSION, REORDER], None, ["restore_check.job_1001.missing"]),
    ([COMPRESSION, replace(RETENTION, proc="_timescaledb_functions.policy_compression"), REORDER], None,
     ["restore_check.job_1001.differs"]),
    ([*RESTORED, RestoredJob(1003, "public.my_action", None, False, 60.0, 0)], None, ["restore_check.job_1003.unexpected"]),
    (RESTORED, {1000: True, 1001: False, 1002: False}, ["restore_check.job_1001.scheduled_differs"]),
])
def test_verification_requires_the_recorded_jobs_unscheduled_and_never_run(restored, dumped, keys):
    recorded = [record(COMPRESSION, None), record(RETENTION, None), record(REORDER, None, scheduled=False)]
    findings = compare_jobs(recorded, restored, dumped)
    assert [f.key for f in findings] == keys and all(f.severity == "critical" for f in findings)


def test_verification_of_a_format_1_manifest_still_requires_unscheduled_jobs_that_never_ran():
    assert compare_jobs(None, RESTORED, None) == []
    assert [f.key for f in compare_jobs(None, [replace(RETENTION, total_runs=2)], None)] == ["restore_check.job_1001.ran"]
