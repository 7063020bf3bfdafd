"""backup.log is read from where the previous check stopped, including the tail of a file rotated since."""

from __future__ import annotations

from pathlib import Path

from tsdb_ops.monitor.log_scan import read_new_lines


def append(path: Path, text: str) -> None:
    with open(path, "a") as handle:
        handle.write(text)


def test_only_lines_added_since_the_previous_check_are_returned(tmp_path):
    log = tmp_path / "backup.log"
    log.write_text("[2026-11-28 02:00:00] Starting database backup...\n")
    assert read_new_lines(log, tmp_path) == ["[2026-11-28 02:00:00] Starting database backup..."]
    append(log, "[2026-11-28 02:05:00] ERROR: pg_dump failed\n")
    assert read_new_lines(log, tmp_path) == ["[2026-11-28 02:05:00] ERROR: pg_dump failed"]
    assert read_new_lines(log, tmp_path) == []


def test_a_partial_last_line_waits_for_the_next_check(tmp_path):
    log = tmp_path / "backup.log"
    log.write_text("[2026-11-28 02:00:00] ERR")
    assert read_new_lines(log, tmp_path) == []
    append(log, "OR: disk full\n")
    assert read_new_lines(log, tmp_path) == ["[2026-11-28 02:00:00] ERROR: disk full"]


def test_lines_written_before_a_rotation_are_read_from_the_rotated_file(tmp_path):
    log = tmp_path / "backup.log"
    log.write_text("[2026-11-28 02:00:00] Starting database backup...\n")
    read_new_lines(log, tmp_path)
    append(log, "[2026-11-28 02:01:00] ERROR: Backup task dump_database failed\n")
    log.rename(tmp_path / "backup.log.1")  # logfiles' rotation: rename, then a new file
    log.write_text("[2026-11-28 02:02:00] Starting models backup...\n")
    assert read_new_lines(log, tmp_path) == ["[2026-11-28 02:01:00] ERROR: Backup task dump_database failed",
                                             "[2026-11-28 02:02:00] Starting models backup..."]


def test_a_file_truncated_in_place_is_read_from_its_start(tmp_path):
    log = tmp_path / "backup.log"
    log.write_text("[2026-11-28 02:00:00] a long first line of the old file\n")
    read_new_lines(log, tmp_path)
    with open(log, "w") as handle:
        handle.write("[2026-11-29 02:00:00] ERROR: x\n")
    assert read_new_lines(log, tmp_path) == ["[2026-11-29 02:00:00] ERROR: x"]
