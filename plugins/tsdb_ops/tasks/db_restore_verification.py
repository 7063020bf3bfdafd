"""db_restore_verification's task bodies: the newest verified set, the scratch database prepared and (after the
container restores the dump) taken out of restore mode with its jobs unscheduled, compared, and dropped."""

from __future__ import annotations

from typing import Any

from tsdb_ops.backup import restore_check, restore_steps
from tsdb_ops.config import load_config
from tsdb_ops.db import database_login


def find_newest_verified_backup() -> dict[str, Any]:
    return restore_check.newest_verified_backup(load_config().backup_root)


def create_scratch_database(backup: dict[str, Any]) -> None:
    config = load_config()
    restore_check.create_scratch_database(config, database_login(config.postgres_conn_id), backup["timescaledb_version"])


def end_timescaledb_restore(backup: dict[str, Any]) -> list[dict[str, Any]] | None:
    config = load_config()
    return restore_steps.end_restore_mode(database_login(config.postgres_conn_id), config.restore_scratch_database,
                                          backup["timescaledb_version"])


def compare_with_manifest(backup: dict[str, Any], dumped_jobs: list[dict[str, Any]] | None) -> dict[str, Any]:
    config = load_config()
    return restore_check.verify_restored_database(config, database_login(config.postgres_conn_id), backup, dumped_jobs)


def drop_scratch_database() -> None:
    config = load_config()
    restore_check.drop_scratch_database(config, database_login(config.postgres_conn_id))
