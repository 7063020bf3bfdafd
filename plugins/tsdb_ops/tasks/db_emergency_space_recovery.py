"""db_emergency_space_recovery's task bodies: validate, report the largest chunks, drop and compress as planned.

Every line is also written to db_maintenance.log, prefixed with the DAG id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from airflow.sdk.exceptions import AirflowSkipException

from tsdb_ops import params as p
from tsdb_ops.config import load_config
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run


def _say() -> Callable[[str], None]:
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger

    return maintenance_logger(load_config(), prefix="db_emergency_space_recovery: ")


@fail_fast_on_bad_params
def validate_space_recovery_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.chunk_plan import hypertable_names, require_compression_enabled, resolve_param_hypertable

    params = params or {}
    config = load_config()
    validated: dict[str, Any] = {
        "compress_largest": p.check_positive_int(params.get("compress_largest"), "compress_largest", minimum=0),
        "drop_older_than_days": p.optional_days(params.get("drop_older_than_days"), "drop_older_than_days"),
        "dry_run": p.check_flag(params.get("dry_run"), "dry_run"),
    }
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_param_hypertable(conn, params.get("hypertable"))
        if validated["compress_largest"]:
            require_compression_enabled(conn, hypertable)
    if validated["drop_older_than_days"] is not None and not validated["dry_run"]:
        p.check_confirmation(params.get("confirm"), hypertable_names(params["hypertable"], hypertable),
                             f"dropping chunks older than {validated['drop_older_than_days']} days")
    validated["hypertable"] = str(hypertable)
    validated["sql_params"] = hypertable.params
    _say()(f"params valid: {validated}")
    return validated


def report_largest_uncompressed_chunks(validated: dict[str, Any], summary: list[dict[str, Any]],
                                       chunk_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Plan from the SQL steps' rows: the chunks to drop (when asked) and the largest closed ones to compress."""
    from tsdb_ops.maintenance.space_recovery import plan_as_dict, plan_space_recovery
    from tsdb_ops.timescale.compression_stats import status_from_rows

    say = _say()
    status = status_from_rows(validated["hypertable"], summary[0], chunk_rows, [])
    plan = plan_space_recovery(validated["hypertable"], status.chunks, status.taken_at, validated["compress_largest"],
                               validated["drop_older_than_days"])
    say(f"{validated['hypertable']}: {status.summary.total_bytes} bytes now, {status.summary.total_chunks} chunks "
        f"({status.summary.compressed_chunks} compressed)")
    for line in plan.lines():
        say(line)
    return plan_as_dict(plan)


def drop_listed_chunks(validated: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.space_recovery import drop_planned_chunks
    from tsdb_ops.timescale.table import table_from_text

    config = load_config()
    say = _say()
    if plan["drop_cutoff"] is None:
        raise AirflowSkipException("no drop requested (param drop_older_than_days not set)")
    skip_if_dry_run(validated, say, f"drop the {len(plan['to_drop'])} chunks listed (with confirm)")
    with db_session(config.postgres_conn_id) as conn:
        return drop_planned_chunks(conn, table_from_text(validated["hypertable"]),
                                   datetime.fromisoformat(plan["drop_cutoff"]), plan["to_drop"], config, say)


def compress_largest_chunks(validated: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.chunk_plan import compress_planned_chunks
    from tsdb_ops.timescale.chunks import Chunk

    config = load_config()
    say = _say()
    skip_if_dry_run(validated, say, f"compress the {len(plan['to_compress'])} chunks listed")
    with db_session(config.postgres_conn_id) as conn:
        run = compress_planned_chunks(conn, [Chunk.from_dict(c) for c in plan["to_compress"]], config, say)
    return {"compressed": run.compressed}

