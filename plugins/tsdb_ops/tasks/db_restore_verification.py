"""db_restore_verification's task bodies: the newest verified set and the plan of its test restore, then (after
the SQL steps prepared the scratch database and the container restored the dump) restore mode ended with the jobs
unscheduled, and the comparison; the scratch database is created and dropped by SQL steps."""

from __future__ import annotations

from typing import Any

from tsdb_ops.config import load_config


def find_newest_verified_backup() -> dict[str, Any]:
    """The newest verified set and the plan of the SQL steps that prepare the scratch database; refused when
    restore_scratch_database is the connection's own database, before anything is dropped or created."""
    from tsdb_ops.backup import restore_check
    from tsdb_ops.db import database_login

    config = load_config()
    return restore_check.plan_test_restore(config, database_login(config.postgres_conn_id).dbname)


def end_timescaledb_restore(backup: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A Python step: whether the database is still in restore mode and where TimescaleDB keeps its job table decide
    the statements, run in one transaction (restore_steps.end_restore_mode)."""
    from tsdb_ops.backup import restore_steps

    config = load_config()
    return restore_steps.end_restore_mode(config.postgres_conn_id, config.restore_scratch_database,
                                          backup["timescaledb_version"])


def compare_with_manifest(backup: dict[str, Any], dumped_jobs: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A Python step: the tables to count are read from the restored catalog (one query per table, its name composed
    as an identifier), all in one snapshot with the jobs, then judged against the manifest."""
    from tsdb_ops.backup import restore_check

    return restore_check.verify_restored_database(load_config(), backup, dumped_jobs)
