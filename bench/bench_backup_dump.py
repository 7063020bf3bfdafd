"""Benchmark: the nightly dump's wall time and size for candidate pg_dump settings, against the guide's -Fc -Z9.

Loads generated market data (tests/harness/market_data.py, M1 bars) into a throwaway PostgreSQL 15 until the
database reaches ``--size-mb``, then dumps it with each candidate and prints time and size ratios against
``pg_dump -Fc -Z9`` measured in the same run. Target of the default: <= 0.4x the time at <= 1.15x the size.

    .venv/bin/python bench/bench_backup_dump.py --size-mb 1024     # the issue's >= 1 GB
    .venv/bin/python bench/bench_backup_dump.py --size-mb 20       # smoke run
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "plugins")]

from harness.market_data import SYMBOLS, create_schema, insert_bars  # noqa: E402
from harness.postgres import PG_BIN, PostgresCluster  # noqa: E402
from tsdb_ops.config import OpsConfig  # noqa: E402

BASELINE = ("guide: -Fc -Z9", ["--format=custom", "--compress=9"])
# The shipped default (config pg_dump_compression), reported on the RESULT line.
DEFAULT_OPTIONS = ["--format=custom", f"--compress={OpsConfig().pg_dump_compression}"]
CANDIDATES = [
    ("-Fc -Z6 (gzip default)", ["--format=custom", "--compress=6"]),
    ("-Fc -Z3", ["--format=custom", "--compress=3"]),
    ("-Fc -Z1", ["--format=custom", "--compress=1"]),
    ("-Fc -Z0 (uncompressed)", ["--format=custom", "--compress=0"]),
    ("-Fc lz4", ["--format=custom", "--compress=lz4"]),
    ("-Fc zstd", ["--format=custom", "--compress=zstd"]),
    ("-Fd -j2 -Z1", ["--format=directory", "--jobs=2", "--compress=1"]),
]


def load(dsn: str, size_mb: int) -> tuple[int, int]:
    """M1 bars of every symbol, 30 days at a time going back, until the database holds ``size_mb``."""
    import psycopg

    end = datetime(2026, 3, 1, tzinfo=UTC)
    rows = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        create_schema(conn, hypertable=False)
        while conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] < size_mb * 1024 * 1024:
            for symbol in SYMBOLS:
                rows += insert_bars(conn, symbol, "M1", end - timedelta(days=30), end)
            end -= timedelta(days=30)
        conn.execute("VACUUM ANALYZE market_data")
        return rows, conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def dump(dsn: str, args: list[str], out: Path) -> tuple[float, int] | str:
    """Wall time and size of one dump, or the reason it could not run."""
    if out.exists():
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    started = time.perf_counter()
    result = subprocess.run([str(PG_BIN / "pg_dump"), *args, f"--file={out}", dsn], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        return result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}"
    return seconds, size_of(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="database size to generate (default 1024)")
    parser.add_argument("--smoke", action="store_true", help="a 20 MB database")
    args = parser.parse_args()
    if args.smoke:
        args.size_mb = 20
    cluster = PostgresCluster("bench-dump").start()
    work = Path(tempfile.mkdtemp(prefix="tsdb-ops-bench-dump-"))
    try:
        dsn = cluster.create_database("mt5_bench")
        started = time.perf_counter()
        rows, db_bytes = load(dsn, args.size_mb)
        version = subprocess.run([str(PG_BIN / "pg_dump"), "--version"], capture_output=True, text=True).stdout.strip()
        print(f"database: {db_bytes / 1e6:.0f} MB, {rows:,} rows, loaded in {time.perf_counter() - started:.0f} s; {version}")
        base = dump(dsn, BASELINE[1], work / "baseline")
        if isinstance(base, str):
            print(f"baseline failed: {base}")
            return 1
        print(f"{'setting':26} {'time s':>8} {'size MB':>9} {'time x':>7} {'size x':>7}  verdict (<=0.4x time, <=1.15x size)")
        print(f"{BASELINE[0]:26} {base[0]:8.1f} {base[1] / 1e6:9.1f} {1:7.2f} {1:7.2f}")
        for name, options in CANDIDATES:
            result = dump(dsn, options, work / "candidate")
            if isinstance(result, str):
                print(f"{name:26} not available: {result}")
                continue
            time_ratio, size_ratio = result[0] / base[0], result[1] / base[1]
            verdict = "meets target" if time_ratio <= 0.4 and size_ratio <= 1.15 else "misses target"
            print(f"{name:26} {result[0]:8.1f} {result[1] / 1e6:9.1f} {time_ratio:7.2f} {size_ratio:7.2f}  {verdict}")
            if options == DEFAULT_OPTIONS:
                measure = f"default {name} at {db_bytes / 1e6:.0f} MB: {time_ratio:.2f}x time, {size_ratio:.2f}x size vs -Z9"
                print("RESULT " + json.dumps({"bench": "backup_dump", "measure": measure, "ratio": round(time_ratio, 3),
                                              "target": "<=0.4x time, <=1.15x size"}))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main())
