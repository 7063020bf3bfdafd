"""Benchmark: the nightly dump's wall time and size for candidate pg_dump settings, against the guide's -Fc -Z9.

Builds the production shape on the test harness's native TimescaleDB (PostgreSQL 15 with TimescaleDB preloaded):
``market_data`` a hypertable of 7-day chunks compressed with segmentby symbol / orderby timestamp, M1/M5/H1/D1
bars of ``--symbols`` symbols loaded one chunk at a time going back from now, chunks older than 7 days (the
guide's compression policy) compressed as they are loaded, the newest ones left uncompressed
(tests/harness/market_data.py ``load_production_shape``). Loading stops when the database holds ``--size-mb`` on
disk (``pg_database_size``, after compression). Each setting is then dumped with pg_dump 15 ``--repeat`` times,
rounds interleaved, and compared with ``pg_dump -Fc -Z9`` measured in the same run: wall time (the fastest of the
rounds: the target's measure) and pg_dump's own CPU time (the median), which other load hardly moves. A
compressing -Fc dump is bound by pg_dump's CPU, so on an idle machine both ratios agree; rows whose wall time
is well above their CPU time are marked as measured on a busy machine.
Target of the default: <= 0.4x the time at <= 1.15x the size.

The compressed chunks are dumped as TimescaleDB stores them: already compressed, written as base64 text, so
gzip gains little on them and -Z9 spends its time for nothing there.

Without native TimescaleDB (``make setup`` with TSDB_SOURCE_TARBALL) it falls back, loudly, to a plain
PostgreSQL 15 table of M1 bars, which is NOT the production shape.

    .venv/bin/python bench/bench_backup_dump.py                 # >= 1 GB, 150 symbols, 3 rounds (30-40 min on 2 cores)
    .venv/bin/python bench/bench_backup_dump.py --size-mb 2048 --repeat 5
    .venv/bin/python bench/bench_backup_dump.py --smoke         # 40 MB, 4 symbols, one round (under a minute)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "plugins")]

from harness.market_data import SYMBOLS, create_schema, insert_bars, load_production_shape  # noqa: E402
from harness.postgres import PG_BIN, PostgresCluster, native_timescaledb_version  # noqa: E402
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

SHAPE = """
SELECT count(*), count(*) FILTER (WHERE is_compressed),
       (SELECT coalesce(sum(total_bytes), 0)::bigint FROM chunks_detailed_size('market_data') d
         JOIN timescaledb_information.chunks c ON c.chunk_schema = d.chunk_schema AND c.chunk_name = d.chunk_name
        WHERE c.is_compressed),
       (SELECT coalesce(sum(before_compression_total_bytes), 0)::bigint FROM hypertable_compression_stats('market_data'))
FROM timescaledb_information.chunks WHERE hypertable_name = 'market_data'
"""


def load_plain(dsn: str, size_mb: int) -> int:
    """Fallback without TimescaleDB: M1 bars of every symbol in a plain table, 30 days at a time going back."""
    import psycopg

    end = datetime(2026, 3, 1, tzinfo=UTC)
    rows = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        create_schema(conn, hypertable=False)
        while conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] < size_mb * 1024 * 1024:
            for symbol in SYMBOLS:
                rows += insert_bars(conn, symbol, "M1", end - timedelta(days=30), end)
            end -= timedelta(days=30)
    return rows


def load(dsn: str, size_mb: int, symbols: int, timescale: bool) -> tuple[int, int, int, str]:
    """Rows, on-disk database size, compressed chunks and a description of the shape."""
    import psycopg

    if timescale:
        with psycopg.connect(dsn, autocommit=True) as conn:
            now = conn.execute("SELECT date_trunc('minute', now())").fetchone()[0]
            loaded = load_production_shape(conn, end=now, symbols=symbols, min_database_bytes=size_mb * 1024 * 1024)
        rows = loaded["rows"]
    else:
        rows = load_plain(dsn, size_mb)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        db_bytes = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        if not timescale:
            return rows, db_bytes, 0, "plain PostgreSQL 15 table (NOT the production shape)"
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").fetchone()[0]
        chunks, compressed, compressed_bytes, before_bytes = conn.execute(SHAPE).fetchone()
    return rows, db_bytes, compressed, (
        f"TimescaleDB {version}, {symbols} symbols, {chunks} chunks of 7 days, {compressed} compressed"
        f" ({compressed_bytes / 1e6:.0f} MB on disk, {before_bytes / 1e6:.0f} MB before compression),"
        f" {chunks - compressed} uncompressed")


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def dump(dsn: str, args: list[str], out: Path) -> tuple[float, float, int] | str:
    """Wall time, pg_dump's own CPU time and size of one dump, or the reason it could not run."""
    if out.exists():
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([str(PG_BIN / "pg_dump"), *args, f"--file={out}", dsn], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if result.returncode != 0:
        return result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}"
    return seconds, cpu, size_of(out)


@dataclass(frozen=True)
class Figures:
    wall: float  # seconds, the fastest of the rounds
    cpu: float  # pg_dump's own CPU seconds, the median of the rounds
    size: int  # bytes


