"""Project log files: the guide's line format, size rotation that never grows without bound."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tsdb_ops.config import OpsConfig
from tsdb_ops.logfiles import append_log_line, format_line


def test_line_has_the_guides_format():
    when = datetime(2026, 11, 28, 3, 4, 5, tzinfo=UTC)
    assert format_line("Starting database backup...", when) == "[2026-11-28 03:04:05] Starting database backup...\n"


def test_multiline_message_stays_one_line(tmp_path):
    config = OpsConfig.from_mapping({"log_dir": str(tmp_path)})
    path = append_log_line(config, "backup.log", "ERROR: dump failed\nDETAIL: disk full")
    assert re.fullmatch(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] ERROR: dump failed DETAIL: disk full\n", path.read_text())


def test_rotation_keeps_size_bounded(tmp_path):
    config = OpsConfig.from_mapping({"log_dir": str(tmp_path), "log_max_bytes": 200, "log_backup_count": 2})
    for number in range(100):
        append_log_line(config, "backup_monitor.log", f"line {number:03d} " + "x" * 20)
    files = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert files == ["backup_monitor.log", "backup_monitor.log.1", "backup_monitor.log.2"]
    assert all((tmp_path / name).stat().st_size <= 200 for name in files)
    assert "line 099" in (tmp_path / "backup_monitor.log").read_text()
