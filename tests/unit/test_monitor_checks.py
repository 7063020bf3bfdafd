"""Backup monitor decisions: each condition of the guide gives the right finding and severity, a healthy history none."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tsdb_ops.backup.manifest import Artefact, Manifest
from tsdb_ops.config import OpsConfig
from tsdb_ops.monitor import checks
from tsdb_ops.monitor.run_history import scheduled_fire_times
from tsdb_ops.monitor.summary import dir_growth, kind_trends, record_dir_size, render_summary, success_rate
from tsdb_ops.monitor.verification import parse_dump_listing

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CONFIG = OpsConfig()


def manifest(day: int, *, db_bytes=50_000_000, db_seconds=60.0, db_source=200_000_000, hours_ago: float | None = None,
             models_bytes=5_000_000) -> Manifest:
    finished = NOW - timedelta(hours=hours_ago) if hours_ago is not None else NOW - timedelta(days=day, hours=10)
    set_id = f"{finished:%Y%m%d}"
    return Manifest(
        set_id=set_id, run_id=f"scheduled__{set_id}", run_after=finished.isoformat(), started_at=finished.isoformat(),
        finished_at=finished.isoformat(), database="mt5_trading", server_version="15.20", timescaledb_version=None,
        artefacts=[
            Artefact("database", f"db/mt5_trading_{set_id}.backup", db_bytes, "a" * 64, db_seconds, "ok", db_source),
            Artefact("models", f"models/models_{set_id}.tar.gz", models_bytes, "b" * 64, 3.0, "ok", 20_000_000),
            Artefact("configs", f"configs/config_{set_id}.tar.gz", 2_000, "c" * 64, 0.1, "ok", 6_000),
        ],
    )


def healthy_history(days: int = 7) -> list[Manifest]:
    return [manifest(day) for day in range(days, 0, -1)] + [manifest(0, hours_ago=10)]


def keys(findings) -> list[tuple[str, str]]:
    return sorted((f.key, f.severity) for f in findings)


def all_findings(manifests, outcomes=("success",), log_lines=(), disk_percent=40.0) -> list:
    return (checks.check_freshness(manifests, NOW, CONFIG) + checks.check_sizes(manifests, CONFIG)
            + checks.check_trends(manifests, CONFIG) + checks.check_failed_runs(list(outcomes), CONFIG)
            + checks.check_log_errors(list(log_lines), CONFIG) + checks.check_disk_usage(disk_percent, "/b", CONFIG))


def test_healthy_history_raises_nothing():
    assert all_findings(healthy_history(), log_lines=["[2026-11-28 02:00:01] Backup completed successfully"]) == []


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (lambda: [*healthy_history()[:-1], manifest(0, hours_ago=26)], [("backup.configs.stale", "critical"),
                                                                          ("backup.database.stale", "critical"),
                                                                          ("backup.models.stale", "critical")]),
        (lambda: [], [("backup.configs.missing", "critical"), ("backup.database.missing", "critical"),
                      ("backup.models.missing", "critical")]),
        (lambda: [*healthy_history()[:-1], manifest(0, hours_ago=1, db_bytes=900_000, db_source=3_600_000)],
         [("backup.database.shrinking", "warning"), ("backup.database.size_change", "warning"),
          ("backup.database.too_small", "critical")]),
        (lambda: [*healthy_history()[:-1], manifest(0, hours_ago=1, db_bytes=80_000_000, db_source=320_000_000)],
         [("backup.database.size_change", "warning")]),
        (lambda: [*healthy_history()[:-1], manifest(0, hours_ago=1, db_bytes=45_000_000, db_source=180_000_000)],
         [("backup.database.shrinking", "warning")]),
        (lambda: [*healthy_history()[:-1], manifest(0, hours_ago=1, db_seconds=400)], [("backup.database.slow", "warning")]),
        (lambda: [*healthy_history()[:-1], manifest(0, hours_ago=1, db_source=900_000_000)],
         [("backup.database.compression_ratio", "warning")]),
        (lambda: [*healthy_history()[:-1], manifest(0, hours_ago=1, db_seconds=5, db_bytes=40_000_000, db_source=160_000_000)],
         [("backup.database.shrinking", "warning"), ("backup.database.suspiciously_fast", "warning")]),
    ],
    ids=["stale", "none", "tiny", "plus60", "shrinking", "slow", "ratio", "fast-and-small"],
)
def test_each_condition_gives_its_finding(history, expected):
    assert keys(all_findings(history())) == expected


def test_stale_is_judged_as_of_the_runs_hour():
    history = healthy_history()
    as_of_past = NOW - timedelta(days=3)
    in_the_past = checks.manifests_as_of(history, as_of_past)
    assert checks.check_freshness(in_the_past, as_of_past, CONFIG) == []
    assert len(in_the_past) < len(history)


@pytest.mark.parametrize(
    ("outcomes", "failures", "critical"),
    [
        (["success", "failed"], 0, False),
        (["failed", "success", "failed"], 1, False),
        (["failed", "failed", "success"], 2, True),
        (["failed", None, "failed"], 2, True),
        ([None, None], 0, False),
    ],
)
def test_consecutive_failed_runs(outcomes, failures, critical):
    assert checks.consecutive_failures(outcomes) == failures
    assert bool(checks.check_failed_runs(outcomes, CONFIG)) is critical


def test_error_lines_in_backup_log_are_critical_with_the_last_line():
    lines = ["[2026-11-28 02:00:00] Starting database backup...",
             "[2026-11-28 02:03:00] ERROR: Backup task dump_database failed: pg_dump exited 1"]
    [finding] = checks.check_log_errors(lines, CONFIG)
    assert finding.severity == "critical" and "pg_dump exited 1" in finding.message


def test_disk_over_threshold_is_critical():
    [finding] = checks.check_disk_usage(91.2, "/backups/mt5", CONFIG)
    assert (finding.key, finding.severity) == ("backup.disk.full", "critical")
    assert checks.check_disk_usage(85.0, "/backups/mt5", CONFIG) == []


def test_scheduled_fire_times_are_the_nightly_cron_in_the_configured_zone():
    times = scheduled_fire_times("0 2 * * *", datetime(2026, 11, 28, 1, 30, tzinfo=UTC), 2, "Europe/Berlin")
    # 01:30 UTC is 02:30 in Berlin: the newest fire time is that night's 02:00 Berlin = 01:00 UTC
    assert times == [datetime(2026, 11, 28, 1, 0, tzinfo=UTC), datetime(2026, 11, 27, 1, 0, tzinfo=UTC)]


def test_summary_reports_success_rate_trends_and_directory_growth():
    assert success_rate(["success", "failed", None, "success"]) == (2, 3, pytest.approx(66.67, 0.01))
    sizes = {"2026-11-21": 100_000_000, "2026-11-25": 110_000_000, "2026-11-28": 123_000_000}
    text = render_summary(healthy_history(), ["success"] * 6 + ["failed"], sizes, NOW, 7, "chart.png")
    assert "6/7 (86%)" in text and "![backup size and duration per set](chart.png)" in text
    assert "Backup directory: 123.0 MB, +23.0 MB since 2026-11-21" in text
    assert "| database | 8 | 50.00 | 50.00 | +0% | 60.0 | 60.0 |" in text


def test_kind_trends_compare_the_newest_with_the_median_before_it():
    history = [*healthy_history()[:-1], manifest(0, hours_ago=1, db_bytes=80_000_000, db_seconds=90)]
    database = next(row for row in kind_trends(history, 7) if row["kind"] == "database")
    assert (database["size_change_percent"], database["seconds"], database["median_seconds"]) == (60.0, 90, 60.0)


def test_directory_size_record_keeps_one_value_per_day_and_90_days():
    sizes = record_dir_size({"2026-08-01": 1, "2026-11-27": 5, "2026-11-28": 6}, NOW.date(), 7)
    assert sizes == {"2026-11-27": 5, "2026-11-28": 7}
    assert dir_growth(sizes, NOW.date()) == ("2026-11-27", 5)
    assert dir_growth({"2026-11-28": 7}, NOW.date()) is None


@pytest.mark.parametrize(
    ("lines", "verdicts"),
    [
        (["OK a.backup 212", "OK b.backup 9"], {"a.backup": None, "b.backup": None}),
        (["OK a.backup 0", "BAD b.backup pg_restore: error: input file is too short (read 0, expected 5)"],
         {"a.backup": "unreadable (pg_restore -l lists no entries)",
          "b.backup": "unreadable (pg_restore -l: pg_restore: error: input file is too short (read 0, expected 5))"}),
    ],
)
def test_dump_listing_gives_one_verdict_per_dump(lines, verdicts):
    assert parse_dump_listing(lines, list(verdicts)) == verdicts


def test_dump_listing_without_a_verdict_is_an_error_of_the_run_not_of_the_file():
    with pytest.raises(RuntimeError, match=r"no verdict for \['b.backup'\]"):
        parse_dump_listing(["OK a.backup 3", "sh: pg_restore: not found"], ["a.backup", "b.backup"])


def with_base_backup(m: Manifest, size_bytes: int = 300_000_000, seconds: float = 90.0) -> Manifest:
    base = Artefact("base_backup", f"base/base_{m.set_id}", size_bytes, "d" * 64, seconds, "ok", size_bytes * 3)
    return replace(m, artefacts=[*m.artefacts, base])


def test_the_base_backup_is_expected_only_while_physical_backup_is_enabled():
    enabled = replace(CONFIG, physical_backup_enabled=True)
    history = healthy_history()
    assert checks.check_freshness(history, NOW, CONFIG) == []
    assert keys(checks.check_freshness(history, NOW, enabled)) == [("backup.base_backup.missing", "critical")]
    stale = [with_base_backup(m) for m in history[:-1]] + [history[-1]]  # the newest set has none
    assert keys(checks.check_freshness(stale, NOW, enabled)) == [("backup.base_backup.stale", "critical")]
    assert checks.check_freshness([with_base_backup(m) for m in history], NOW, enabled) == []


def test_the_base_backup_has_the_database_minimum_and_its_own_trends_while_enabled():
    enabled = replace(CONFIG, physical_backup_enabled=True)
    history = [with_base_backup(m) for m in healthy_history()[:-1]] + [with_base_backup(manifest(0, hours_ago=1), 900_000)]
    assert keys(checks.check_sizes(history, enabled)) == [("backup.base_backup.too_small", "critical")]
    assert keys(checks.check_trends(history, enabled)) == [
        ("backup.base_backup.shrinking", "warning"), ("backup.base_backup.size_change", "warning")]
    assert checks.check_sizes(history, CONFIG) == checks.check_trends(history, CONFIG) == []
