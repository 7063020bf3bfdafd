"""Data distribution from TimescaleDB's metadata vs the guide's "Check Data Distribution" (GROUP BY over all rows).

Builds the production shape (tests/harness/market_data.py ``load_production_shape``) with at least --rows rows:
``market_data`` of 7-day chunks, compression segmented by symbol and ordered by timestamp (the guide's settings),
M1/M5/H1/D1 bars of --symbols symbols, every chunk older than the guide's 7-day compression policy compressed, so
the newest two chunks stay uncompressed as in production; then VACUUM ANALYZE (the weekly maintenance runs it before
its report). On that table, in the same run:

- ours:  tsdb_ops.timescale.distribution.data_distribution(): per-segment metadata of compressed chunks; for the
         uncompressed ones index probes per series, exact counts of the coarse series and estimates of the others
         from PostgreSQL's row count of the chunk (or an exact count where the estimates do not add up);
- guide: the guide's query as written (count(*), sum(pg_column_size(market_data)), min/max per symbol, timeframe).

It prints the speed ratio and the error of every figure against the guide's exact result: rows, oldest and newest
per symbol, rows per symbol and timeframe, rows per timeframe. Then it inserts two more hours of bars into the
newest chunk without analyzing it again (reltuples is then stale: the row count comes from its pages) and prints
the errors once more.

Target: TSDB_TEST_DSN (native TimescaleDB), else a throwaway PostgreSQL 15 cluster with the native TimescaleDB
build of the test harness (the WASM build is not used: its one-connection server is not a fair timing target).

    .venv/bin/python bench/bench_distribution.py [--rows 10000000] [--symbols 150] [--repeat 3]
    .venv/bin/python bench/bench_distribution.py --smoke        # about 150k rows
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests")]

from harness.market_data import INSERT_BARS, SYMBOLS, TIMEFRAMES, load_production_shape  # noqa: E402
from harness.postgres import PostgresCluster, native_timescaledb_version  # noqa: E402
from tsdb_ops.timescale.distribution import data_distribution  # noqa: E402
from tsdb_ops.timescale.table import resolve_table  # noqa: E402

BENCH_SCHEMA = "bench_distribution"
CHUNK = timedelta(days=7)  # load_production_shape's chunk_time_interval
LATE = timedelta(hours=2)  # bars inserted after the VACUUM ANALYZE

# The guide's query, as written.
GUIDE = f"""
SELECT symbol, timeframe, count(*) AS records,
       pg_size_pretty(sum(pg_column_size(market_data))*1.0) AS data_size,
       min(timestamp) AS oldest_record, max(timestamp) AS newest_record
FROM {BENCH_SCHEMA}.market_data
GROUP BY symbol, timeframe
ORDER BY records DESC
"""


def symbol_names(symbols: int) -> list[tuple[str, float]]:
    """load_production_shape's symbols and base prices."""
    return list(SYMBOLS.items()) + [(f"SYM{i:03d}", round(0.5 + i * 7919 % 2000 / 10, 2))
                                    for i in range(len(SYMBOLS), symbols)]


def chunks_for(rows: int, symbols: int, end: datetime) -> int:
    """Chunks load_production_shape loads for at least ``rows`` rows: the newest one runs from its epoch-aligned
    start to ``end``, every older one is full."""
    per_chunk = symbols * sum(CHUNK / step for step in TIMEFRAMES.values())
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    newest = ((end - epoch) % CHUNK) / CHUNK
    return 1 + max(0, math.ceil(rows / per_chunk - newest))


def build(conn: psycopg.Connection, rows: int, symbols: int, end: datetime) -> dict[str, int]:
    conn.execute(f"DROP SCHEMA IF EXISTS {BENCH_SCHEMA} CASCADE")
    conn.execute(f"CREATE SCHEMA {BENCH_SCHEMA}")
    conn.execute(f"SET search_path TO {BENCH_SCHEMA}, public")
    loaded = load_production_shape(conn, end=end, symbols=symbols, chunks=chunks_for(rows, symbols, end))
    conn.execute("VACUUM ANALYZE market_data")
    compressed, total = conn.execute(
        "SELECT count(*) FILTER (WHERE is_compressed), count(*) FROM timescaledb_information.chunks"
        " WHERE hypertable_schema = %s", (BENCH_SCHEMA,)).fetchone()
    return {"rows": loaded["rows"], "chunks": total, "compressed": compressed}


def insert_late_bars(conn: psycopg.Connection, symbols: int, start: datetime) -> int:
    """LATE more bars of every series from ``start``, into the newest (uncompressed) chunk, not analyzed."""
    return sum(conn.execute(INSERT_BARS, {"symbol": symbol, "timeframe": timeframe, "base": base, "start": start,
                                          "end": start + LATE, "step": step}).rowcount
               for symbol, base in symbol_names(symbols) for timeframe, step in TIMEFRAMES.items())


