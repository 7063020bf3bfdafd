"""db_policy_setup's task body: show the policy drift, change the database only with apply=true.

Every step is also written to db_maintenance.log.
"""

from __future__ import annotations

from typing import Any

from tsdb_ops.config import load_config
from tsdb_ops.db import db_session
from tsdb_ops.maintenance.maintenance_log import maintenance_logger
from tsdb_ops.timescale.table import resolve_table


def ensure_policies(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Show the policy drift; change the database only when the run's params say apply=true."""
    apply = (params or {}).get("apply") is True
    from tsdb_ops.maintenance.policy_setup import ensure_policies as ensure

    config = load_config()
    say = maintenance_logger(config, prefix="policy setup: ")
    with db_session(config.postgres_conn_id) as conn:
        return ensure(conn, resolve_table(conn, config.hypertable), config, apply=apply, progress=say)
