"""db_restore's task bodies: validate and plan, then (unless a dry run) prepare, end restore mode, compare, and
give the restored jobs back their state; the container steps are in tasks.containers."""

from __future__ import annotations

from typing import Any

from tsdb_ops.backup import restore
from tsdb_ops.config import load_config
from tsdb_ops.tasks.manual_runs import skip_if_dry_run


def validate_params(params: dict[str, Any] | None = None, dag_run: Any = None) -> dict[str, Any]:
    return restore.validate_restore_params(params or {}, dag_run.run_after)


def prepare_target_database(validated: dict[str, Any]) -> None:
    skip_if_dry_run(validated, None, "prepare the target database")
    restore.prepare_target_database(validated)


def end_timescaledb_restore(validated: dict[str, Any]) -> list[dict[str, Any]] | None:
    skip_if_dry_run(validated, None, "run timescaledb_post_restore()")
    return restore.end_timescaledb_restore(validated)


def compare_with_manifest(validated: dict[str, Any], dumped_jobs: list[dict[str, Any]] | None) -> dict[str, Any]:
    skip_if_dry_run(validated, None, "compare the restored tables")
    return restore.compare_restored_tables(load_config(), validated, dumped_jobs)


def reschedule_restored_jobs(validated: dict[str, Any], dumped_jobs: list[dict[str, Any]] | None) -> dict[str, Any]:
    skip_if_dry_run(validated, None, "put the restored jobs back")
    return restore.reschedule_restored_jobs(load_config(), validated, dumped_jobs)
