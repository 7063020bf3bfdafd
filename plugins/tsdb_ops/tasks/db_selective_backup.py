"""db_selective_backup's task bodies: validate the params and plan the files, then write the time-range exports
(skipped in a dry run); the table dumps run in a container (tasks.containers).

No step here is a SQL operator task, by the rule that a loop or a decision stays Python: the validation's catalog
reads decide whether the run may go on (a bad param fails at once, before anything is read or written), and an
export streams ``COPY ... TO STDOUT`` into a ``.partial`` file, reads it back and renames it, which a
``SQLExecuteQueryOperator`` (rows into XCom) cannot do."""

from __future__ import annotations

from typing import Any

from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run


@fail_fast_on_bad_params
def validate_params(params: dict[str, Any] | None = None, dag_run: Any = None) -> dict[str, Any]:
    from tsdb_ops.backup import selective_backup

    return selective_backup.validate_selective_backup_params(params or {}, dag_run.run_after)


def export_time_ranges(validated: dict[str, Any]) -> list[dict[str, Any]]:
    from tsdb_ops.backup import selective_backup

    skip_if_dry_run(validated, None, "write the exports")
    return selective_backup.export_time_ranges(validated)
