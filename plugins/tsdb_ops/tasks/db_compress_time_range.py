"""db_compress_time_range's task bodies: validate the params, compress exactly the chunks the SQL step listed.

Listing the chunks is a plain catalog query, run as the DAG's SQL step; every line is also written to
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

    return maintenance_logger(load_config(), prefix="db_compress_time_range: ")


def _optional_time(value: Any, name: str, timezone: str) -> str | None:
    return None if value in (None, "") else p.parse_time(value, name, timezone).isoformat()


@fail_fast_on_bad_params
def validate_compress_time_range_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """start/end as ISO dates or timestamps (empty: no bound), start before end, the hypertable in the catalog with
    compression enabled. The result is also the SQL step's bind parameters."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.chunk_plan import require_compression_enabled, resolve_param_hypertable

    params = params or {}
    config = load_config()
    start = _optional_time(params.get("start"), "start", config.timezone)
    end = _optional_time(params.get("end"), "end", config.timezone)
    if start and end and p.parse_time(start, "start", config.timezone) >= p.parse_time(end, "end", config.timezone):
        raise p.ParamError(f"params start={params.get('start')!r} and end={params.get('end')!r} give an empty range "
                           f"({start} is not before {end}): the range is start <= time < end")
    dry_run = p.check_flag(params.get("dry_run"), "dry_run")
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_param_hypertable(conn, params.get("hypertable"))
        require_compression_enabled(conn, hypertable)
    validated = {"hypertable": str(hypertable), "schema": hypertable.schema, "table": hypertable.name,
                 "start": start, "end": end, "dry_run": dry_run}
    _say()(f"params valid: {validated}")
    return validated


def compress_listed_chunks(validated: dict[str, Any], listed: list[dict[str, Any]]) -> dict[str, Any]:
    """Log the chunks the SQL step listed; unless a dry run, compress exactly those, one per transaction."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.chunk_plan import compress_planned_chunks, describe_chunk
    from tsdb_ops.timescale.distribution import chunks_from_rows

    config = load_config()
    say = _say()
    chunks = chunks_from_rows(listed)
    start, end = validated["start"] or "the oldest chunk", validated["end"] or "the newest chunk"
    say(f"{validated['hypertable']}: {len(chunks)} uncompressed chunks lie within [{start}, {end}) "
        "(every symbol and timeframe of their time range is compressed)")
    for chunk in chunks:
        say(f"  compress {describe_chunk(chunk)}")
    skip_if_dry_run(validated, say, f"compress the {len(chunks)} chunks listed")
    with db_session(config.postgres_conn_id) as conn:
        run = compress_planned_chunks(conn, chunks, config, say)
    return {"compressed": run.compressed}
