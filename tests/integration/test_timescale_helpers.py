"""The reusable TimescaleDB helpers against the harness's TimescaleDB (WASM unless TSDB_TEST_DSN is set)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from harness.market_data import load_market_data
from tsdb_ops.timescale.chunks import Chunk, compress_chunks, list_chunks
from tsdb_ops.timescale.compression_stats import compression_status
from tsdb_ops.timescale.jobs import find_policy_jobs, run_job
from tsdb_ops.timescale.table import TableError, resolve_table


@pytest.fixture
def market(tsdb):
    schema = f"ts_{uuid.uuid4().hex[:8]}"
    with tsdb.connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        load_market_data(conn, now=datetime.now(UTC), hypertable=True, h1_days=60, m1_days=2)
        conn.execute(f'ALTER TABLE "{schema}".market_data'
                     " SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol')")
    yield f"{schema}.market_data"
    with tsdb.connect() as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_resolve_hypertable_names_schema_and_rejects_non_hypertables(tsdb, market):
    with tsdb.connect() as conn:
        hypertable = resolve_table(conn, market)
        assert str(hypertable) == market
        with pytest.raises(TableError, match="is not a TimescaleDB hypertable"):
            resolve_table(conn, market.replace("market_data", "ml_predictions"))
        with pytest.raises(TableError, match="does not exist"):
            resolve_table(conn, market.replace("market_data", "no_such_table"))
        with pytest.raises(TableError, match="must be a table name"):
            resolve_table(conn, "market_data; DROP TABLE x")


def test_list_chunks_older_than_follows_show_chunks_and_qualifies_names(tsdb, market):
    with tsdb.connect() as conn:
        hypertable = resolve_table(conn, market)
        every = list_chunks(conn, hypertable)
        old = list_chunks(conn, hypertable, older_than_days=30)
        expected = {r[0] for r in conn.execute(
            "SELECT show_chunks(%s::regclass, older_than => interval '30 days')::text", (market,)).fetchall()}
    assert {c.regclass_text.replace('"', "") for c in old} == {e.replace('"', "") for e in expected}
    assert 0 < len(old) < len(every)
    assert all(c.schema == "_timescaledb_internal" for c in every)


def test_compress_chunks_one_per_transaction_keeps_work_when_one_chunk_fails(tsdb, market):
    progress: list[str] = []
    with tsdb.connect() as conn:
        hypertable = resolve_table(conn, market)
        old = list_chunks(conn, hypertable, older_than_days=30)
        bogus = Chunk("_timescaledb_internal", "no_such_chunk", None, None, False)
        run = compress_chunks(conn, [old[0], bogus, *old[1:]], lock_timeout_ms=2000, statement_timeout_ms=60000,
                              progress=progress.append)
        after = {str(c): c.is_compressed for c in list_chunks(conn, hypertable)}
    assert run.failed.keys() == {"_timescaledb_internal.no_such_chunk"}
    assert sorted(run.compressed) == sorted(str(c) for c in old)
    assert all(after[str(c)] for c in old)
    assert progress[0].startswith(f"1/{len(old) + 1} chunks:") and "NOT compressed" in progress[1]


def test_policy_jobs_are_found_by_proc_name_and_run_now(tsdb, market):
    with tsdb.connect() as conn:
        hypertable = resolve_table(conn, market)
        conn.execute("SELECT add_compression_policy(%s::regclass, interval '14 days')", (market,))
        [job] = find_policy_jobs(conn, hypertable, "compression")
        assert job.kind == "compression" and job.config["compress_after"] == "14 days"
        assert find_policy_jobs(conn, hypertable, "retention") == []
        run_job(conn, job.job_id)
        pending = [c for c in list_chunks(conn, hypertable, older_than_days=14) if not c.is_compressed]
    assert pending == []


def test_compression_status_equals_timescaledbs_own_functions(tsdb, market):
    with tsdb.connect() as conn:
        hypertable = resolve_table(conn, market)
        compress_chunks(conn, list_chunks(conn, hypertable, older_than_days=20), lock_timeout_ms=2000,
                        statement_timeout_ms=60000)
        conn.execute(f"ANALYZE {market}")
        status = compression_status(conn, hypertable, "timeframe")
        totals = conn.execute("SELECT total_chunks, number_compressed_chunks, before_compression_total_bytes,"
                              " after_compression_total_bytes FROM hypertable_compression_stats(%s::regclass)",
                              (market,)).fetchone()
        per_chunk = {f"{s}.{n}": (b, a) for s, n, b, a in conn.execute(
            "SELECT chunk_schema, chunk_name, before_compression_total_bytes, after_compression_total_bytes"
            " FROM chunk_compression_stats(%s::regclass)", (market,)).fetchall()}
        size_now = conn.execute("SELECT sum(total_bytes) FROM hypertable_detailed_size(%s::regclass)", (market,)).fetchone()
    s = status.summary
    assert (s.total_chunks, s.compressed_chunks, s.before_bytes, s.after_bytes) == totals
    assert s.total_bytes == size_now[0]
    assert {c.qualified_name: (c.before_bytes, c.after_bytes) for c in status.chunks} == per_chunk
    assert set(status.timeframe_shares) == {"H1", "M1"}
