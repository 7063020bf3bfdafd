"""The manual operations' database steps against the harness's TimescaleDB (WASM unless TSDB_TEST_DSN is set)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from psycopg.rows import dict_row

from harness.market_data import create_schema, insert_bars
from tsdb_ops.config import OpsConfig
from tsdb_ops.files import read_sql
from tsdb_ops.maintenance.chunk_plan import MaintenanceError, resolve_param_hypertable
from tsdb_ops.maintenance.compress_symbol import (
    OLD_CHUNKS_HOLDING_SYMBOL_SQL,
    SYMBOL_HAS_ROWS_SQL,
    plan_symbol_compression,
    require_symbol_rows,
    symbol_step_identifiers,
)
from tsdb_ops.maintenance.job_control import apply_job_action, plan_job_action, select_job
from tsdb_ops.maintenance.recompress import RecompressCandidate, recompress_chunks
from tsdb_ops.maintenance.space_recovery import drop_planned_chunks
from tsdb_ops.params import ParamError
from tsdb_ops.tasks.sql_steps import with_identifiers
from tsdb_ops.timescale.chunks import list_chunks
from tsdb_ops.timescale.jobs import find_policy_jobs

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def market(tsdb):
    """GBPUSD H1 bars for 8 weeks in 7-day chunks, compression enabled; yields (connection, schema.table, config)."""
    schema = f"mo_{uuid.uuid4().hex[:8]}"
    with tsdb.connect() as conn:
        conn.prepare_threshold = None
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        create_schema(conn, hypertable=True)
        insert_bars(conn, "GBPUSD", "H1", NOW - timedelta(days=56), NOW)
        conn.execute(f'ALTER TABLE "{schema}".market_data SET (timescaledb.compress,'
                     " timescaledb.compress_segmentby = 'symbol')")
        conn.execute("SET search_path TO public")
        yield conn, f"{schema}.market_data", OpsConfig.from_mapping({"hypertable": f"{schema}.market_data"})
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _symbol_step(conn, sql_file: str, hypertable, config: OpsConfig, symbol: str, days: int = 14) -> list[dict]:
    """One of db_compress_symbol's SQL steps as the operator runs it: identifiers composed, the rest bound."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(with_identifiers(read_sql(sql_file), symbol_step_identifiers(hypertable, config)),
                           {**hypertable.params, "symbol": symbol, "older_than_days": days}).fetchall()


def test_a_symbol_row_at_a_chunk_boundary_selects_only_the_chunk_that_holds_it(market):
    conn, table, config = market
    hypertable = resolve_param_hypertable(conn, table)
    old = list_chunks(conn, hypertable, older_than_days=14)
    boundary = old[2].range_start  # equal to the previous chunk's range_end: the row belongs to old[2] only
    conn.execute(f"INSERT INTO {table} (timestamp, symbol, timeframe, open, high, low, close)"
                 " VALUES (%s, 'EURUSD', 'H1', 1, 1, 1, 1)", (boundary,))
    rows = _symbol_step(conn, OLD_CHUNKS_HOLDING_SYMBOL_SQL, hypertable, config, "EURUSD")
    plan = plan_symbol_compression(str(hypertable), "EURUSD", 14, rows)
    assert [c.name for c in plan.to_compress] == [old[2].name]
    assert len(plan.without_symbol) == len(old) - 1
    assert [r["chunk_name"] for r in rows] == [c.name for c in old]
    assert all(not c.is_compressed for c in list_chunks(conn, hypertable)), "planning changes nothing"


def test_an_injection_through_symbol_or_hypertable_is_refused_and_the_table_survives(market):
    conn, table, config = market
    rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    hypertable = resolve_param_hypertable(conn, table)
    symbol = "EURUSD'; DROP TABLE market_data;--"
    with pytest.raises(ParamError, match="holds no row of this symbol"):
        require_symbol_rows(_symbol_step(conn, SYMBOL_HAS_ROWS_SQL, hypertable, config, symbol), str(hypertable), symbol)
    assert require_symbol_rows(_symbol_step(conn, SYMBOL_HAS_ROWS_SQL, hypertable, config, "GBPUSD"),
                               str(hypertable), "GBPUSD") is None
    for name in (f"{table}; DROP TABLE {table}", "market_data; drop", f"{table}'::regclass)--"):
        with pytest.raises(ParamError, match="must be a table name"):
            resolve_param_hypertable(conn, name)
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == rows


def test_drop_is_rolled_back_when_it_would_drop_a_chunk_the_plan_did_not_list(market):
    conn, table, config = market
    hypertable = resolve_param_hypertable(conn, table)
    chunks = list_chunks(conn, hypertable)
    cutoff = chunks[2].range_end
    with pytest.raises(MaintenanceError, match="would also drop chunks the plan did not list"):
        drop_planned_chunks(conn, hypertable, cutoff, [str(chunks[0])], config, lambda _: None)
    assert len(list_chunks(conn, hypertable)) == len(chunks)
    progress: list[str] = []
    dropped = drop_planned_chunks(conn, hypertable, cutoff, [str(c) for c in chunks[:3]], config, progress.append)
    assert dropped == sorted(str(c) for c in chunks[:3])
    assert [str(c) for c in list_chunks(conn, hypertable)] == [str(c) for c in chunks[3:]]
    assert progress[0].startswith("Dropped 3 chunks")


def test_recompression_keeps_the_chunk_compressed_with_every_row(market):
    conn, table, config = market
    hypertable = resolve_param_hypertable(conn, table)
    chunk = list_chunks(conn, hypertable, older_than_days=14)[0]
    conn.execute("SELECT compress_chunk(%s::regclass)", (chunk.regclass_text,))
    rows = conn.execute(f"SELECT count(*), sum(close) FROM {table}").fetchone()
    before, after = conn.execute("SELECT before_compression_total_bytes, after_compression_total_bytes"
                                 " FROM chunk_compression_stats(%s) WHERE chunk_name = %s", (table, chunk.name)).fetchone()
    result = recompress_chunks(conn, [RecompressCandidate(chunk.schema, chunk.name, before, after)], config,
                               lambda _: None)
    assert result == {"recompressed": [str(chunk)]}
    assert next(c for c in list_chunks(conn, hypertable) if c.name == chunk.name).is_compressed
    assert conn.execute(f"SELECT count(*), sum(close) FROM {table}").fetchone() == rows
    with pytest.raises(MaintenanceError, match="1 of 1 chunks were not recompressed"):
        recompress_chunks(conn, [RecompressCandidate("_timescaledb_internal", "no_such_chunk", 1, 1)], config,
                          lambda _: None)


def test_job_actions_pause_resume_and_run_the_hypertables_compression_policy(market):
    conn, table, _ = market
    hypertable = resolve_param_hypertable(conn, table)
    conn.execute("SELECT add_compression_policy(%s::regclass, interval '21 days', initial_start => now() + interval '1 day')",
                 (table,))
    job = select_job(find_policy_jobs(conn, hypertable), "policy_compression", table)
    apply_job_action(conn, plan_job_action(job, "pause"))
    assert not find_policy_jobs(conn, hypertable)[0].scheduled
    apply_job_action(conn, plan_job_action(find_policy_jobs(conn, hypertable)[0], "resume"))
    assert find_policy_jobs(conn, hypertable)[0].scheduled
    apply_job_action(conn, plan_job_action(job, "run_now"))
    compressed = {c.name for c in list_chunks(conn, hypertable) if c.is_compressed}
    assert compressed == {c.name for c in list_chunks(conn, hypertable, older_than_days=21)}
