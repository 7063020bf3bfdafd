"""The distribution's pure decisions: metadata column names across TimescaleDB versions, the timeframe split of
compressed rows, what is labelled exact, and the report's per-day timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tsdb_ops.maintenance.compression_report import timeline_by_day
from tsdb_ops.timescale.compression_stats import ChunkStatus
from tsdb_ops.timescale.distribution import Distribution, build_distribution, segment_columns, split_by_timeframe

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


def _chunk_row(index: int, compressed: bool, size: int = 1000) -> tuple:
    start = T0 + timedelta(days=7 * index)
    return ("_timescaledb_internal", f"_hyper_1_{index}_chunk", start, start + timedelta(days=7), compressed,
            "_timescaledb_internal" if compressed else None, f"compress_{index}" if compressed else None, size,
            "timestamp", 1 if compressed else 0)


def test_rows_counted_one_by_one_and_single_timeframe_segments_are_exact_and_mixed_ones_are_labelled_estimates():
    chunks = [_chunk_row(0, True), _chunk_row(1, True), _chunk_row(2, False)]
    heap = [(2, "EURUSD", "M5", 120, T0 + timedelta(days=14), T0 + timedelta(days=15)),
            (2, "EURUSD", "H1", 10, T0 + timedelta(days=14), T0 + timedelta(days=15))]
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
