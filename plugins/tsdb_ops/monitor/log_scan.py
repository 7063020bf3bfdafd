"""New lines of backup.log since the last check: a remembered byte offset, reset when the file was rotated."""

from __future__ import annotations

import json
from pathlib import Path

from tsdb_ops.backup.manifest import write_atomically

OFFSET_FILE = ".backup_log_offset.json"


def read_new_lines(log_path: Path, state_dir: Path) -> list[str]:
    """Lines appended to ``log_path`` since the previous call; the whole file the first time or after rotation."""
    state_file = state_dir / OFFSET_FILE
    try:
        state = json.loads(state_file.read_text())
    except (OSError, ValueError):
        state = {}
    if not log_path.exists():
        return []
    stat = log_path.stat()
    offset = state.get("offset", 0)
    if state.get("inode") != stat.st_ino or stat.st_size < offset:
        offset = 0  # rotated (backup.log -> backup.log.1) or truncated: the current file is all new
    with open(log_path, "rb") as handle:
        handle.seek(offset)
        data = handle.read()
    # Keep a partial last line for the next run.
    complete = data[: data.rfind(b"\n") + 1]
    write_atomically(state_file, json.dumps({"inode": stat.st_ino, "offset": offset + len(complete)}).encode())
    return complete.decode(errors="replace").splitlines()
