"""Retention decides from a listing alone: old sets go, the newest verified sets stay, temporary files go."""

from __future__ import annotations

from datetime import date

import pytest

from tsdb_ops.backup.retention import BackupSet, plan_retention

TODAY = date(2026, 3, 20)


def backup_set(set_id: str, verified: bool = True) -> BackupSet:
    files = (f"db/mt5_{set_id}.backup", f"models/models_{set_id}.tar.gz")
    return BackupSet(set_id, verified, files + ((f"manifests/backup_{set_id}.json",) if verified else ()))


CASES = [
    # (name, sets as (set_id, verified), min_verified, expected deleted set ids, expected kept old sets)
    ("nothing old: nothing deleted", [("20260319", True), ("20260310", True)], 1, [], []),
    ("exactly 14 days old is kept", [("20260306", True), ("20260319", True)], 1, [], []),
    ("15 days old goes when newer verified sets suffice", [("20260305", True), ("20260319", True)], 1, ["20260305"], []),
    ("only old sets: the newest verified one stays", [("20260101", True), ("20260201", True)], 1, ["20260101"], ["20260201"]),
    ("only old sets, minimum 3: all three stay", [("20260101", True), ("20260115", True), ("20260201", True)], 3, [],
     ["20260201", "20260115", "20260101"]),
    ("unverified old sets do not count and go", [("20260101", True), ("20260201", False)], 1, ["20260201"], ["20260101"]),
    ("newest verified is old, newer unverified is recent", [("20260201", True), ("20260319", False)], 1, [], ["20260201"]),
    ("minimum 2 with one recent: the newest old verified stays",
     [("20260101", True), ("20260201", True), ("20260319", True)], 2, ["20260101"], ["20260201"]),
    ("minimum 0 still keeps the newest verified set", [("20260101", True)], 0, [], ["20260101"]),
]


@pytest.mark.parametrize(("name", "sets", "minimum", "deleted", "kept"), CASES, ids=[c[0] for c in CASES])
def test_retention_plan(name, sets, minimum, deleted, kept):
    plan = plan_retention([backup_set(s, v) for s, v in sets], [], today=TODAY, retention_days=14, min_verified_sets=minimum)
    assert plan.deleted_sets == deleted
    assert plan.kept_old_sets == kept


def test_retention_deletes_the_manifest_of_a_set_before_its_artefacts():
    plan = plan_retention([backup_set("20260101"), backup_set("20260319")], [], today=TODAY, retention_days=14,
                          min_verified_sets=1)
    assert plan.delete == ["manifests/backup_20260101.json", "db/mt5_20260101.backup", "models/models_20260101.tar.gz"]


def test_retention_deletes_temporary_files_of_dead_runs_even_when_no_set_is_old():
    temporary = ["db/.mt5_20260318.backup.partial", "manifests/.backup_20260318.json.abc.tmp"]
    plan = plan_retention([backup_set("20260319")], temporary, today=TODAY, retention_days=14, min_verified_sets=1)
    assert plan.delete == sorted(temporary) and plan.deleted_sets == []


def test_a_temporary_file_still_being_written_is_not_listed_for_deletion_but_a_dead_runs_is(tmp_path):
    """A safety dump of db_restore in flight is a .partial written to right now; retention must leave it."""
    import os
    import time

    from tsdb_ops.backup.retention import TEMPORARY_GRACE_SECONDS, list_backup_sets

    (tmp_path / "db").mkdir()
    in_flight = tmp_path / "db" / ".safety_mt5_20260319T120000.backup.partial"
    dead = tmp_path / "db" / ".mt5_20260318.backup.partial"
    in_flight.write_bytes(b"x")
    dead.write_bytes(b"x")
    now = time.time()
    os.utime(dead, (now - TEMPORARY_GRACE_SECONDS - 60,) * 2)
    _, temporary = list_backup_sets(tmp_path, now=now)
    assert temporary == ["db/.mt5_20260318.backup.partial"]


def test_a_base_backup_directory_belongs_to_its_set_and_a_dead_partial_one_is_temporary(tmp_path):
    """The physical base backup is a directory: listed with its set (retention deletes it whole), its partial
    directory of a dead run is a temporary; one whose files are still being written is left alone."""
    import os
    import time

    from tsdb_ops.backup.retention import TEMPORARY_GRACE_SECONDS, apply_retention, list_backup_sets

    now = time.time()
    old = now - TEMPORARY_GRACE_SECONDS - 60
    base = tmp_path / "base"
    for name in ("base_20260101", ".base_20260318.partial", ".base_20260319.partial"):
        (base / name).mkdir(parents=True)
        (base / name / "base.tar.gz").write_bytes(b"x")
        os.utime(base / name / "base.tar.gz", (old, old))
        os.utime(base / name, (old, old))
    os.utime(base / ".base_20260319.partial" / "base.tar.gz", (now, now))  # pg_basebackup still writing
    (base / "base_20260102").write_bytes(b"x")  # a file named like the directory artefact is not ours
    sets, temporary = list_backup_sets(tmp_path, now=now)
    assert sets == [BackupSet("20260101", False, ("base/base_20260101",))]
    assert temporary == ["base/.base_20260318.partial"]
    plan = plan_retention(sets, temporary, today=TODAY, retention_days=14, min_verified_sets=1)
    assert apply_retention(tmp_path, plan) == ["base/base_20260101", "base/.base_20260318.partial"]
    assert sorted(p.name for p in base.iterdir()) == [".base_20260319.partial", "base_20260102"]