def measure_all(dsn: str, work: Path, repeat: int) -> dict[str, Figures | str]:
    """Every setting ``repeat`` times, rounds interleaved so a burst of load hits all alike."""
    runs: dict[str, list[tuple[float, float, int]] | str] = {}
    for round_ in range(1, repeat + 1):
        for name, options in [BASELINE, *CANDIDATES]:
            if isinstance(runs.get(name), str):
                continue
            result = dump(dsn, options, work / "dump")
            if isinstance(result, str):
                runs[name] = result
                continue
            runs.setdefault(name, []).append(result)
            print(f"  round {round_}: {name:24} {result[0]:7.1f} s  cpu {result[1]:6.1f} s", flush=True)
    return {name: figures if isinstance(figures, str) else Figures(
        min(wall for wall, _, _ in figures), statistics.median(cpu for _, cpu, _ in figures), figures[-1][2])
        for name, figures in runs.items()}


def contended(name: str, figures: Figures) -> str:
    """A compressing -Fc dump is bound by pg_dump's CPU: on an idle machine its wall time is about its CPU time."""
    if name.startswith("-Fc -Z0") or "-Fd" in name or figures.wall <= 1.2 * figures.cpu + 1.0:
        return ""
    return f"  (busy machine: wall {figures.wall / figures.cpu:.2f}x its CPU)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024, help="on-disk database size to generate (default 1024)")
    parser.add_argument("--symbols", type=int, default=150, help="symbols in the hypertable (default 150)")
    parser.add_argument("--repeat", type=int, default=3, help="dumps per setting (default 3)")
    parser.add_argument("--smoke", action="store_true", help="40 MB, 4 symbols, one round")
    args = parser.parse_args()
    if args.smoke:
        args.size_mb, args.symbols, args.repeat = 40, 4, 1
    logging.basicConfig(level=logging.INFO, format="  %(message)s", stream=sys.stdout)
    timescale = native_timescaledb_version() is not None
    if not timescale:
        banner = ("!" * 100 + "\n!!! native TimescaleDB is NOT installed (make setup with TSDB_SOURCE_TARBALL): dumping a"
                  " plain PostgreSQL 15 table,\n!!! NOT the production shape (no compressed chunks). These figures do not"
                  " decide pg_dump_compression.\n" + "!" * 100)
        print(banner, flush=True)
        print(banner, file=sys.stderr)
    cluster = PostgresCluster("bench-dump", timescale=timescale).start()
    work = Path(tempfile.mkdtemp(prefix="tsdb-ops-bench-dump-"))
    try:
        dsn = cluster.create_database("mt5_bench", timescaledb=timescale)
        started = time.perf_counter()
        rows, db_bytes, compressed, shape = load(dsn, args.size_mb, args.symbols, timescale)
        version = subprocess.run([str(PG_BIN / "pg_dump"), "--version"], capture_output=True, text=True).stdout.strip()
        print(f"database: {db_bytes / 1e6:.0f} MB on disk (pg_database_size), {rows:,} rows, loaded in"
              f" {time.perf_counter() - started:.0f} s; {shape}; {version}")
        print(f"load average before dumps: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)", flush=True)
        results = measure_all(dsn, work, args.repeat)
        print(f"load average after dumps: {os.getloadavg()[0]:.2f}")
        base = results[BASELINE[0]]
        if isinstance(base, str):
            print(f"baseline failed: {base}")
            return 1
        print(f"\ntime: fastest of {args.repeat}; cpu: pg_dump's own CPU time, median of {args.repeat} (hardly moved by"
              " other load: where time x and cpu x disagree, the machine was busy)")
        print(f"{'setting':26} {'time s':>7} {'cpu s':>7} {'size MB':>8} {'time x':>7} {'cpu x':>6} {'size x':>7}"
              "  verdict (<=0.4x time, <=1.15x size)")
        print(f"{BASELINE[0]:26} {base.wall:7.1f} {base.cpu:7.1f} {base.size / 1e6:8.1f} {1:7.2f} {1:6.2f} {1:7.2f}"
              f"{contended(BASELINE[0], base)}")
        for name, options in CANDIDATES:
            result = results[name]
            if isinstance(result, str):
                print(f"{name:26} not available: {result}")
                continue
            time_ratio, cpu_ratio, size_ratio = result.wall / base.wall, result.cpu / base.cpu, result.size / base.size
            verdict = "meets target" if time_ratio <= 0.4 and size_ratio <= 1.15 else "misses target"
            print(f"{name:26} {result.wall:7.1f} {result.cpu:7.1f} {result.size / 1e6:8.1f} {time_ratio:7.2f}"
                  f" {cpu_ratio:6.2f} {size_ratio:7.2f}  {verdict}{contended(name, result)}")
            if options == DEFAULT_OPTIONS:
                what = f"TimescaleDB, {compressed} compressed chunks" if timescale else "plain PostgreSQL"
                measure = (f"default {name} at {db_bytes / 1e6:.0f} MB ({what}): {time_ratio:.2f}x time (pg_dump CPU"
                           f" {cpu_ratio:.2f}x), {size_ratio:.2f}x size vs -Z9")
                print("RESULT " + json.dumps({"bench": "backup_dump", "measure": measure, "ratio": round(time_ratio, 3),
                                              "target": "<=0.4x time, <=1.15x size"}))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main())
