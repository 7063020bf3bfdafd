"""The project's log files under ``log_dir`` in the guide's format: ``[YYYY-MM-DD HH:MM:SS] message``.

Files rotate by size (``log_max_bytes``, ``log_backup_count`` copies: file.1 ... file.N), so they never grow
without bound. Lines are appended with one write under an exclusive lock, so concurrent tasks do not interleave.
"""

from __future__ import annotations

import fcntl
import os
from datetime import datetime
from pathlib import Path

import pendulum

from tsdb_ops.config import OpsConfig

BACKUP_LOG = "backup.log"
MONITOR_LOG = "backup_monitor.log"
MAINTENANCE_LOG = "db_maintenance.log"
HEALTH_LOG = "db_health.log"
TASK_FAILURE_LOG = "task_failures.log"  # one line per task-failure alert, whatever the DAG


def format_line(message: str, when: datetime | None = None, timezone: str = "UTC") -> str:
    stamp = (when or pendulum.now(timezone)).strftime("%Y-%m-%d %H:%M:%S")
    return f"[{stamp}] {' '.join(message.splitlines())}\n"


def _rotate(path: Path, backup_count: int) -> None:
    for index in range(backup_count - 1, 0, -1):
        older = path.with_name(f"{path.name}.{index}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{index + 1}"))
    path.replace(path.with_name(f"{path.name}.1"))


def append_log_line(config: OpsConfig, filename: str, message: str, when: datetime | None = None) -> Path:
    """Append one line to ``log_dir/filename``, rotating the file first when it reached ``log_max_bytes``."""
    log_dir = Path(config.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / filename
    line = format_line(message, when, config.timezone).encode()
    with open(log_dir / f".{filename}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists() and path.stat().st_size + len(line) > config.log_max_bytes:
            _rotate(path, config.log_backup_count)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    return path
