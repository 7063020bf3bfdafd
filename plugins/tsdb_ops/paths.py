"""Where the package's non-Python files live (SQL templates), wherever the package is deployed."""

from __future__ import annotations

import os
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
