"""Insert stalls during the weekly compression under a live insert stream (target: no insert waits > 1 s).

Runs on the test harness's native TimescaleDB (PostgreSQL 15 with TimescaleDB preloaded, background scheduler
on). The data is the production shape (tests/harness/market_data.py ``load_production_shape``): ``market_data``
a hypertable of 7-day chunks with compression segmentby symbol / orderby timestamp, M1/M5/H1/D1 bars of
``--symbols`` symbols over ``--chunks`` weeks (13: the guide's 90-day retention), VACUUM ANALYZEd as autovacuum
would have, and NO chunk compressed: the worst case for the weekly run (the compression policy did not run), so
every chunk older than 30 days is compressed under the stream. The loaded database is cloned, so both
approaches work on the same data.

The live writer inserts one bar every 20 ms (as the MT5 feed does) into the newest chunk while the maintenance
runs on another connection; the figure (and the target) is its longest single insert. A second writer, the
backfill, inserts one bar every 250 ms into the chunks being compressed (a feed filling a gap in old history):
reported beside it, not part of the target. A sampler polls pg_stat_activity every 20 ms, so each slow insert is
reported with what it waited on (a lock and who held it, I/O, CPU when nothing) and what maintenance was doing.
Measured side by side in one run:

- ours:  the weekly DAG's steps: compress_old_chunks (one chunk per transaction, lock_timeout and
         statement_timeout from OpsConfig) then VACUUM (ANALYZE) (autocommit, the same timeouts);
- naive: the guide's single statement `SELECT compress_chunk(i) FROM show_chunks(...) i` in one transaction,
         then the same VACUUM (ANALYZE).

Without native TimescaleDB (``make setup`` with TSDB_SOURCE_TARBALL) it falls back, loudly, to the old
behaviour: a native TimescaleDB named by TSDB_TEST_DSN, else VACUUM ANALYZE on plain PostgreSQL 15 only (no
compression measured).

    .venv/bin/python bench/bench_insert_stall.py                     # 150 symbols, 13 weekly chunks (~15 min on 2 cores)
    .venv/bin/python bench/bench_insert_stall.py --symbols 40 --chunks 20
    .venv/bin/python bench/bench_insert_stall.py --smoke             # 4 symbols, 8 chunks (under a minute)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests")]

from harness.market_data import load_market_data, load_production_shape  # noqa: E402
from harness.postgres import PostgresCluster, native_timescaledb_version  # noqa: E402
from tsdb_ops.config import OpsConfig  # noqa: E402
from tsdb_ops.files import read_sql  # noqa: E402
from tsdb_ops.maintenance.weekly import compress_old_chunks  # noqa: E402
from tsdb_ops.timescale.table import resolve_table  # noqa: E402

NAIVE_COMPRESS = "SELECT compress_chunk(i) FROM show_chunks('market_data', older_than => INTERVAL '30 days') i"
LIVE_INSERT = ("INSERT INTO market_data (timestamp, symbol, timeframe, open, high, low, close)"
               " VALUES (clock_timestamp(), 'BENCH', 'T1', 1, 1, 1, 1) ON CONFLICT DO NOTHING")
BACKFILL_INSERT = ("INSERT INTO market_data (timestamp, symbol, timeframe, open, high, low, close)"
                   " VALUES (%s, 'BACKFILL', 'M1', 1, 1, 1, 1) ON CONFLICT DO NOTHING")
# The chunks the weekly run compresses (older than weekly_compress_older_than_days), for the backfill stream.
OLD_CHUNKS = """
SELECT range_start FROM timescaledb_information.chunks
WHERE hypertable_name = 'market_data' AND range_end < now() - make_interval(days => %s) ORDER BY range_start
"""
# Every backend of the database but the sampler; pg_blocking_pids only for lock waits (it locks the lock manager).
SAMPLE = r"""
SELECT pid, backend_type, state, wait_event_type, wait_event,
       CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid) END,
       left(regexp_replace(query, '^(\s*--[^\n]*\n)*\s*', ''), 70)
FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
"""
# The backfill stream's figure, a second RESULT line after the target's (native TimescaleDB only).
BACKFILL_RESULTS: list[dict[str, object]] = []
COMPRESSED = "SELECT count(*) FILTER (WHERE is_compressed), count(*) FROM timescaledb_information.chunks"


@dataclass(frozen=True)
class Sample:
    moment: float
    pid: int
    who: str  # "live", "backfill", "maintenance", or the backend type (autovacuum worker, scheduler, ...)
    state: str | None
    wait: str | None
    blocked_by: tuple[int, ...]
    query: str


@dataclass
class Measurement:
    """One maintenance run under the streams: each insert (start, seconds) per stream, samples, phases, one clock."""

    inserts: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: {"live": [], "backfill": []})
    samples: list[Sample] = field(default_factory=list)
    phases: list[tuple[float, str]] = field(default_factory=list)
    elapsed: float = 0.0
    compressed: str = ""

    def worst(self, stream: str = "live") -> float:
        return max(seconds for _, seconds in self.inserts[stream])

    def durations(self) -> str:
        """Compression and VACUUM time from the phase marks, with the longest single chunk of ours (its lock)."""
        spans = [(phase, later - moment, following) for (moment, phase), (later, following) in pairwise(self.phases)]
        compress = sum(seconds for phase, seconds, _ in spans if phase.startswith("compress"))
        vacuum = sum(seconds for phase, seconds, _ in spans if phase.startswith("VACUUM"))
        # One chunk of ours: from the previous line to its own "i/n chunks: <chunk> ..." line.
        chunks = [seconds for _, seconds, following in spans if following.startswith("compress (ours), after: ")
                  and " chunks: " in following]
        longest = f", longest chunk {max(chunks):.1f} s" if chunks else ""
        return f"compression {compress:.1f} s{longest}, VACUUM (ANALYZE) {vacuum:.1f} s"

    def phase_at(self, moment: float) -> str:
        current = "before maintenance"
        for started, phase in self.phases:
            if started <= moment:
                current = phase
        return current

    def explain(self, stream: str, started: float, seconds: float) -> str:
        """What the stream's backend waited on during this insert, and who held the lock, from the samples."""
        during = [sample for sample in self.samples if started <= sample.moment <= started + seconds]
        waits: Counter[str] = Counter()
        blockers: set[str] = set()
        for sample in during:
            if sample.who != stream or sample.state != "active":
                continue
            waits[sample.wait or "on CPU (no wait event)"] += 1
            for pid in sample.blocked_by:
                holder = next((s for s in during if s.pid == pid), None)
                blockers.add(f"{holder.who} running {holder.query!r}" if holder else f"pid {pid}")
        if not waits:
            return "no sample while it ran (shorter than the 20 ms sampling, or on the client side)"
        text = ", ".join(f"{wait} x{count}" for wait, count in waits.most_common())
        return text + (f"; blocked by {'; '.join(sorted(blockers))}" if blockers else "")


