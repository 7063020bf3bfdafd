"""db_compress_symbol's task bodies: validate the params, list the chunks holding the symbol, compress them.

Every line is also written to db_maintenance.log, prefixed with the DAG id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tsdb_ops import params as p
from tsdb_ops.config import load_config
from tsdb_ops.db import db_session
from tsdb_ops.maintenance.chunk_plan import (
    compress_planned_chunks,
    require_compression_enabled,
    resolve_param_hypertable,
)
from tsdb_ops.maintenance.maintenance_log import maintenance_logger
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run
from tsdb_ops.timescale.chunks import Chunk
from tsdb_ops.timescale.table import table_from_text


def _say() -> Callable[[str], None]:
    return maintenance_logger(load_config(), prefix="db_compress_symbol: ")


@fail_fast_on_bad_params
def validate_compress_symbol_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from tsdb_ops.maintenance.compress_symbol import require_symbol_rows

    params = params or {}
    config = load_config()
    symbol = p.check_symbol(params.get("symbol"))
    days = p.parse_days(params.get("older_than_days"), "older_than_days")
    dry_run = p.check_flag(params.get("dry_run"), "dry_run")
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_param_hypertable(conn, params.get("hypertable"))
        require_compression_enabled(conn, hypertable)
        require_symbol_rows(conn, hypertable, config, symbol)
    validated = {"hypertable": str(hypertable), "symbol": symbol, "older_than_days": days, "dry_run": dry_run}
    _say()(f"params valid: {validated}")
    return validated


def list_chunks_holding_symbol(validated: dict[str, Any]) -> dict[str, Any]:
    from tsdb_ops.maintenance.compress_symbol import plan_symbol_compression

    config = load_config()
    say = _say()
    with db_session(config.postgres_conn_id) as conn:
        plan = plan_symbol_compression(conn, table_from_text(validated["hypertable"]), config,
                                       validated["symbol"], validated["older_than_days"])
    for line in plan.lines():
        say(line)
    say("Compressing a chunk compresses every symbol in its time range, not only " + validated["symbol"])
    return plan.as_dict()


def compress_listed_chunks(validated: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    config = load_config()
    say = _say()
    skip_if_dry_run(validated, say, f"compress the {len(plan['to_compress'])} chunks listed")
    with db_session(config.postgres_conn_id) as conn:
        run = compress_planned_chunks(conn, [Chunk.from_dict(c) for c in plan["to_compress"]], config, say)
    return {"compressed": run.compressed}