def timed(func, repeat: int):
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def errors(distribution, guide_rows) -> dict[str, float]:
    """Largest relative errors against the guide's exact rows, in percent."""
    exact = {(s, tf): (n, lo, hi) for s, tf, n, _size, lo, hi in guide_rows}
    per_symbol: dict[str, list] = {}
    for (s, _tf), (n, lo, hi) in exact.items():
        total = per_symbol.setdefault(s, [0, lo, hi])
        total[0] += n
        total[1], total[2] = min(total[1], lo), max(total[2], hi)
    symbol_error = max(abs(line.rows - per_symbol[line.symbol][0]) / per_symbol[line.symbol][0]
                       for line in distribution.by_symbol)
    symbol_range_wrong = sum((line.oldest, line.newest) != tuple(per_symbol[line.symbol][1:])
                             for line in distribution.by_symbol)
    pairs = {(line.symbol, line.timeframe): line for line in distribution.by_symbol_timeframe}
    pair_errors = [abs(pairs[key].rows - n) / n if key in pairs else 1.0 for key, (n, _, _) in exact.items()]
    timeframes = {}
    for (_s, tf), (n, _, _) in exact.items():
        timeframes[tf] = timeframes.get(tf, 0) + n
    tf_lines = {line.timeframe: line for line in distribution.by_timeframe}
    tf_errors = {tf: abs(tf_lines[tf].rows - n) / n if tf in tf_lines else 1.0 for tf, n in timeframes.items()}
    return {"symbol_rows_max_error_percent": round(100 * symbol_error, 4),
            "symbol_ranges_wrong": symbol_range_wrong,
            "pair_rows_max_error_percent": round(100 * max(pair_errors), 3),
            "pair_rows_exact_lines": sum(line.rows_exact for line in distribution.by_symbol_timeframe),
            "pair_lines": len(exact),
            **{f"timeframe_{tf}_error_percent": round(100 * e, 3) for tf, e in sorted(tf_errors.items())}}


def sources(distribution) -> str:
    return (f"{distribution.rows_from_metadata:,} rows from {distribution.batches_read:,} batches' metadata, "
            f"{distribution.rows_read:,} counted exactly, {distribution.rows_estimated:,} estimated")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--symbols", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="about 150k rows of 5 symbols, one repetition")
    args = parser.parse_args()
    rows, symbols, repeat = (150_000, 5, 1) if args.smoke else (args.rows, args.symbols, args.repeat)
    cluster = None
    dsn = os.environ.get("TSDB_TEST_DSN")
    if not dsn:
        if native_timescaledb_version() is None:
            print("needs native TimescaleDB: TSDB_TEST_DSN, or `make setup` with TSDB_SOURCE_TARBALL", file=sys.stderr)
            return 1
        cluster = PostgresCluster("bench-distribution", timescale=True).start()
        dsn = cluster.create_database("bench_distribution", timescaledb=True)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - LATE
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.prepare_threshold = None
            version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").fetchone()[0]
            started = time.perf_counter()
            built = build(conn, rows, symbols, end)
            print(f"native TimescaleDB {version}: built {built} in {time.perf_counter() - started:.1f} s", flush=True)
            hypertable = resolve_table(conn, f"{BENCH_SCHEMA}.market_data")

            def ours():
                return data_distribution(conn, hypertable, time_column="timestamp", symbol_column="symbol",
                                         timeframe_column="timeframe")

            started = time.perf_counter()
            ours()  # the first call in the session: PostgreSQL's catalog caches are cold, as in a task's connection
            first_seconds = time.perf_counter() - started
            ours_seconds, distribution = timed(ours, repeat)
            guide_seconds, guide_rows = timed(lambda: conn.execute(GUIDE).fetchall(), repeat)
            late = insert_late_bars(conn, symbols, end) if (end - datetime(1970, 1, 1, tzinfo=UTC)) % CHUNK < CHUNK - LATE \
                else 0
            after_late = (ours(), conn.execute(GUIDE).fetchall()) if late else None
            conn.execute(f"DROP SCHEMA {BENCH_SCHEMA} CASCADE")
    finally:
        if cluster is not None:
            cluster.destroy()
    ratio = guide_seconds / ours_seconds
    found = errors(distribution, guide_rows)
    print(f"ours: {ours_seconds * 1000:.1f} ms ({sources(distribution)}); guide's GROUP BY: "
          f"{guide_seconds * 1000:.1f} ms; {ratio:.0f}x faster (median of {repeat}); the first call in the session "
          f"{first_seconds * 1000:.1f} ms ({guide_seconds / first_seconds:.0f}x)")
    print("errors against the guide's exact result: " + json.dumps(found))
    if after_late:
        late_found = errors(after_late[0], after_late[1])
        print(f"after {late:,} rows inserted into the newest chunk since the VACUUM ANALYZE ({sources(after_late[0])}): "
              "errors " + json.dumps(late_found))
    worst = max(found["symbol_rows_max_error_percent"], found["pair_rows_max_error_percent"],
                *(v for k, v in found.items() if k.startswith("timeframe_")))
    print("RESULT " + json.dumps({"bench": "distribution", "measure": f"metadata vs guide's GROUP BY, {built['rows']} rows",
                                  "ratio": round(ratio, 1), "target": ">= 50x at 10M rows"}))
    print("RESULT " + json.dumps({"bench": "distribution_error", "measure": "largest error % of any row figure",
                                  "ratio": worst, "target": "<= 1 %"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
