"""The data distribution from TimescaleDB's metadata against exact GROUP BY counts, on the harness's TimescaleDB.

Data in a unique schema, 7-day chunks, compression segmented by symbol and ordered by timestamp: H1 bars of three
symbols over 60 days, M5 bars over the last 20 days, EURUSD M1 bars over the last 10 days; chunks ending more than
14 days ago compressed, then one row inserted into a compressed chunk (a partly compressed chunk). Its uncompressed
chunks are small, so they are counted one by one; the estimate of large uncompressed chunks is tested on its own
data (``uncompressed``), taken for the estimate whatever its size.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from harness.market_data import create_schema, insert_bars
from tsdb_ops.maintenance.compression_report import render_report, timeline_by_day
from tsdb_ops.timescale.compression_stats import compression_status
from tsdb_ops.timescale.distribution import Distribution, data_distribution
from tsdb_ops.timescale.table import resolve_table

SYMBOLS = ("EURUSD", "GBPUSD", "XAUUSD")


NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@contextmanager
def _market_data_schema(tsdb, prefix: str):
    """market_data (7-day chunks) in a unique schema on the search path of the connection yielded; dropped after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with tsdb.connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        create_schema(conn, hypertable=True)
        yield conn, schema
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def dataset(tsdb):
    with _market_data_schema(tsdb, "dist") as (conn, schema):
        for symbol in SYMBOLS:
            insert_bars(conn, symbol, "H1", NOW - timedelta(days=60), NOW)
            insert_bars(conn, symbol, "M5", NOW - timedelta(days=20), NOW)
        insert_bars(conn, "EURUSD", "M1", NOW - timedelta(days=10), NOW)
        conn.execute("ALTER TABLE market_data SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol',"
                     " timescaledb.compress_orderby = 'timestamp')")
        conn.execute("SELECT compress_chunk(c) FROM show_chunks('market_data', older_than => %s::timestamptz) c",
                     (NOW - timedelta(days=14),))
        conn.execute("INSERT INTO market_data (timestamp, symbol, timeframe, open, high, low, close)"
                     " VALUES (%s, 'EURUSD', 'D1', 1, 1, 1, 1)", (NOW - timedelta(days=50, minutes=30),))
        conn.execute("ANALYZE market_data")
        yield {"schema": schema, "hypertable": f"{schema}.market_data"}


def _distribution(tsdb, hypertable: str, **options) -> Distribution:
    with tsdb.connect() as conn:
        return data_distribution(conn, resolve_table(conn, hypertable), time_column="timestamp",
                                 symbol_column="symbol", timeframe_column="timeframe", **options)


def _status(tsdb, hypertable: str):
    with tsdb.connect() as conn:
        return compression_status(conn, resolve_table(conn, hypertable), "timeframe")


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
    status = _status(tsdb, dataset["hypertable"])
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


@pytest.fixture
def uncompressed(tsdb):
    """GBPUSD and EURUSD H1 and M5 bars of 3 days in one 7-day chunk (the first 3 days of last week's), not
    compressed, analyzed."""
    week = timedelta(days=7)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)  # TimescaleDB aligns chunk ranges on the Unix epoch
    start = epoch + (NOW - epoch) // week * week - week
    end = start + timedelta(days=3)
    with _market_data_schema(tsdb, "distu") as (conn, schema):
        for symbol in ("GBPUSD", "EURUSD"):
            for timeframe in ("H1", "M5"):
                insert_bars(conn, symbol, timeframe, start, end)
        conn.execute("ANALYZE market_data")
        yield {"schema": schema, "hypertable": f"{schema}.market_data", "end": end}


def _delete_gbpusd_m5(tsdb, schema: str, start: datetime, end: datetime) -> None:
    with tsdb.connect() as conn:
        conn.execute(f'DELETE FROM "{schema}".market_data WHERE symbol = %s AND timeframe = %s'
                     " AND timestamp >= %s AND timestamp < %s", ("GBPUSD", "M5", start, end))
        conn.execute(f'VACUUM ANALYZE "{schema}".market_data')


def test_uncompressed_chunks_are_estimated_from_their_index_and_row_count_within_one_percent_and_labelled(
        tsdb, uncompressed):
    """Every uncompressed chunk taken for the estimate (exact_below_rows=0): H1 (few bars a chunk) counted in the
    index, M5 estimated from its grid and PostgreSQL's row count of the chunk; the newest of every series probed."""
    distribution = _distribution(tsdb, uncompressed["hypertable"], exact_below_rows=0)
    exact = _exact(tsdb, uncompressed["hypertable"], "symbol, timeframe")
    assert distribution.rows_estimated > 0 and distribution.rows_from_metadata == 0
    pairs = {(line.symbol, line.timeframe): line for line in distribution.by_symbol_timeframe}
    assert set(pairs) == set(exact)
    for key, (rows, _, newest) in exact.items():
        assert abs(pairs[key].rows - rows) <= 0.01 * rows and pairs[key].newest == newest, key
    assert pairs["GBPUSD", "H1"].rows_exact and pairs["GBPUSD", "H1"].rows == exact["GBPUSD", "H1"][0]
    assert not pairs["GBPUSD", "M5"].rows_exact  # estimated, and labelled so
    report = render_report(_status(tsdb, uncompressed["hypertable"]), policy_days=7, weekly_days=30,
                           distribution=distribution)
    assert f"{distribution.rows_estimated} rows of uncompressed chunks estimated" in report


def test_an_uncompressed_chunk_whose_estimates_do_not_add_up_is_counted_row_by_row(tsdb, uncompressed):
    """A day of GBPUSD M5 bars missing while its H1 bars are all there: the M5 grid over-counts that chunk, PostgreSQL's
    row count of it says so, and it is counted exactly instead."""
    gap_end = uncompressed["end"] - timedelta(hours=12)
    _delete_gbpusd_m5(tsdb, uncompressed["schema"], gap_end - timedelta(days=1), gap_end)
    _assert_counted_exactly(tsdb, uncompressed["hypertable"])


def test_a_series_missing_bars_of_its_own_at_its_tail_makes_its_chunk_counted_row_by_row(tsdb, uncompressed):
    """Two GBPUSD M5 bars missing among its last ones (an illiquid series): too few for PostgreSQL's row count of the
    chunk to show (0.1 %), but its tail misses them, so the chunk is counted exactly."""
    last = uncompressed["end"] - timedelta(minutes=5)
    _delete_gbpusd_m5(tsdb, uncompressed["schema"], last - timedelta(minutes=15), last - timedelta(minutes=5))
    _assert_counted_exactly(tsdb, uncompressed["hypertable"])


def _assert_counted_exactly(tsdb, hypertable: str) -> None:
    distribution = _distribution(tsdb, hypertable, exact_below_rows=0)
    exact = _exact(tsdb, hypertable, "symbol, timeframe")
    assert distribution.rows_estimated == 0
    for line in distribution.by_symbol_timeframe:
        assert ((line.rows, line.oldest, line.newest), line.rows_exact, line.range_exact) == (
            exact[line.symbol, line.timeframe], True, True)