class InsertStream:
    """Inserts one row every ``pause`` seconds on its own connection, recording each insert's start and latency.

    The first inserts warm the connection up (hypertable and chunk caches, prepared statement) unrecorded: the
    feed's connection is long-lived."""

    def __init__(self, dsn: str, statement: str, params: Callable[[int], tuple], pause: float,
                 into: list[tuple[float, float]]) -> None:
        self.dsn, self.statement, self.params, self.pause, self.into = dsn, statement, params, pause, into
        self.pid: int | None = None
        self._stop, self._ready = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            self.pid = conn.info.backend_pid
            count = 0
            while not self._stop.is_set():
                started = time.perf_counter()
                conn.execute(self.statement, self.params(count))
                if count >= 10:
                    self.into.append((started, time.perf_counter() - started))
                elif count == 9:
                    self._ready.set()
                count += 1
                time.sleep(self.pause)

    def __enter__(self) -> InsertStream:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the insert stream did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class WaitSampler:
    """Polls pg_stat_activity every 20 ms: every backend of the database, the streams and maintenance named."""

    def __init__(self, dsn: str, roles: dict[int, str], into: Measurement) -> None:
        self.dsn, self.roles, self.into, self._stop = dsn, roles, into, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.is_set():
                moment = time.perf_counter()
                for pid, backend_type, state, wait_type, wait_event, blocked_by, query in conn.execute(SAMPLE):
                    self.into.samples.append(Sample(
                        moment, pid, self.roles.get(pid, backend_type), state,
                        f"{wait_type}:{wait_event}" if wait_type else None, tuple(blocked_by or ()), query))
                time.sleep(0.02)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(dsn: str, maintenance: Callable[[psycopg.Connection, Callable[[str], None]], None], *,
            timescale: bool = True) -> Measurement:
    """Run ``maintenance`` under the live stream (now, every 20 ms) and, on TimescaleDB, the backfill stream (every
    250 ms, cycling over the chunks the weekly run compresses: it meets each chunk before, during and after its
    compression)."""
    result = Measurement()

    def mark(phase: str) -> None:
        result.phases.append((time.perf_counter(), phase))

    with psycopg.connect(dsn, autocommit=True) as conn, ExitStack() as streams:
        roles = {conn.info.backend_pid: "maintenance"}
        live = streams.enter_context(InsertStream(dsn, LIVE_INSERT, lambda _: (), 0.02, result.inserts["live"]))
        roles[live.pid] = "live"
        if timescale:
            old = [row[0] for row in conn.execute(OLD_CHUNKS, (OpsConfig().weekly_compress_older_than_days,))]
            if old:
                backfill = streams.enter_context(InsertStream(
                    dsn, BACKFILL_INSERT, lambda count: (old[count % len(old)] + timedelta(seconds=count),), 0.25,
                    result.inserts["backfill"]))
                roles[backfill.pid] = "backfill"
        streams.enter_context(WaitSampler(dsn, roles, result))
        time.sleep(0.2)
        started = time.perf_counter()
        maintenance(conn, mark)
        result.elapsed = time.perf_counter() - started
        mark("after maintenance")
        time.sleep(0.2)
        streams.close()
        if timescale:
            done, total = conn.execute(COMPRESSED).fetchone()
            result.compressed = f"{done} of {total} chunks compressed"
    return result


def ours(conn: psycopg.Connection, mark: Callable[[str], None]) -> None:
    """The weekly DAG's steps: compress_old_chunks (its code), then its VACUUM step: the same SQL file on an
    autocommit session with the maintenance timeouts (the DAG passes them as connection options)."""
    config = OpsConfig()
    hypertable = resolve_table(conn, config.hypertable)
    mark("compress (ours): listing chunks")
    try:
        # Progress lines come after each chunk: the phase until the next line is the next chunk's compression.
        compress_old_chunks(conn, hypertable, config, progress=lambda message: mark(f"compress (ours), after: {message}"))
    except Exception as exc:  # chunks left uncompressed fail the task: a finding of the bench, not its end
        print(f"    ours: compression step FAILED: {exc}")
    mark("VACUUM (ANALYZE)")
    conn.execute("SELECT set_config('lock_timeout', %s, false), set_config('statement_timeout', %s, false)",
                 (f"{config.lock_timeout_ms}ms", f"{config.statement_timeout_ms}ms"))
    conn.execute(read_sql("maintenance/vacuum_analyze.sql"))


def naive(conn: psycopg.Connection, mark: Callable[[str], None]) -> None:
    mark("compress (naive): one transaction, every chunk")
    with conn.transaction():
        conn.execute(NAIVE_COMPRESS)
    mark("VACUUM (ANALYZE)")
    conn.execute(read_sql("maintenance/vacuum_analyze.sql"))


