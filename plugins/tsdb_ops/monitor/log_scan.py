"""New lines of backup.log since the last check: a remembered (inode, byte offset), surviving rotation.

logfiles rotates by renaming (backup.log -> backup.log.1 -> ...), so the file read last time keeps its inode
under a new name: its unread tail is read there first, then the new backup.log from its start. A partial last
line is left for the next run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tsdb_ops.files import write_atomically

OFFSET_FILE = ".backup_log_offset.json"


def _complete_lines(path: Path, offset: int) -> tuple[list[str], int, int]:
    """Complete lines of ``path`` from ``offset``; the offset after the last of them; the inode read."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read()
        inode = os.fstat(handle.fileno()).st_ino
    complete = data[: data.rfind(b"\n") + 1]
    return complete.decode(errors="replace").splitlines(), offset + len(complete), inode


def _rotated_copy(log_path: Path, inode: int) -> Path | None:
    """The rotated file (backup.log.N) that still has the inode read last time."""
    for candidate in sorted(log_path.parent.glob(f"{log_path.name}.*")):
        try:
            if candidate.stat().st_ino == inode:
                return candidate
        except OSError:
            continue
    return None


def read_new_lines(log_path: Path, state_dir: Path) -> list[str]:
    """Lines appended to ``log_path`` since the previous call; the whole file the first time."""
    state_file = state_dir / OFFSET_FILE
    try:
        state = json.loads(state_file.read_text())
    except (OSError, ValueError):
        state = {}
    if not log_path.exists():
        return []
    inode, offset = state.get("inode"), state.get("offset", 0)
    lines: list[str] = []
    stat = log_path.stat()
    if inode != stat.st_ino:
        rotated = _rotated_copy(log_path, inode) if inode is not None else None
        if rotated is not None and rotated.stat().st_size >= offset:
            lines += _complete_lines(rotated, offset)[0]
        offset = 0
    elif stat.st_size < offset:
        offset = 0  # truncated in place: all of it is new
    new_lines, offset, inode = _complete_lines(log_path, offset)
    write_atomically(state_file, json.dumps({"inode": inode, "offset": offset}).encode())
    return lines + new_lines
