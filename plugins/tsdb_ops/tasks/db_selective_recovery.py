"""db_selective_recovery's task bodies: validate, judge what the SQL steps read (unique indexes, rows present) and
log the plan, load the export into the recovery table (unless a dry run) and report the insert's counts; creating,
inserting into and dropping the recovery table are SQL steps."""

from __future__ import annotations

from typing import Any

from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run


@fail_fast_on_bad_params
def validate_params(params: dict[str, Any] | None = None, dag_run: Any = None) -> dict[str, Any]:
    from tsdb_ops.backup import selective_recovery

    return selective_recovery.validate_selective_recovery_params(params or {}, dag_run.run_after)


@fail_fast_on_bad_params
def check_recovery_plan(validated: dict[str, Any], unique_indexes: list[dict[str, Any]],
                        rows_present: list[dict[str, Any]]) -> dict[str, Any]:
    """A decision: no unique index, no recovery (the table would get duplicates); logs the plan."""
    from tsdb_ops.backup import selective_recovery

    return selective_recovery.check_recovery_plan(validated, unique_indexes, rows_present)


def load_export_into_recovery_table(validated: dict[str, Any]) -> int:
    """A Python step: the export is a file of this machine, streamed into ``COPY ... FROM STDIN``."""
    from tsdb_ops.backup import selective_recovery

    skip_if_dry_run(validated, None, "load the export")
    return selective_recovery.load_export_into_recovery_table(validated)


def report_recovered_rows(validated: dict[str, Any], counts: list[dict[str, Any]]) -> dict[str, Any]:
    from tsdb_ops.backup import selective_recovery

    skip_if_dry_run(validated, None, "report the recovered rows")
    return selective_recovery.report_recovered_rows(validated, counts)
