"""Validation of the recovery DAGs' params: pure functions returning clean values or raising ParamError.

Names reach SQL only through psycopg ``sql.Identifier`` after these checks and a catalog lookup; times and
symbols only as bind parameters. A bad value fails the first task with a message naming the param and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from tsdb_ops.config import identifier, qualified_identifier
from tsdb_ops.manual.params import ParamError, check_symbol

SET_ID = re.compile(r"^\d{8}$")
# Databases a restore must never write into: the templates every new database is copied from.
PROTECTED_DATABASES = ("template0", "template1")
EXPORT_DIR = "selective"
MAX_TIME_TEXT = 40


@dataclass(frozen=True)
class TimeRange:
    """A half-open time range [start, end) with time zones."""

    start: datetime
    end: datetime

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> TimeRange:
        return cls(datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"]))

    def covers(self, other: TimeRange) -> bool:
        return self.start <= other.start and other.end <= self.end


def text_param(params: dict[str, Any], name: str) -> str:
    """A text param, stripped; anything else (a number, a list) is an error naming the param."""
    value = params.get(name, "")
    if not isinstance(value, str):
        raise ParamError(f"param {name}={value!r} must be text")
    return value.strip()


def check_set_id(value: Any) -> str | None:
    """A backup set id (YYYYMMDD) or None for "the newest verified set" (empty string)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and SET_ID.match(value.strip()):
        return value.strip()
    raise ParamError(f"param set_id={value!r} is not a backup set id: give YYYYMMDD (e.g. 20260302) or leave it empty "
                     "for the newest verified set")


def check_database_name(value: Any, name: str) -> str:
    """A database name that is a plain SQL identifier and not a template database."""
    if not isinstance(value, str) or identifier(value) is not None:
        raise ParamError(f"param {name}={value!r} is not a database name: use letters, digits and _ (starting with a "
                         "letter or _, at most 63 characters), e.g. mt5_trading_restored")
    if value in PROTECTED_DATABASES:
        raise ParamError(f"param {name}={value!r}: {value} is a template database; restoring into it would copy the "
                         "data into every database created later. Choose another name")
    return value


def check_table_name(value: Any, name: str) -> str:
    if not isinstance(value, str) or qualified_identifier(value.strip()) is not None:
        raise ParamError(f"param {name}={value!r} is not a table name: use table or schema.table made of letters, "
                         "digits and _, e.g. market_data")
    return value.strip()


def check_table_names(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ParamError(f"param {name}={value!r} must be a non-empty list of table names, e.g. "
                         "[\"market_data\", \"ml_predictions\"]")
    tables = [check_table_name(v, name) for v in value]
    if len(set(tables)) != len(tables):
        raise ParamError(f"param {name}={value!r} names a table twice")
    return tables


def optional_symbol(value: Any) -> str | None:
    """A symbol, or None when the param is empty (all symbols / the export's symbol)."""
    return None if value is None or value == "" else check_symbol(value)


def parse_time(value: Any, name: str, timezone: str) -> datetime:
    """An ISO 8601 date or timestamp; without a UTC offset it is taken in ``timezone`` (the configured one)."""
    if isinstance(value, str) and len(value) <= MAX_TIME_TEXT:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(timezone))
    raise ParamError(f"param {name}={value!r} is not a time: give an ISO 8601 date or timestamp such as 2026-03-01 or "
                     "2026-03-01T12:00:00+00:00 (without an offset it is taken in the configured time zone)")


def parse_time_range(start: Any, end: Any, timezone: str, *, default_end: datetime | None = None,
                     default_days: int | None = None) -> TimeRange | None:
    """[start, end) from the params. Empty params take the defaults: ``end`` = ``default_end``, ``start`` =
    ``default_days`` before the end; with no defaults, both empty means "no range" (None)."""
    if start in (None, "") and end in (None, "") and default_end is None:
        return None
    if end in (None, ""):
        if default_end is None:
            raise ParamError("param end is empty while start is set: give both start and end, or neither")
        end_time = default_end
    else:
        end_time = parse_time(end, "end", timezone)
    if start in (None, ""):
        if default_days is None:
            raise ParamError("param start is empty while end is set: give both start and end, or neither")
        start_time = end_time - timedelta(days=default_days)
    else:
        start_time = parse_time(start, "start", timezone)
    if start_time >= end_time:
        raise ParamError(f"params start={start!r} and end={end!r} give an empty range ({start_time.isoformat()} is not "
                         f"before {end_time.isoformat()}): the range is start <= time < end")
    return TimeRange(start_time, end_time)


def check_export_path(value: Any) -> str | None:
    """A selective export's manifest, relative to backup_root (``selective/<name>.json``); None when empty."""
    if value is None or value == "":
        return None
    path = PurePosixPath(value) if isinstance(value, str) else None
    if path is None or path.is_absolute() or ".." in path.parts or len(path.parts) != 2 or path.parts[0] != EXPORT_DIR \
            or path.suffix != ".json" or not re.match(r"^[A-Za-z0-9_.$-]+$", path.name):
        raise ParamError(f"param export={value!r} is not an export manifest: give its path relative to backup_root, "
                         f"like {EXPORT_DIR}/market_data_20260302T120000.json (db_selective_backup logs it), or leave it "
                         "empty for the newest export of the table")
    return str(path)
