"""The rules every manual DAG shares: its common params, bad params fail at once, and the dry run (validate and
plan always, act only when the run's params say so)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from airflow.sdk import Param
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from tsdb_ops.config import parse_time_config
from tsdb_ops.params import ParamError


def fail_fast_on_bad_params(validate: Callable[..., Any]) -> Callable[..., Any]:
    """A validating task body whose ParamError fails the task at once, without the retries meant for outages:
    a typo in a param does not become right in 5 minutes. The message says what to change."""

    @functools.wraps(validate)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return validate(*args, **kwargs)
        except ParamError as error:
            raise AirflowFailException(f"ParamError: {error}") from error

    return run


def skip_if_dry_run(validated: dict[str, Any], say: Callable[[str], None] | None, what: str) -> None:
    """Skip the acting task of a dry run (the plan was logged by the task before), saying how to do it for real.

    Every acting task checks the run's dry_run itself: clearing one task of a dry run must not make it act."""
    if validated["dry_run"]:
        if say is not None:
            say(f"Dry run: nothing changed. Trigger again with dry_run=false to {what}")
        raise AirflowSkipException(f"dry run: {what} not done")


def hypertable_param(description: str = "Hypertable (schema.table or table)") -> Param:
    """The hypertable a manual run works on; the configured one by default (read at parse time, no database)."""
    return Param(parse_time_config().hypertable, title="Hypertable", section="Target", type="string",
                 description=description)


def dry_run_param(description: str) -> Param:
    """Every manual DAG starts as a dry run that logs exactly what a confirmed run does."""
    return Param(True, title="Dry run", section="Run", type="boolean", description=description)
