"""The data distribution from TimescaleDB's metadata against exact GROUP BY counts, on the harness's TimescaleDB.

Data in a unique schema, 7-day chunks, compression segmented by symbol and ordered by timestamp: H1 bars of three
symbols over 60 days, M5 bars over the last 20 days, EURUSD M1 bars over the last 10 days; chunks ending more than
14 days ago compressed, then one row inserted into a compressed chunk (a partly compressed chunk).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from harness.market_data import create_schema, insert_bars
from tsdb_ops.maintenance.compression_report import render_report, timeline_by_day
from tsdb_ops.timescale.compression_stats import compression_status
from tsdb_ops.timescale.distribution import Distribution, data_distribution
from tsdb_ops.timescale.table import resolve_table

SYMBOLS = ("EURUSD", "GBPUSD", "XAUUSD")


@pytest.fixture
def dataset(tsdb):
    schema = f"dist_{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with tsdb.connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        create_schema(conn, hypertable=True)
        for symbol in SYMBOLS:
            insert_bars(conn, symbol, "H1", now - timedelta(days=60), now)
            insert_bars(conn, symbol, "M5", now - timedelta(days=20), now)
        insert_bars(conn, "EURUSD", "M1", now - timedelta(days=10), now)
        conn.execute("ALTER TABLE market_data SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol',"
                     " timescaledb.compress_orderby = 'timestamp')")
        conn.execute("SELECT compress_chunk(c) FROM show_chunks('market_data', older_than => %s::timestamptz) c",
                     (now - timedelta(days=14),))
        conn.execute("INSERT INTO market_data (timestamp, symbol, timeframe, open, high, low, close)"
                     " VALUES (%s, 'EURUSD', 'D1', 1, 1, 1, 1)", (now - timedelta(days=50, minutes=30),))
        conn.execute("ANALYZE market_data")
        yield {"schema": schema, "hypertable": f"{schema}.market_data"}
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _distribution(tsdb, hypertable: str) -> Distribution:
    with tsdb.connect() as conn:
        return data_distribution(conn, resolve_table(conn, hypertable), time_column="timestamp",
                                 symbol_column="symbol", timeframe_column="timeframe")


def _exact(tsdb, hypertable: str, group: str) -> dict:
    with tsdb.connect() as conn:
        rows = conn.execute(f"SELECT {group}, count(*), min(timestamp), max(timestamp) FROM {hypertable}"
                            f" GROUP BY {group}").fetchall()
    return {tuple(r[:-3]): tuple(r[-3:]) for r in rows}


def test_rows_oldest_and_newest_per_symbol_equal_exact_counts_over_compressed_and_partly_compressed_chunks(
        tsdb, dataset):
    with tsdb.connect() as conn:
        compressed = conn.execute("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = %s"
                                  " AND is_compressed", (dataset["schema"],)).fetchone()[0]
    assert compressed >= 5, "most rows must come from compressed chunks' metadata"
    distribution = _distribution(tsdb, dataset["hypertable"])
    exact = _exact(tsdb, dataset["hypertable"], "symbol")
    assert {(line.symbol,): (line.rows, line.oldest, line.newest) for line in distribution.by_symbol} == exact
    assert all(line.rows_exact and line.range_exact for line in distribution.by_symbol)
    assert distribution.rows_from_metadata > distribution.rows_read / 10
    assert distribution.rows_from_metadata + distribution.rows_read == sum(v[0] for v in exact.values())


def test_per_timeframe_lines_are_exact_where_labelled_exact_and_labelled_estimates_elsewhere(tsdb, dataset):
    distribution = _distribution(tsdb, dataset["hypertable"])
    exact = _exact(tsdb, dataset["hypertable"], "symbol, timeframe")
    pairs = {(line.symbol, line.timeframe): line for line in distribution.by_symbol_timeframe}
    assert set(pairs) == set(exact)
    for key, line in pairs.items():
        if line.rows_exact:
            assert line.rows == exact[key][0], key
        if line.range_exact:
            assert (line.oldest, line.newest) == exact[key][1:], key
    # M1 (never compressed) and the D1 row inserted into a compressed chunk are counted one by one: exact.
    assert pairs["EURUSD", "M1"].rows_exact and pairs["EURUSD", "D1"].rows_exact
    # H1 and M5 share compressed batches: their split is an estimate, labelled, and within the symbol's total.
    assert not pairs["GBPUSD", "H1"].rows_exact
    assert pairs["GBPUSD", "H1"].rows + pairs["GBPUSD", "M5"].rows == exact["GBPUSD", "H1"][0] + exact["GBPUSD", "M5"][0]
    by_timeframe = {line.timeframe: line for line in distribution.by_timeframe}
    assert sum(line.rows for line in by_timeframe.values()) == sum(v[0] for v in exact.values())


def test_bloom_filters_rule_out_timeframes_so_a_chunk_holding_one_timeframe_is_exact(tsdb, dataset):
    """Chunks older than 20 days hold only H1 bars: their bloom filters admit H1 alone, so those rows are H1."""
    with tsdb.connect() as conn:
        has_bloom = conn.execute(
            "SELECT count(*) FROM pg_attribute WHERE attname = '_ts_meta_v2_bloomh_timeframe'").fetchone()[0]
    if not has_bloom:
        pytest.skip("this TimescaleDB keeps no bloom filter on the timeframe column (added in 2.20)")
    distribution = _distribution(tsdb, dataset["hypertable"])
    exact = _exact(tsdb, dataset["hypertable"], "symbol, timeframe")
    pairs = {(line.symbol, line.timeframe): line for line in distribution.by_symbol_timeframe}
    # XAUUSD's H1 rows: old compressed chunks (only H1, exact by bloom) + newer mixed chunks (estimated).
    assert abs(pairs["XAUUSD", "H1"].rows - exact["XAUUSD", "H1"][0]) / exact["XAUUSD", "H1"][0] < 0.2
    assert pairs["XAUUSD", "H1"].oldest == exact["XAUUSD", "H1"][1]


def test_compression_report_has_the_per_day_timeline_and_the_distribution_tables(tsdb, dataset):
    distribution = _distribution(tsdb, dataset["hypertable"])
    with tsdb.connect() as conn:
        status = compression_status(conn, resolve_table(conn, dataset["hypertable"]), "timeframe")
    report = render_report(status, policy_days=7, weekly_days=30, distribution=distribution)
    days = timeline_by_day(status.chunks)
    assert len(days) == len(status.chunks)  # 7-day chunks: one chunk start per day line
    assert sum(d.compressed for d in days) == status.summary.compressed_chunks
    assert "## Timeline (per day of chunk start)" in report
    assert f"| {days[-1].day} | 1 | 1 |" in report
    assert "### Per symbol" in report and "### Per timeframe" in report and "### Per symbol and timeframe" in report
    eurusd = next(line for line in distribution.by_symbol if line.symbol == "EURUSD")
    assert f"| EURUSD | {eurusd.rows} | {eurusd.compressed_rows} |" in report
    assert "(est.)" in report and "no compressed value was read" in report
