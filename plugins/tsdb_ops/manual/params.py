"""Validation of the manual DAGs' params: pure functions that return clean values or raise ParamError.

Values reach SQL only as bind parameters, regclass text of a catalog-resolved table or a validated integer;
these checks exist so that a typo or an injection attempt fails at once with a message naming the param and
the fix, before any task touches the database.
"""

from __future__ import annotations

import re
from typing import Any

from tsdb_ops.config import identifier

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
