"""db_policy_setup's task bodies: resolve the hypertable, plan from the state the SQL steps read, apply on request.

Reading the compression settings, unique indexes and policy jobs are SQL steps of the DAG; these bodies are the
decision (the drift) and the loop that changes the database. Every step is also written to db_maintenance.log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow.sdk.exceptions import AirflowSkipException

from tsdb_ops.config import load_config


def _say() -> Callable[[str], None]:
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger

    return maintenance_logger(load_config(), prefix="policy setup: ")


def resolve_hypertable() -> dict[str, Any]:
    """The configured hypertable, resolved in the catalog: the bind parameters of the SQL steps that read its state."""
    from tsdb_ops.db import db_session
    from tsdb_ops.timescale.jobs import policy_job_params
    from tsdb_ops.timescale.table import resolve_table

    config = load_config()
    with db_session(config.postgres_conn_id) as conn:
        return policy_job_params(resolve_table(conn, config.hypertable))


def plan_policy_changes(hypertable: dict[str, Any], settings: list[dict[str, Any]], indexes: list[dict[str, Any]],
                        jobs: list[dict[str, Any]]) -> dict[str, Any]:
    """The drift between the configuration and the state the three SQL steps read (a decision, so a Python task);
    logged line by line, the same for a dry run and an applying run."""
    from tsdb_ops.maintenance.policy_setup import actual_policies_from_rows, policy_drift

    say = _say()
    drift = policy_drift(load_config(), actual_policies_from_rows(settings, indexes, jobs),
                         f"{hypertable['schema']}.{hypertable['table']}")
    for line in drift.lines():
        say(line)
    return drift.as_dict()


def apply_policy_changes(drift: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Apply the planned changes only when the run's params say apply=true (checked here: clearing this task of a
    dry run must not make it act). A Python task, not SQL steps: a loop over a plan whose length and statements
    depend on the drift (compression settings are an ALTER TABLE on identifiers, composed with sql.Identifier),
    each change in its own transaction, then read again and applied until no drift is left."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.policy_setup import PolicyDrift
    from tsdb_ops.maintenance.policy_setup import apply_policy_changes as apply
    from tsdb_ops.timescale.table import table_from_text

    config = load_config()
    say = _say()
    planned = PolicyDrift.from_dict(drift)
    if (params or {}).get("apply") is not True:
        say(planned.dry_run_line())
        raise AirflowSkipException("dry run: apply=true not given")
    with db_session(config.postgres_conn_id) as conn:
        return apply(conn, table_from_text(planned.hypertable), config, planned.changes, say)
