"""db_recompress_inefficient's task bodies: validate, list the chunks that compressed poorly, recompress them.

Every line is also written to db_maintenance.log, prefixed with the DAG id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tsdb_ops import params as p
from tsdb_ops.config import load_config
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run


def _say() -> Callable[[str], None]:
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger

    return maintenance_logger(load_config(), prefix="db_recompress_inefficient: ")


@fail_fast_on_bad_params
def validate_recompress_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.chunk_plan import require_compression_enabled, resolve_param_hypertable

    params = params or {}
    config = load_config()
    validated: dict[str, Any] = {
        "max_saved_percent": p.check_percent(params.get("max_saved_percent"), "max_saved_percent"),
        "min_chunk_bytes": p.check_positive_int(params.get("min_chunk_bytes"), "min_chunk_bytes", minimum=0),
        "dry_run": p.check_flag(params.get("dry_run"), "dry_run"),
    }
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_param_hypertable(conn, params.get("hypertable"))
        require_compression_enabled(conn, hypertable)
    validated["hypertable"] = str(hypertable)
    validated["sql_params"] = hypertable.params
    _say()(f"params valid: {validated}")
    return validated


def list_inefficient_chunks(validated: dict[str, Any], chunk_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Judge the chunks of the SQL step ``read_chunk_compression``: the ones that compressed poorly."""
    from tsdb_ops.maintenance.recompress import inefficient_chunks
    from tsdb_ops.timescale.compression_stats import chunk_statuses

    say = _say()
    chunks = chunk_statuses(chunk_rows)
    found = inefficient_chunks(chunks, validated["max_saved_percent"], validated["min_chunk_bytes"])
    compressed = sum(c.is_compressed for c in chunks)
    say(f"{validated['hypertable']}: {len(found)} of {compressed} compressed chunks larger than "
        f"{validated['min_chunk_bytes']} bytes saved less than {validated['max_saved_percent']:g} %"
        + (" and will be decompressed and compressed again, one per transaction:" if found else ""))
    for candidate in found:
        say(f"  recompress {candidate.line()}")
    return [candidate.__dict__ for candidate in found]


def recompress_listed_chunks(validated: dict[str, Any], plan: list[dict[str, Any]]) -> dict[str, Any]:
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.recompress import RecompressCandidate, compare_after, recompress_chunks
    from tsdb_ops.timescale.compression_stats import compression_status
    from tsdb_ops.timescale.table import table_from_text

    config = load_config()
    say = _say()
    skip_if_dry_run(validated, say, f"recompress the {len(plan)} chunks listed")
    candidates = [RecompressCandidate(**c) for c in plan]
    with db_session(config.postgres_conn_id) as conn:
        result = recompress_chunks(conn, candidates, config, say)
        status = compression_status(conn, table_from_text(validated["hypertable"]), config.timeframe_column)
    for line in compare_after(candidates, status.chunks):
        say(line)
    return result

