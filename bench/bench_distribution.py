"""Data distribution from TimescaleDB's metadata vs the guide's "Check Data Distribution" (GROUP BY over all rows).

Builds a market_data hypertable of about --rows rows (7-day chunks, compression segmented by symbol, ordered by
timestamp, the guide's settings): D1 and H1 bars of 10 symbols over four years, M5 over the last two, M1 over the
last 1.5 (so old chunks hold fewer timeframes than new ones, as MT5 history does). Every chunk ending more than 7
days ago is compressed (the guide's policy), then ANALYZE. On that table, in the same run:

- ours:  tsdb_ops.timescale.distribution.data_distribution(): per-segment metadata of compressed chunks, exact
         counts of the rows not compressed (the newest chunk);
- guide: the guide's query as written (count(*), sum(pg_column_size(market_data)), min/max per symbol, timeframe).

It prints the speed ratio and the error of every figure against the guide's exact result: rows, oldest and newest
per symbol (exact by construction), rows per symbol and timeframe (estimated where compressed; labelled so).

Target: TSDB_TEST_DSN (native TimescaleDB), else a throwaway PostgreSQL 15 cluster with the native TimescaleDB
build of the test harness (the WASM build is not used: its one-connection server is not a fair timing target).

    .venv/bin/python bench/bench_distribution.py [--rows 10000000] [--repeat 3]
    .venv/bin/python bench/bench_distribution.py --smoke        # about 100k rows
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests")]

from harness.market_data import create_schema  # noqa: E402
from harness.postgres import PostgresCluster, native_timescaledb_version  # noqa: E402
from tsdb_ops.timescale.chunks import compress_chunks, list_chunks  # noqa: E402
from tsdb_ops.timescale.distribution import data_distribution  # noqa: E402
from tsdb_ops.timescale.table import resolve_table  # noqa: E402

BENCH_SCHEMA = "bench_distribution"
SYMBOLS = [f"SYM{i:02d}" for i in range(10)]
# timeframe, bar step, share of the full history it covers (the newest part)
TIMEFRAMES = (("D1", timedelta(days=1), 1.0), ("H1", timedelta(hours=1), 1.0), ("M5", timedelta(minutes=5), 0.5),
              ("M1", timedelta(minutes=1), 0.375))

# The guide's query, as written.
GUIDE = f"""
SELECT symbol, timeframe, count(*) AS records,
       pg_size_pretty(sum(pg_column_size(market_data))*1.0) AS data_size,
       min(timestamp) AS oldest_record, max(timestamp) AS newest_record
FROM {BENCH_SCHEMA}.market_data
GROUP BY symbol, timeframe
ORDER BY records DESC
"""

LOAD = """
INSERT INTO market_data (timestamp, symbol, timeframe, open, high, low, close, tick_volume)
SELECT ts, s, %(timeframe)s, 1, 1.1, 0.9, 1 + (extract(epoch FROM ts)::bigint %% 97) / 1000.0, 100
FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 microsecond', %(step)s::interval) ts,
     unnest(%(symbols)s::text[]) s
"""


def build(conn: psycopg.Connection, rows: int, now: datetime) -> dict[str, int]:
    conn.execute(f"DROP SCHEMA IF EXISTS {BENCH_SCHEMA} CASCADE")
    conn.execute(f"CREATE SCHEMA {BENCH_SCHEMA}")
    conn.execute(f"SET search_path TO {BENCH_SCHEMA}, public")
    create_schema(conn, hypertable=True)
    per_day = sum(share * timedelta(days=1) / step for _, step, share in TIMEFRAMES) * len(SYMBOLS)
    days = max(rows / per_day, 14)
    end = now.replace(minute=0, second=0, microsecond=0)
    for timeframe, step, share in TIMEFRAMES:
        start = end - timedelta(days=days * share)
        while start < end:  # slices of about 90 days: moderate statements
            upper = min(start + timedelta(days=90), end)
            conn.execute(LOAD, {"timeframe": timeframe, "start": start, "end": upper, "step": step, "symbols": SYMBOLS})
            start = upper
    conn.execute("ALTER TABLE market_data SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol',"
                 " timescaledb.compress_orderby = 'timestamp')")
    hypertable = resolve_table(conn, f"{BENCH_SCHEMA}.market_data")
    old = list_chunks(conn, hypertable, older_than_days=7)
    compress_chunks(conn, old, lock_timeout_ms=60000, statement_timeout_ms=3_600_000, progress=lambda _: None)
    conn.execute("ANALYZE market_data")
    total = conn.execute("SELECT count(*) FROM market_data").fetchone()[0]
    return {"rows": total, "chunks": len(list_chunks(conn, hypertable)), "compressed": len(old)}


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="about 100k rows, one repetition")
    args = parser.parse_args()
    rows, repeat = (100_000, 1) if args.smoke else (args.rows, args.repeat)
    cluster = None
    dsn = os.environ.get("TSDB_TEST_DSN")
    if not dsn:
        if native_timescaledb_version() is None:
            print("needs native TimescaleDB: TSDB_TEST_DSN, or `make setup` with TSDB_SOURCE_TARBALL", file=sys.stderr)
            return 1
        cluster = PostgresCluster("bench-distribution", timescale=True).start()
        dsn = cluster.create_database("bench_distribution", timescaledb=True)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.prepare_threshold = None
            version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").fetchone()[0]
            started = time.perf_counter()
            built = build(conn, rows, datetime.now(UTC))
            print(f"native TimescaleDB {version}: built {built} in {time.perf_counter() - started:.1f} s", flush=True)
            hypertable = resolve_table(conn, f"{BENCH_SCHEMA}.market_data")
            ours, distribution = timed(lambda: data_distribution(
                conn, hypertable, time_column="timestamp", symbol_column="symbol", timeframe_column="timeframe"), repeat)
            guide, guide_rows = timed(lambda: conn.execute(GUIDE).fetchall(), repeat)
            conn.execute(f"DROP SCHEMA {BENCH_SCHEMA} CASCADE")
    finally:
        if cluster is not None:
            cluster.destroy()
    ratio = guide / ours
    found = errors(distribution, guide_rows)
    print(f"ours: {ours * 1000:.1f} ms ({distribution.rows_read:,} rows read, {distribution.rows_from_metadata:,} rows "
          f"from {distribution.batches_read:,} batches' metadata); guide's GROUP BY: {guide * 1000:.1f} ms; "
          f"{ratio:.0f}x faster (median of {repeat})")
    print("errors against the guide's exact result: " + json.dumps(found))
    print("RESULT " + json.dumps({"bench": "distribution", "measure": f"metadata vs guide's GROUP BY, {built['rows']} rows",
                                  "ratio": round(ratio, 1), "target": ">= 50x at 10M rows"}))
    print("RESULT " + json.dumps({"bench": "distribution_symbol_error",
                                  "measure": "rows per symbol, max error % (exact)",
                                  "ratio": found["symbol_rows_max_error_percent"], "target": "<= 1 %"}))
    print("RESULT " + json.dumps({"bench": "distribution_pair_error",
                                  "measure": "rows per symbol x timeframe, max error % (estimated)",
                                  "ratio": found["pair_rows_max_error_percent"], "target": "<= 1 % (not met: see text)"
                                  if found["pair_rows_max_error_percent"] > 1 else "<= 1 %"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
