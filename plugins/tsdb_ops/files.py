"""Files of the package and of the operations: SQL templates, atomic writes, content hashes.

One place for each: an SQL file is read by name below ``include/sql`` (``TSDB_OPS_SQL_DIR`` where the package is
deployed elsewhere); a report, manifest or state file is written to a temporary name, fsynced and renamed, so a
crash never leaves a truncated file that looks complete; a backup file is identified by its sha256.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = Path(os.environ.get("TSDB_OPS_SQL_DIR", PROJECT_ROOT / "include" / "sql"))


def sql_file(relative: str) -> Path:
    """Path of an SQL template below include/sql, failing loudly when it is missing."""
    path = SQL_DIR / relative
    if not path.is_file():
        raise FileNotFoundError(f"SQL template {relative} not found under {SQL_DIR}; set TSDB_OPS_SQL_DIR")
    return path


def read_sql(relative: str) -> str:
    return sql_file(relative).read_text()


def write_atomically(path: Path, data: bytes, mode: int = 0o640) -> None:
    """Write to a temporary file in the same directory, fsync, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file's content, read in 1 MiB blocks (multi-GB dumps never sit in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