def vacuum_only(conn: psycopg.Connection, mark: Callable[[str], None]) -> None:
    mark("VACUUM (ANALYZE)")
    conn.execute(read_sql("maintenance/vacuum_analyze.sql"))


def report(name: str, result: Measurement) -> None:
    for stream, what in (("live", "live insert (now)"), ("backfill", "backfill into the old chunks")):
        latencies = sorted(seconds for _, seconds in result.inserts[stream])
        if not latencies:
            continue
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        over_1s = sum(1 for seconds in latencies if seconds > 1.0)
        over_100ms = sum(1 for seconds in latencies if seconds > 0.1)
        print(f"  {name}, {what}: worst {latencies[-1] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, median"
              f" {statistics.median(latencies) * 1000:.1f} ms over {len(latencies)} inserts ({over_100ms} > 100 ms,"
              f" {over_1s} > 1 s)")
        for started, seconds in sorted(result.inserts[stream], key=lambda insert: -insert[1])[:3 if stream == "live" else 2]:
            print(f"      {seconds * 1000:8.1f} ms during {result.phase_at(started)!r}:"
                  f" {result.explain(stream, started, seconds)}")
    print(f"  {name}: maintenance {result.elapsed:.1f} s ({result.durations()})"
          + (f"; {result.compressed}" if result.compressed else ""))


def clone_database(cluster: PostgresCluster, source: str, target: str) -> str:
    """CREATE DATABASE target TEMPLATE source, with source's TimescaleDB scheduler stopped while it is copied."""
    with psycopg.connect(cluster.dsn(source), autocommit=True) as conn:
        conn.execute("SELECT _timescaledb_functions.stop_background_workers()")
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        for attempt in range(100):
            try:
                conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(target), sql.Identifier(source)))
                break
            except psycopg.errors.ObjectInUse:  # a backend of source still exiting
                if attempt == 99:
                    raise
                time.sleep(0.2)
    for name in (source, target):
        with psycopg.connect(cluster.dsn(name), autocommit=True) as conn:
            conn.execute("SELECT _timescaledb_functions.start_background_workers()")
    return cluster.dsn(target)


def run_native(symbols: int, chunks: int) -> tuple[str, float | str, float]:
    cluster = PostgresCluster("bench-stall", timescale=True).start()
    try:
        dsn = cluster.create_database("stall_naive", timescaledb=True)
        started = time.perf_counter()
        with psycopg.connect(dsn, autocommit=True) as conn:
            now = conn.execute("SELECT date_trunc('minute', now())").fetchone()[0]
            loaded = load_production_shape(conn, end=now, symbols=symbols, chunks=chunks, compress_after=None)
            conn.execute("VACUUM ANALYZE")
            version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").fetchone()[0]
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        dsns = {"naive (one transaction)": dsn, "ours (one chunk per transaction)": clone_database(
            cluster, "stall_naive", "stall_ours")}
        print(f"native TimescaleDB {version}: {symbols} symbols, {loaded['chunks']} chunks of 7 days, {loaded['rows']:,}"
              f" rows, {size / 1e6:.0f} MB, none compressed; loaded and cloned in {time.perf_counter() - started:.0f} s;"
              f" lock_timeout {OpsConfig().lock_timeout_ms} ms (OpsConfig)")
        print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)", flush=True)
        results = {}
        for label, maintenance in (("naive (one transaction)", naive), ("ours (one chunk per transaction)", ours)):
            results[label] = measure(dsns[label], maintenance)
            report(label, results[label])
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        ours_worst = results["ours (one chunk per transaction)"].worst()
        naive_worst = results["naive (one transaction)"].worst()
        text = f"native TimescaleDB {version}: worst insert {ours_worst * 1000:.0f} ms vs naive {naive_worst * 1000:.0f} ms"
        ours_backfill = results["ours (one chunk per transaction)"].worst("backfill")
        naive_backfill = results["naive (one transaction)"].worst("backfill")
        BACKFILL_RESULTS.append({
            "bench": "insert_stall_backfill", "ratio": round(ours_backfill / naive_backfill, 3), "target": "- (no target)",
            "measure": f"backfill into the chunks being compressed: worst {ours_backfill * 1000:.0f} ms vs naive"
                       f" {naive_backfill * 1000:.0f} ms"})
        return text, round(ours_worst / naive_worst, 3), ours_worst
    finally:
        cluster.destroy()


