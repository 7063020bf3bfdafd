"""db_selective_recovery's task bodies: validate and plan, then (unless a dry run) a recovery table loaded from the
export, the missing rows inserted, and the recovery table dropped as a teardown."""

from __future__ import annotations

from typing import Any

from tsdb_ops.backup import selective_recovery
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run


@fail_fast_on_bad_params
def validate_params(params: dict[str, Any] | None = None, dag_run: Any = None) -> dict[str, Any]:
    return selective_recovery.validate_selective_recovery_params(params or {}, dag_run.run_after)


def create_recovery_table(validated: dict[str, Any]) -> str:
    skip_if_dry_run(validated, None, "create the recovery table")
    return selective_recovery.create_recovery_table(validated)


def load_export_into_recovery_table(validated: dict[str, Any]) -> int:
    skip_if_dry_run(validated, None, "load the export")
    return selective_recovery.load_export_into_recovery_table(validated)


def insert_missing_rows(validated: dict[str, Any]) -> dict[str, Any]:
    skip_if_dry_run(validated, None, "insert the missing rows")
    return selective_recovery.insert_missing_rows(validated)


def drop_recovery_table(validated: dict[str, Any]) -> None:
    selective_recovery.drop_recovery_table(validated)
