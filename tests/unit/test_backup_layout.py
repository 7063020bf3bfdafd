"""Names of backup files, set ids from run_after, host paths of mounts, and the pre-flight verdict."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tsdb_ops.backup.layout import BackupFile, artefact_path, host_path, is_temporary, parse_backup_file, partial_path, set_id_for
from tsdb_ops.tasks.db_nightly_backup import dump_room_warning, free_space_problem


@pytest.mark.parametrize(("run_after", "tz", "expected"), [
    (datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "UTC", "20260301"),
    (datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "Europe/Berlin", "20260302"),   # 00:30 local: the next day's set
    (datetime(2026, 3, 2, 1, 0, tzinfo=UTC), "America/New_York", "20260301"),
])
def test_set_id_is_the_run_after_date_in_the_configured_time_zone(run_after, tz, expected):
    assert set_id_for(run_after, tz) == expected


def test_artefact_paths_follow_the_manifest_layout():
    assert artefact_path("database", "20260301", "mt5_trading") == "db/mt5_trading_20260301.backup"
    assert artefact_path("models", "20260301", "mt5_trading") == "models/models_20260301.tar.gz"
    assert artefact_path("configs", "20260301", "mt5_trading") == "configs/config_20260301.tar.gz"
    assert artefact_path("base_backup", "20260301", "mt5_trading") == "base/base_20260301"
    assert partial_path("base/base_20260301") == "base/.base_20260301.partial"


def test_partial_names_never_look_like_a_backup():
    partial = partial_path("db/mt5_trading_20260301.backup")
    assert partial == "db/.mt5_trading_20260301.backup.partial"
    assert parse_backup_file(partial) is None and is_temporary(partial.split("/")[1])


@pytest.mark.parametrize(("path", "expected"), [
    ("db/mt5_trading_20260301.backup", BackupFile("db/mt5_trading_20260301.backup", "database", "20260301")),
    ("models/models_20260301.tar.gz", BackupFile("models/models_20260301.tar.gz", "models", "20260301")),
    ("configs/config_20260301.tar.gz", BackupFile("configs/config_20260301.tar.gz", "configs", "20260301")),
    ("manifests/backup_20260301.json", BackupFile("manifests/backup_20260301.json", "manifest", "20260301")),
    ("base/base_20260301", BackupFile("base/base_20260301", "base_backup", "20260301")),
    ("base/base_20260301/base.tar.gz", None),         # a file of the base backup: its directory is the artefact
    ("db/notes.txt", None),
    ("models/mt5_trading_20260301.backup", None),     # right name, wrong directory
    ("db/mt5_trading_2026031.backup", None),
])
def test_only_our_artefact_names_are_parsed(path, expected):
    assert parse_backup_file(path) == expected


def test_mount_source_is_the_host_path_when_airflow_runs_in_a_container():
    assert host_path("/backups/mt5", "", "db") == "/backups/mt5/db"
    assert host_path("/opt/airflow/backups", "/srv/backups/mt5", "db") == "/srv/backups/mt5/db"


@pytest.mark.parametrize(("free", "floor", "fails"), [(10, 10, False), (9, 10, True), (0, 0, False)])
def test_preflight_fails_only_below_the_floor_and_says_what_to_do(free, floor, fails):
    problem = free_space_problem("/backups/mt5", free, floor)
    assert (problem is not None) == fails
    if fails:
        assert "backup_min_free_bytes" in problem and "nothing was written" in problem


@pytest.mark.parametrize(("free", "database", "ratio", "expected"), [
    (460, 1000, 0.46, None),               # room for the newest dump's share of the database
    (459, 1000, 0.46, 460),
    (999, 1000, None, 1000),               # no earlier dump: the database size itself
    (1000, 1000, None, None),
])
def test_preflight_warns_when_tonights_dump_is_expected_not_to_fit(free, database, ratio, expected):
    warning = dump_room_warning("/backups/mt5", free, database, ratio)
    if expected is None:
        assert warning is None
    else:
        assert warning.startswith(f"WARNING: Backup volume of /backups/mt5 has {free:,} bytes free, less than tonight's "
                                  f"dump is expected to take ({expected:,} bytes: ")
        assert not [word for word in ("ERROR", "FAILED", "FATAL", "PANIC") if word in warning], "not a monitor error"
