"""db_compress_symbol's task bodies: validate the params, plan from the SQL steps' rows, compress the chunks.

Whether the symbol has rows and which old chunks hold it are the DAG's SQL steps; every line is also written to
db_maintenance.log, prefixed with the DAG id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tsdb_ops import params as p
from tsdb_ops.config import load_config
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run


def _say() -> Callable[[str], None]:
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger

    return maintenance_logger(load_config(), prefix="db_compress_symbol: ")


@fail_fast_on_bad_params
def validate_compress_symbol_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """symbol, age in days, dry_run, the hypertable in the catalog with compression enabled; ``sql_params`` and
    ``identifiers`` are what the SQL steps bind and compose."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.chunk_plan import require_compression_enabled, resolve_param_hypertable
    from tsdb_ops.maintenance.compress_symbol import symbol_step_identifiers

    params = params or {}
    config = load_config()
    symbol = p.check_symbol(params.get("symbol"))
    days = p.parse_days(params.get("older_than_days"), "older_than_days")
    dry_run = p.check_flag(params.get("dry_run"), "dry_run")
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_param_hypertable(conn, params.get("hypertable"))
        require_compression_enabled(conn, hypertable)
    validated = {"hypertable": str(hypertable), "symbol": symbol, "older_than_days": days, "dry_run": dry_run}
    _say()(f"params valid: {validated}")
    return {**validated, "sql_params": {**hypertable.params, "symbol": symbol, "older_than_days": days},
            "identifiers": symbol_step_identifiers(hypertable, config)}


@fail_fast_on_bad_params
def list_chunks_holding_symbol(validated: dict[str, Any], symbol_rows: list[dict[str, Any]],
                               chunk_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Judge the SQL steps' rows: fail when the symbol has no row at all (a misspelt symbol), else log exactly the
    chunks a confirmed run compresses."""
    from tsdb_ops.maintenance.compress_symbol import plan_symbol_compression, require_symbol_rows

    say = _say()
    require_symbol_rows(symbol_rows, validated["hypertable"], validated["symbol"])
    plan = plan_symbol_compression(validated["hypertable"], validated["symbol"], validated["older_than_days"],
                                   chunk_rows)
    for line in plan.lines():
        say(line)
    say("Compressing a chunk compresses every symbol in its time range, not only " + validated["symbol"])
    return plan.as_dict()


def compress_listed_chunks(validated: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """A loop, one chunk per transaction (short locks, work kept on failure), so a Python task; skipped in a dry
    run (checked here: clearing this task of a dry run does not make it act)."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.chunk_plan import compress_planned_chunks
    from tsdb_ops.timescale.chunks import Chunk

    config = load_config()
    say = _say()
    skip_if_dry_run(validated, say, f"compress the {len(plan['to_compress'])} chunks listed")
    with db_session(config.postgres_conn_id) as conn:
        run = compress_planned_chunks(conn, [Chunk.from_dict(c) for c in plan["to_compress"]], config, say)
    return {"compressed": run.compressed}

