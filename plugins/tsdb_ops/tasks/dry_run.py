"""The one dry-run rule of every manual DAG: validate and plan always, act only when the run's params say so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow.sdk.exceptions import AirflowSkipException


def skip_if_dry_run(validated: dict[str, Any], say: Callable[[str], None] | None, what: str) -> None:
    """Skip the acting task of a dry run (the plan was logged by the task before), saying how to do it for real.

    Every acting task checks the run's dry_run itself: clearing one task of a dry run must not make it act."""
    if validated["dry_run"]:
        if say is not None:
            say(f"Dry run: nothing changed. Trigger again with dry_run=false to {what}")
        raise AirflowSkipException(f"dry run: {what} not done")
