"""The distribution's pure decisions: metadata column names across TimescaleDB versions, the timeframe split of
compressed rows, the estimate of uncompressed chunks' series and when it is refused, what is labelled exact, and
the report's per-day timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tsdb_ops.maintenance.compression_report import timeline_by_day
from tsdb_ops.timescale.compression_stats import ChunkStatus
from tsdb_ops.timescale.distribution import (
    TAIL_BARS,
    Distribution,
    build_distribution,
    estimate_heap_series,
    heap_rows_estimate,
    segment_columns,
    split_by_timeframe,
    timeframe_seconds,
)

T0 = datetime(2026, 3, 2, tzinfo=UTC)
CD = "_timescaledb_internal.compressed_data"


def test_metadata_columns_are_found_by_their_names_on_old_and_new_timescaledb():
    old = segment_columns({"_ts_meta_count": "integer", "_ts_meta_sequence_num": "integer", "symbol": "text",
                           "_ts_meta_min_1": "timestamptz", "_ts_meta_max_1": "timestamptz", "timeframe": CD},
                          time_column="timestamp", symbol_column="symbol", timeframe_column="timeframe",
                          first_orderby="timestamp")
    assert (old.count, old.min_time, old.max_time, old.symbol, old.bloom) == (
        "_ts_meta_count", "_ts_meta_min_1", "_ts_meta_max_1", "symbol", None)
    new = segment_columns({"_ts_meta_count": "integer", "symbol": "text", "_ts_meta_v2_min_timestamp": "timestamptz",
                           "_ts_meta_v2_max_timestamp": "timestamptz", "_ts_meta_v2_bloomh_timeframe": "bloom1",
                           "_ts_meta_v2_bloomh_6ed0_timestamp_timeframe": "bloom1"},
                          time_column="timestamp", symbol_column="symbol", timeframe_column="timeframe",
                          first_orderby="open")
    assert (new.min_time, new.max_time, new.bloom) == (
        "_ts_meta_v2_min_timestamp", "_ts_meta_v2_max_timestamp", "_ts_meta_v2_bloomh_timeframe")


def test_min_1_is_not_taken_for_the_time_when_the_first_orderby_column_is_another_one():
    meta = segment_columns({"_ts_meta_count": "integer", "_ts_meta_min_1": "double precision",
                            "_ts_meta_max_1": "double precision", "symbol": CD},
                           time_column="timestamp", symbol_column="symbol", timeframe_column="timeframe",
                           first_orderby="close")
    assert meta.min_time is None and meta.symbol is None  # symbol compressed: not a segmentby column


def test_compressed_rows_are_split_by_the_symbols_mix_over_admitted_timeframes_else_everyones_else_evenly():
    assert split_by_timeframe(130, ["M5", "H1"], {"M1": 1000, "M5": 120, "H1": 10}, {}) == {"M5": 120.0, "H1": 10.0}
    assert split_by_timeframe(10, ["H1"], {"M1": 5}, {"M1": 5}) == {"H1": 10}
    assert split_by_timeframe(30, ["D1", "W1"], {}, {"D1": 2, "W1": 1}) == {"D1": 20.0, "W1": 10.0}
    assert split_by_timeframe(10, ["D1", "W1"], {}, {}) == {"D1": 5.0, "W1": 5.0}


def test_a_rare_timeframe_admitted_by_every_batch_gets_at_least_one_row_per_batch():
    # 10 batches of 1000 rows admitting M1 and D1: the mix says 1 D1 per 1440 M1, but each batch holds a D1 bar.
    split = split_by_timeframe(10_000, ["D1", "M1"], {"M1": 1440, "D1": 1}, {}, batches=10)
    assert split == {"D1": 10.0, "M1": 9990.0}


def _chunk_row(index: int, compressed: bool, size: int = 1000) -> dict:
    start = T0 + timedelta(days=7 * index)
    return {"chunk_schema": "_timescaledb_internal", "chunk_name": f"_hyper_1_{index}_chunk", "range_start": start,
            "range_end": start + timedelta(days=7), "is_compressed": compressed,
            "compressed_schema": "_timescaledb_internal" if compressed else None,
            "compressed_name": f"compress_{index}" if compressed else None, "total_bytes": size,
            "first_orderby_column": "timestamp", "status": 1 if compressed else 0}


def test_rows_counted_one_by_one_and_single_timeframe_segments_are_exact_and_mixed_ones_are_labelled_estimates():
    chunks = [_chunk_row(0, True), _chunk_row(1, True), _chunk_row(2, False)]
    heap = [(2, "EURUSD", "M5", 120, T0 + timedelta(days=14), T0 + timedelta(days=15), True, True),
            (2, "EURUSD", "H1", 10, T0 + timedelta(days=14), T0 + timedelta(days=15), True, True)]
    # chunk 0: bloom filters admit H1 only; chunk 1: one group of H1-only batches, one of H1-or-M5 batches.
    segments = [(0, "EURUSD", ["H1"], 50, T0, T0 + timedelta(days=6), 1),
                (1, "EURUSD", ["H1"], 20, T0 + timedelta(days=7), T0 + timedelta(days=8), 1),
                (1, "EURUSD", ["H1", "M5"], 240, T0 + timedelta(days=8), T0 + timedelta(days=13), 1)]
    d = build_distribution("s.market_data", chunks, heap, segments, 3, [])
    symbol = d.by_symbol[0]
    assert (symbol.rows, symbol.rows_exact, symbol.oldest, symbol.compressed_rows) == (440, True, T0, 310)
    pairs = {line.timeframe: line for line in d.by_symbol_timeframe}
    # The 240 rows of mixed batches are split 12:1 like the exactly counted M5:H1 rows.
    assert pairs["M5"].rows == round(120 + 240 * 12 / 13) and not pairs["M5"].rows_exact and not pairs["M5"].range_exact
    assert pairs["H1"].rows == round(10 + 50 + 20 + 240 / 13) and not pairs["H1"].rows_exact
    assert pairs["H1"].oldest == T0 and pairs["H1"].range_exact  # the oldest comes from an H1-only chunk
    assert sum(line.bytes_estimate for line in d.by_symbol) == 3000
    assert Distribution.from_dict(d.as_dict()) == d


def test_per_day_timeline_groups_chunks_by_day_of_start_with_bytes_before_and_after():
    chunks = [ChunkStatus("s", "a", T0, T0 + timedelta(days=1), True, 1000, 100, 120),
              ChunkStatus("s", "b", T0, T0 + timedelta(hours=12), False, None, None, 500),
              ChunkStatus("s", "c", T0 + timedelta(days=1), T0 + timedelta(days=2), False, None, None, 700)]
    days = timeline_by_day(chunks)
    assert [(d.day, d.chunks, d.compressed, d.before_bytes, d.after_bytes, d.size_now_bytes) for d in days] == [
        ("2026-03-03", 1, 0, 700, 700, 700), ("2026-03-02", 2, 1, 1500, 600, 620)]


def test_timeframe_grid_is_known_for_mt5_names_only():
    assert [timeframe_seconds(tf) for tf in ("M1", "M15", "H4", "D1", "W1", "MN1")] == [
        60, 900, 14400, 86400, 604800, 2_629_746]
    assert [timeframe_seconds(tf) for tf in ("tick", "1m", "M0", "", None)] == [None] * 5


def test_a_heaps_row_count_is_its_tuples_per_page_at_the_last_analyze_times_its_pages_now():
    assert heap_rows_estimate(1000.0, 10, 15) == 1500.0  # grew by half since the last ANALYZE
    assert heap_rows_estimate(-1.0, 0, 15) is None and heap_rows_estimate(0.0, 0, 0) is None  # never analyzed


def test_fine_series_are_their_grid_filled_like_their_symbols_counted_series_and_add_up_to_the_chunk():
    """A week: FX closed at the weekend (its H1 bars fill 120 of 168 hours), a crypto symbol open all week."""
    start, week_end = T0, T0 + timedelta(days=7)
    fx_m1, crypto_m1 = 120 * 60, 168 * 60
    newest, tail_start = week_end - timedelta(minutes=1), week_end - timedelta(minutes=TAIL_BARS)
    series = [("EURUSD", "H1", start, week_end - timedelta(hours=1), 120, None),
              ("EURUSD", "M1", tail_start, newest, None, TAIL_BARS),
              ("BTCUSD", "H1", start, week_end - timedelta(hours=1), 168, None),
              ("BTCUSD", "M1", tail_start, newest, None, TAIL_BARS)]
    estimated = estimate_heap_series(120 + fx_m1 + 168 + crypto_m1, start, series)
    assert estimated == [("EURUSD", "H1", 120.0, start), ("EURUSD", "M1", pytest.approx(fx_m1), start),
                         ("BTCUSD", "H1", 168.0, start), ("BTCUSD", "M1", pytest.approx(crypto_m1), start)]


def test_estimates_that_do_not_add_up_or_miss_bars_at_their_tail_or_have_no_grid_mean_count_the_chunk():
    h1 = ("EURUSD", "H1", T0, T0 + timedelta(hours=167), 168, None)
    newest = T0 + timedelta(days=7, minutes=-1)

    def m1(spanned_minutes: int) -> tuple:
        """M1 whose last TAIL_BARS rows span this many minutes (TAIL_BARS: none missing)."""
        return "EURUSD", "M1", newest - timedelta(minutes=spanned_minutes - 1), newest, None, TAIL_BARS

    assert estimate_heap_series(168 + 10_080, T0, [h1, m1(TAIL_BARS)]) is not None
    # Half of the M1 bars are missing while every H1 bar is there: the grid over-counts, the chunk says so.
    assert estimate_heap_series(168 + 5_040, T0, [h1, m1(2 * TAIL_BARS)]) is None
    # Too few missing to show in the chunk's count (0.3 %), but 2 of the last TAIL_BARS + 2 minutes have no bar.
    assert estimate_heap_series(168 + 10_050, T0, [h1, m1(TAIL_BARS + 2)]) is None
    assert estimate_heap_series(100, T0, [("EURUSD", "ticks", T0, T0, None, 1)]) is None


def test_estimated_rows_of_an_uncompressed_chunk_are_labelled_and_their_oldest_is_a_bound():
    chunks = [_chunk_row(0, True), _chunk_row(1, False)]
    start = T0 + timedelta(days=7)
    heap = [(1, "EURUSD", "H1", 168, start, start + timedelta(hours=167), True, True),
            (1, "EURUSD", "M1", 10_080.0, start, start + timedelta(days=7, minutes=-1), False, False)]
    segments = [(0, "EURUSD", ["H1", "M1"], 10_248, T0, T0 + timedelta(days=7, minutes=-1), 11)]
    d = build_distribution("s.market_data", chunks, heap, segments, 11, [])
    symbol = d.by_symbol[0]
    assert (symbol.rows, symbol.rows_exact, symbol.oldest, symbol.newest) == (
        20_496, False, T0, start + timedelta(days=7, minutes=-1))
    assert symbol.range_exact  # the oldest from the compressed batches, the newest probed in the index
    pairs = {line.timeframe: line for line in d.by_symbol_timeframe}
    assert not pairs["M1"].rows_exact and not pairs["H1"].rows_exact  # H1 shares mixed compressed batches
    assert d.rows_estimated == 10_080 and d.rows_read == 168 and d.rows_from_metadata == 10_248