def run_fallback(days: int) -> tuple[str, float | str, float]:
    """The old behaviour, for machines without native TimescaleDB."""
    banner = "!" * 100 + "\n!!! native TimescaleDB is NOT installed (make setup with TSDB_SOURCE_TARBALL): "
    native = os.environ.get("TSDB_TEST_DSN")
    if native:
        print(banner + "measuring on TSDB_TEST_DSN with the\n!!! old small data set (H1 bars), NOT the production"
              " shape.\n" + "!" * 100, flush=True)
        results = {}
        for label, maintenance in (("naive (one transaction)", naive), ("ours (one chunk per transaction)", ours)):
            dsn = fresh_database(native, f"tsdb_ops_bench_stall_{label.split()[0]}", hypertable=True, days=days)
            results[label] = measure(dsn, maintenance)
            report(label, results[label])
        ours_worst = results["ours (one chunk per transaction)"].worst()
        naive_worst = results["naive (one transaction)"].worst()
        return (f"TSDB_TEST_DSN: worst insert {ours_worst * 1000:.0f} ms vs naive {naive_worst * 1000:.0f} ms",
                round(ours_worst / naive_worst, 3), ours_worst)
    message = (banner + "compression under a live insert stream is\n!!! NOT measured; measuring VACUUM ANALYZE on"
               " plain PostgreSQL 15 only.\n" + "!" * 100)
    print(message, flush=True)
    print(message, file=sys.stderr)
    cluster = PostgresCluster("bench-stall", timescale=False).start()
    try:
        dsn = fresh_database(cluster.dsn(), "stall", hypertable=False, days=days)
        result = measure(dsn, vacuum_only, timescale=False)
        report("VACUUM ANALYZE (PostgreSQL 15)", result)
    finally:
        cluster.destroy()
    return f"NOT TimescaleDB, VACUUM ANALYZE only: worst insert {result.worst() * 1000:.0f} ms", "", result.worst()


def fresh_database(admin_dsn: str, name: str, *, hypertable: bool, days: int) -> str:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = psycopg.conninfo.make_conninfo(admin_dsn, dbname=name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        if hypertable:
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        load_market_data(conn, now=datetime.now(UTC), hypertable=hypertable, h1_days=days, m1_days=min(days, 30))
        if hypertable:
            conn.execute("ALTER TABLE market_data SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol',"
                         " timescaledb.compress_orderby = 'timestamp')")
    return dsn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--symbols", type=int, default=150, help="symbols in the hypertable (default 150)")
    parser.add_argument("--chunks", type=int, default=13, help="weekly chunks of history (default 13: 90 days)")
    parser.add_argument("--smoke", action="store_true", help="4 symbols, 8 chunks")
    args = parser.parse_args()
    if args.smoke:
        args.symbols, args.chunks = 4, 8
    logging.basicConfig(level=logging.INFO, format="  %(message)s", stream=sys.stdout)
    logging.getLogger("tsdb_ops").setLevel(logging.WARNING)
    if native_timescaledb_version() is not None:
        measure_text, ratio, ours_worst = run_native(args.symbols, args.chunks)
    else:
        measure_text, ratio, ours_worst = run_fallback(args.chunks * 7)
    verdict = "OK" if ours_worst <= 1.0 else "OVER 1 s"
    print(f"target: no insert waits > 1 s with ours: {verdict}")
    print("RESULT " + json.dumps({"bench": "insert_stall", "measure": measure_text, "ratio": ratio,
                                  "target": "worst insert <= 1 s"}))
    for result in BACKFILL_RESULTS:
        print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
