"""Compression report (catalog and stats functions only) vs the guide's row-joining "by timeframe" query.

Builds a market_data hypertable of --rows rows (M1 bars of 4 symbols plus H1 bars, 7-day chunks), compresses
the older half of its chunks, ANALYZEs it, then times on the same table:

- catalog: the weekly report's queries (include/sql/reports/*.sql): O(chunks), reads no row;
- guide:   the guide's "Overall compression stats by timeframe", with only its broken names fixed
           (chunk_compression_stats() for the missing view, schema-qualified regclass): joins every row to chunks.

Target: TSDB_TEST_DSN (native TimescaleDB), else the WebAssembly TimescaleDB of the test harness.

    .venv/bin/python bench/bench_compression_report.py [--rows 10000000] [--repeat 3]
    .venv/bin/python bench/bench_compression_report.py --smoke        # 100k rows
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests")]

from harness.market_data import create_schema  # noqa: E402
from harness.timescale import TimescaleTarget  # noqa: E402
from tsdb_ops.files import read_sql  # noqa: E402
from tsdb_ops.timescale.chunks import compress_chunks, list_chunks  # noqa: E402
from tsdb_ops.timescale.table import resolve_table  # noqa: E402

BENCH_SCHEMA = "bench_compression_report"
SYMBOLS = ("EURUSD", "GBPUSD", "USDJPY", "XAUUSD")

# The guide's query, names fixed so it runs; its row join (and its BETWEEN double counting) kept as written.
GUIDE_BY_TIMEFRAME = """
SELECT m.timeframe,
       count(distinct c.chunk_name) AS total_chunks,
       count(distinct case when c.is_compressed then c.chunk_name end) AS compressed_chunks,
       pg_size_pretty(sum(case when c.is_compressed then cs.after_compression_total_bytes
                          else pg_relation_size(format('%%I.%%I', c.chunk_schema, c.chunk_name)::regclass) end)) AS total_size,
       round(avg(case when cs.after_compression_total_bytes is not null
                      then 100 - (cs.after_compression_total_bytes::numeric
                                  / nullif(cs.before_compression_total_bytes, 0) * 100)
                      else 0 end), 2) AS avg_compression_ratio
FROM timescaledb_information.chunks c
LEFT JOIN bench_compression_report.market_data m ON m.timestamp BETWEEN c.range_start AND c.range_end
LEFT JOIN chunk_compression_stats('bench_compression_report.market_data') cs ON c.chunk_name = cs.chunk_name
WHERE c.hypertable_name = 'market_data' AND c.hypertable_schema = 'bench_compression_report'
GROUP BY m.timeframe
"""

LOAD_M1 = """
INSERT INTO market_data (timestamp, symbol, timeframe, open, high, low, close, tick_volume)
SELECT ts, s, 'M1', 1, 1.1, 0.9, 1 + (extract(epoch FROM ts)::bigint %% 97) / 1000.0, 100
FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 minute', interval '1 minute') ts,
     unnest(%(symbols)s::text[]) s
"""


def build(conn, rows: int, now: datetime) -> dict[str, int]:
    conn.execute(f"DROP SCHEMA IF EXISTS {BENCH_SCHEMA} CASCADE")
    conn.execute(f"CREATE SCHEMA {BENCH_SCHEMA}")
    conn.execute(f"SET search_path TO {BENCH_SCHEMA}, public")
    create_schema(conn, hypertable=True)
    minutes = rows // len(SYMBOLS)
    end = now.replace(second=0, microsecond=0)
    start = datetime.fromtimestamp(end.timestamp() - minutes * 60, UTC)
    step = 200_000 // len(SYMBOLS) * 60  # load in slices: the WASM server holds one statement's rows in memory
    cursor = start.timestamp()
    while cursor < end.timestamp():
        upper = min(cursor + step, end.timestamp())
        conn.execute(LOAD_M1, {"start": datetime.fromtimestamp(cursor, UTC), "end": datetime.fromtimestamp(upper, UTC),
                               "symbols": list(SYMBOLS)})
        cursor = upper
    conn.execute("INSERT INTO market_data (timestamp, symbol, timeframe, open, high, low, close)"
                 " SELECT timestamp, symbol, 'H1', open, high, low, close FROM market_data"
                 " WHERE timeframe = 'M1' AND extract(minute FROM timestamp) = 0")
    conn.execute("ALTER TABLE market_data SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol')")
    hypertable = resolve_table(conn, f"{BENCH_SCHEMA}.market_data")
    chunks = list_chunks(conn, hypertable)
    compress_chunks(conn, chunks[: len(chunks) // 2], lock_timeout_ms=60000, statement_timeout_ms=3_600_000,
                    progress=lambda _: None)
    conn.execute("ANALYZE market_data")
    total = conn.execute("SELECT count(*) FROM market_data").fetchone()[0]
    return {"rows": total, "chunks": len(chunks), "compressed": len(chunks) // 2}


def time_it(conn, queries: list[tuple[str, dict]], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        for query, params in queries:
            conn.execute(query, params).fetchall()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="100k rows, one repetition")
    args = parser.parse_args()
    rows, repeat = (100_000, 1) if args.smoke else (args.rows, args.repeat)
    target = TimescaleTarget().start()
    try:
        with target.connect() as conn:
            conn.prepare_threshold = None
            started = time.perf_counter()
            built = build(conn, rows, datetime.now(UTC))
            print(f"target: {'WASM TimescaleDB' if target.is_wasm else 'TSDB_TEST_DSN'}; built {built} "
                  f"in {time.perf_counter() - started:.1f} s", flush=True)
            params = {**resolve_table(conn, f"{BENCH_SCHEMA}.market_data").params, "column": "timeframe"}
            report = [(read_sql(f"timescale/{name}.sql"), params)
                      for name in ("hypertable_compression_summary", "chunk_compression_status", "timeframe_shares")]
            catalog = time_it(conn, report, repeat)
            guide = time_it(conn, [(GUIDE_BY_TIMEFRAME, {})], repeat)
            conn.execute(f"DROP SCHEMA {BENCH_SCHEMA} CASCADE")
    finally:
        target.stop()
    ratio = guide / catalog
    print(f"catalog report: {catalog * 1000:.1f} ms; guide's row-joining query: {guide * 1000:.1f} ms; "
          f"{ratio:.0f}x faster (median of {repeat})")
    print("RESULT " + json.dumps({"bench": "compression_report", "measure": f"report vs guide's row join, {built['rows']} rows",
                                  "ratio": round(ratio, 1), "target": ">= 50x at 10M rows"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
