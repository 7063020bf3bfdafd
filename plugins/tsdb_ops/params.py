"""Every check of a param given in the Airflow UI: pure functions that return clean values or raise ParamError.

Values reach SQL only as bind parameters, regclass text of a catalog-resolved table, ``sql.Identifier`` after a
catalog lookup, or a validated integer; these checks exist so that a typo or an injection attempt fails at once
with a message naming the param and the fix, before any task touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from tsdb_ops.config import identifier, qualified_identifier

MAX_DAYS = 36_500
# MetaTrader symbol names: letters and digits with the suffix marks brokers use (EURUSD.m, #AAPL, US30-Cash).
_SYMBOL = re.compile(r"^[#A-Za-z0-9][A-Za-z0-9._#+-]{0,31}$")
_DAYS_TEXT = re.compile(r"^\s*(\d{1,6})\s*(d|days?|w|weeks?)?\s*$", re.IGNORECASE)
JOB_ACTIONS = ("pause", "resume", "run_now")


class ParamError(ValueError):
    """A param of a manual run is invalid; the message names the param, the value and what is allowed."""


def parse_days(value: Any, name: str) -> int:
    """An age in whole days: an integer, or text such as ``30``, ``30 days``, ``30d`` or ``4 weeks``."""
    days: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        days = value
    elif isinstance(value, str) and (match := _DAYS_TEXT.match(value)):
        days = int(match.group(1)) * (7 if (match.group(2) or "d").lower().startswith("w") else 1)
    if days is None or not 1 <= days <= MAX_DAYS:
        raise ParamError(
            f"param {name}={value!r} is not an age in days: give a whole number of days from 1 to {MAX_DAYS} "
            "(e.g. 30, '30 days' or '4 weeks')"
        )
    return days


def optional_days(value: Any, name: str) -> int | None:
    """Like :func:`parse_days`; None or an empty string means "not set"."""
    return None if value is None or (isinstance(value, str) and not value.strip()) else parse_days(value, name)


def check_symbol(value: Any) -> str:
    if not isinstance(value, str) or not _SYMBOL.match(value):
        raise ParamError(
            f"param symbol={value!r} is not a symbol name: use 1-32 letters, digits and . _ # + - "
            "starting with a letter, digit or #, e.g. EURUSD"
        )
    return value


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ParamError(f"param {name}={value!r} must be a whole number of at least {minimum}")
    return value


def check_percent(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 100:
        raise ParamError(f"param {name}={value!r} must be a percentage above 0 and at most 100")
    return float(value)


def check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ParamError(f"param {name}={value!r} must be true or false")
    return value


def check_confirmation(confirm: Any, hypertable_names: tuple[str, ...], action: str) -> None:
    """A destructive action runs only when ``confirm`` repeats the hypertable's name (as given or schema.table)."""
    if not isinstance(confirm, str) or confirm.strip() not in hypertable_names:
        raise ParamError(
            f"{action} is destructive: set param confirm to the hypertable's name ({hypertable_names[-1]!r}) to "
            f"confirm it, after reading what a dry run lists; got confirm={confirm!r}"
        )


def parse_job_selector(value: Any) -> int | str:
    """A job id (integer, or digits as text) or a job's proc_name such as ``policy_compression``."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    if isinstance(value, str) and identifier(value.strip()) is None:
        return value.strip()
    raise ParamError(
        f"param job={value!r} is neither a job id nor a proc name: give the id (e.g. 1000) or the proc name "
        "(e.g. policy_compression) of one of the hypertable's jobs"
    )


def check_action(value: Any) -> str:
    if value not in JOB_ACTIONS:
        raise ParamError(f"param action={value!r} must be one of {list(JOB_ACTIONS)}")
    return value


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
    """A text param, stripped; empty (None: left empty in the form) is ""; anything else (a number, a list) is an
    error naming the param."""
    value = params.get(name)
    if value is None:
        return ""
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
