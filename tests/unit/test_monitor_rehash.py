"""The rolling re-hash schedule: which files one hourly run reads, and that every file is read once per window."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tsdb_ops.config import ConfigError, OpsConfig
from tsdb_ops.monitor.rehash import (
    REHASH_MIN_BYTES_PER_RUN,
    FileFacts,
    path_phase,
    plan_rehash,
    rehash_budget_bytes,
)

HOUR = 3600
DAY = 24 * HOUR
NOW = 1_800_000_000.0
MB = 1_000_000


@pytest.mark.parametrize(
    ("total", "days", "min_bytes", "budget"),
    [
        (0, 7, REHASH_MIN_BYTES_PER_RUN, REHASH_MIN_BYTES_PER_RUN),      # an empty set still has the minimum
        (10_000 * MB, 7, REHASH_MIN_BYTES_PER_RUN, math.ceil(10_000 * MB / 167)),  # 7 x 24 runs, one of slack
        (1_000 * MB, 7, REHASH_MIN_BYTES_PER_RUN, REHASH_MIN_BYTES_PER_RUN),  # small: the minimum covers it sooner
        (2_300, 1, 1, 100),                                                # 23 runs
        (2_300, 1 / 48, 1, 2_300),                                         # a window shorter than a run: everything
    ],
    ids=["empty", "10GB-7d", "1GB-7d-minimum", "1d", "half-hour"],
)
def test_the_budget_covers_the_total_within_the_window_but_not_less_than_the_minimum(total, days, min_bytes, budget):
    assert rehash_budget_bytes(total, days, min_bytes) == budget


CYCLE = 23 * HOUR  # 1 day, 2,300 bytes, no minimum: 100 bytes per run, 23 runs per cycle


def point_at(hours: float) -> float:
    """The phase whose points in a 23 h cycle fall at NOW + ``hours`` (and 23 h apart)."""
    return ((NOW + hours * HOUR) % CYCLE) / CYCLE


# (files, rehash_days, min_bytes, expected verify, recheck, rolling); files as (path, size, hours since the last
# read or None for unknown, "changed" / "bad" / "", hours from NOW to a point of the file's phase).
CASES = {
    "small set under the minimum: all of it, every run": (
        [("a", 10, 1, "", 5), ("b", 10, 2, "", 5), ("c", 10, 3, "", 5)], 7, REHASH_MIN_BYTES_PER_RUN,
        [], [], ["a", "b", "c"]),
    "read in the first run after its phase point": (
        [("a", 100, 5, "", -0.5), ("b", 1_100, 3, "", 0.5), ("c", 1_100, 2, "", 10)], 1, 1,
        [], [], ["a"]),
    "read at its phase point last run: not again this cycle": (
        [("a", 100, 1, "", -1.5), ("b", 1_100, 3, "", 5), ("c", 1_100, 2, "", 10)], 1, 1,
        [], [], []),
    "a file of twenty runs' bytes waits for its phase: once per cycle, not every run": (
        [("big", 2_000, 5, "", 3), ("a", 150, 2, "", -1), ("b", 150, 0.5, "", 2)], 1, 1,
        [], [], ["a"]),
    "changed files are verified and bad ones rechecked, outside the rate": (
        [("new", 500, None, "changed", 0), ("bad", 900, 0, "bad", 3), ("a", 450, 3, "", -2), ("b", 450, 22, "", 0.5)],
        1, 1, ["new"], ["bad"], ["a"]),
    "after missed runs every file a cycle past its last read is read at once": (
        [("a", 1_000, 30, "", 5), ("b", 1_000, 25, "", 10), ("c", 300, 1, "", 5)], 1, 1,
        [], [], ["a", "b"]),
    "a record without a read time is read when its phase comes round from now": (
        [("u1", 60, None, "", -0.5), ("u2", 60, None, "", -1.5), ("u3", 60, None, "", 5), ("k", 2_120, 10, "", 3)],
        1, 1, [], [], ["u1"]),
    "a read time in the future (clock set back) counts as unknown": (
        [("b_old", 100, 2, "", 4), ("a_future", 100, -50, "", -0.2), ("x", 2_100, 1, "", 6)], 1, 1,
        [], [], ["a_future"]),
}


@pytest.mark.parametrize(("files", "days", "min_bytes", "verify", "recheck", "rolling"), CASES.values(), ids=CASES.keys())
def test_which_files_one_run_reads(files, days, min_bytes, verify, recheck, rolling):
    facts = [FileFacts(path, size, changed=flag == "changed", bad=flag == "bad",
                       hashed_at=None if hours is None else NOW - hours * HOUR) for path, size, hours, flag, _ in files]
    phases = {path: point_at(point) for path, _, _, _, point in files}
    plan = plan_rehash(facts, NOW, days, min_bytes=min_bytes, phase_of=phases.__getitem__)
    assert (plan.verify, plan.recheck, plan.rolling) == (verify, recheck, rolling)


def test_phases_are_stable_and_spread_evenly():
    assert path_phase("db/mt5_trading_20261128.backup") == path_phase("db/mt5_trading_20261128.backup")
    deciles = [0] * 10
    for index in range(2_000):
        deciles[int(path_phase(f"db/mt5_trading_{index:05}.backup") * 10)] += 1
    assert min(deciles) >= 150 and max(deciles) <= 250, deciles


@dataclass
class Simulation:
    """Hourly runs of the schedule over a changing set of files; records every read of every file."""

    days: float
    min_bytes: int = REHASH_MIN_BYTES_PER_RUN
    sizes: dict[str, int] = field(default_factory=dict)
    last_read: dict[str, float | None] = field(default_factory=dict)
    born: dict[str, float] = field(default_factory=dict)
    reads: Counter = field(default_factory=Counter)
    max_gap_hours: float = 0.0
    bytes_per_run: list[int] = field(default_factory=list)

    def add(self, path: str, size: int, when: float, *, record_from_before: bool = False) -> None:
        """A new file; ``record_from_before``: recorded good, without a read time (an upgrade)."""
        self.sizes[path], self.born[path] = size, when
        if record_from_before:
            self.last_read[path] = None

    def remove(self, path: str) -> None:
        for table in (self.sizes, self.last_read, self.born):
            table.pop(path, None)

    def run(self, now: float) -> None:
        facts = [FileFacts(p, s, changed=p not in self.last_read, bad=False, hashed_at=self.last_read.get(p))
                 for p, s in self.sizes.items()]
        plan = plan_rehash(facts, now, self.days, min_bytes=self.min_bytes)
        read = {*plan.verify, *plan.recheck, *plan.rolling}
        overdue = {f.path for f in facts if f.hashed_at is not None and now - f.hashed_at >= plan.cycle_seconds}
        assert overdue <= read, overdue - read  # a file a cycle past its last read is read at the next run
        for path in read:
            previous = self.last_read.get(path)
            self.max_gap_hours = max(self.max_gap_hours, (now - (previous or self.born[path])) / HOUR)
            self.last_read[path] = now
            self.reads[path] += path in plan.rolling
        self.bytes_per_run.append(sum(self.sizes[p] for p in plan.rolling))


def backup_set(index: int) -> dict[str, int]:
    """One nightly set of realistic sizes: a 300 MB dump, 50 MB of models, a small config tarball."""
    return {f"db/mt5_trading_{index:03}.backup": 300 * MB, f"models/models_{index:03}.tar.gz": 50 * MB + index,
            f"configs/config_{index:03}.tar.gz": 10_000}


def test_every_file_is_read_once_per_cycle_and_the_cost_is_the_rate_not_the_total():
    sim = Simulation(days=7)
    for index in range(14):
        for path, size in backup_set(index).items():
            sim.add(path, size, NOW)
    sim.run(NOW)  # the first run verifies every new file
    runs = 3 * 7 * 24
    for hour in range(1, runs + 1):
        sim.run(NOW + hour * HOUR)
    total = sum(sim.sizes.values())
    rate = rehash_budget_bytes(total, 7)  # the 32 MiB minimum: a cycle of 146 runs
    assert sim.max_gap_hours <= 7 * 24
    assert set(sim.reads.values()) <= {3, 4}  # 504 runs / 146: each file three or four times, the dumps too
    assert sum(sim.bytes_per_run[1:]) / runs == pytest.approx(rate, rel=0.1)  # vs 4.9 GB when re-reading everything


def test_nightly_sets_arriving_and_expiring_keep_the_guarantee():
    sim = Simulation(days=3)
    for day in range(30):
        for path, size in backup_set(day).items():
            sim.add(path, size, NOW + day * DAY)
        for path in backup_set(day - 14):  # retention keeps 14 sets
            sim.remove(path)
        for hour in range(24):
            sim.run(NOW + day * DAY + hour * HOUR)
    assert sim.max_gap_hours <= 3 * 24


def test_a_file_of_many_runs_bytes_is_read_once_per_cycle_not_every_run():
    sim = Simulation(days=1, min_bytes=1)
    sim.add("db/huge.backup", 5_000 * MB, NOW)
    for index in range(200):
        sim.add(f"configs/small_{index:03}.tar.gz", 1 * MB, NOW)
    for hour in range(4 * 24 + 1):
        sim.run(NOW + hour * HOUR)
    assert sim.max_gap_hours <= 24
    assert sim.reads["db/huge.backup"] in (4, 5)  # a greedy budget (304 MB a run) would read it every run


def test_after_missed_runs_the_overdue_files_are_read_at_the_next_run():
    sim = Simulation(days=2, min_bytes=1)
    for index in range(48):
        sim.add(f"db/set_{index:02}.backup", 100 * MB, NOW)
    for hour in [h for h in range(6 * 24) if not 60 <= h < 90]:  # the monitor was down for 30 hours
        sim.run(NOW + hour * HOUR)  # Simulation.run asserts that every overdue file is read
    assert sim.max_gap_hours <= 2 * 24 + 30


def test_records_from_before_the_schedule_are_spread_over_a_cycle_not_read_at_once():
    sim = Simulation(days=7, min_bytes=1)
    for index in range(500):
        sim.add(f"db/set_{index:03}.backup", 10 * MB, NOW, record_from_before=True)
    for hour in range(7 * 24):
        sim.run(NOW + hour * HOUR)
    assert None not in sim.last_read.values()
    assert max(sim.bytes_per_run) <= 12 * 10 * MB  # about 3 files a run on average, never the 5 GB at once


@pytest.mark.parametrize(("value", "error"), [(0, "greater than 0"), (-1.5, "greater than 0"), ("7", "type float")])
def test_monitor_rehash_days_is_validated(value, error):
    assert OpsConfig().monitor_rehash_days == 7.0
    assert OpsConfig.from_mapping({"monitor_rehash_days": 2}).monitor_rehash_days == 2.0
    with pytest.raises(ConfigError, match=error):
        OpsConfig.from_mapping({"monitor_rehash_days": value})
