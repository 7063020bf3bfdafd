"""Backup monitor check time on a generated backup dir (target: <= 1 s for >= 1,000 files, cost ~ file count),
and the cost of the rolling re-hash that catches bytes changed with the mtime put back.

Generates backup sets (database dump by pg_dump 15, models and configs tarballs, manifest: 4 files a set) in two
directories, then measures in the same run:

- ours:  on ``--sets`` small sets (many files), the hourly runs after the first over one whole re-hash cycle
         (their ``now`` one hour apart, so the rolling schedule runs as it would over the days): every manifest
         read, every file stat'ed, the files due by the rolling schedule re-hashed, the rest trusted by size +
         mtime + recorded hash, plus the freshness, size and trend decisions;
- naive: the same with every file re-hashed and re-listed (pg_restore -l in one container of the client image,
         tar -t), as a script that keeps no record does each hour;
- rolling re-hash vs re-hashing every file every run, on ``--rehash-sets`` sets of realistic bytes (models of
         ``--rehash-models-mib``; hashing, not the file count, is what a re-hash costs): the mean per-run time
         over one cycle of hourly runs at the default pace (``monitor_rehash_days``, at least 32 MiB a run),
         against the per-run time of the same code with a window shorter than a run (everything, every run).
         Then paced by the window alone (no minimum), over a whole window of hourly runs: what a set above
         ~5.6 GB gets at 7 days. Each must re-read every file: checked from the record's read times.

Needs the Docker engine and the test client image (scripts/build_test_images.sh).

    .venv/bin/python bench/bench_monitor.py [--sets 340] [--artefact-kib 512] [--rehash-sets 14]
                                            [--rehash-models-mib 64] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests")]

from conftest import TEST_PG_CLIENT_IMAGE  # noqa: E402
from harness.backup_dirs import make_dump, write_backup_set  # noqa: E402
from harness.market_data import load_market_data  # noqa: E402
from harness.postgres import PostgresCluster  # noqa: E402
from tsdb_ops.config import OpsConfig  # noqa: E402
from tsdb_ops.monitor import checks  # noqa: E402
from tsdb_ops.monitor.rehash import REHASH_MIN_BYTES_PER_RUN  # noqa: E402
from tsdb_ops.monitor.verification import STATE_FILE, Inventory, verify_backups  # noqa: E402
from tsdb_ops.tasks.containers import ListDumpsOperator  # noqa: E402
from tsdb_ops.tasks.db_backup_monitor import readable_manifests  # noqa: E402

HOUR = 3600
EVERY_RUN_DAYS = 1 / 48  # a window shorter than one run: every file is re-hashed in every run


def make_source_dump(work: Path, artefact_kib: int) -> Path:
    import psycopg

    cluster = PostgresCluster("bench-monitor").start()
    try:
        dsn = cluster.create_database("src")
        with psycopg.connect(dsn, autocommit=True) as conn:
            load_market_data(conn, now=datetime.now(UTC), hypertable=False, h1_days=max(1, artefact_kib // 40), m1_days=0)
        return make_dump(dsn, work / "source.backup")
    finally:
        cluster.destroy()


def build_dir(root: Path, dump: Path, sets: int, models_bytes: int) -> tuple[int, int]:
    """``sets`` daily sets; (files, bytes) of the artefacts."""
    now = datetime.now(UTC)
    for index in range(sets):  # set ids are dates: one set a day
        write_backup_set(root, now - timedelta(days=index), dump, models_bytes=models_bytes)
    artefacts = [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return len(artefacts), sum(p.stat().st_size for p in artefacts)


def one_run(root: Path, config: OpsConfig, now: float, *, verify_all: bool = False, rehash_days: float | None = None,
            rehash_min_bytes: int = REHASH_MIN_BYTES_PER_RUN) -> tuple[float, Inventory]:
    started = time.perf_counter()
    lister = ListDumpsOperator(task_id="list_dumps_with_pg_restore")  # what the DAG's list task runs
    inventory = verify_backups(str(root), lambda names: lister.list_dumps(names, config), verify_all=verify_all, now=now,
                               rehash_days=config.monitor_rehash_days if rehash_days is None else rehash_days,
                               rehash_min_bytes=rehash_min_bytes)
    manifests = readable_manifests(str(root))
    as_of = datetime.now(UTC)
    checks.check_freshness(manifests, as_of, config)
    checks.check_sizes(manifests, config)
    checks.check_trends(manifests, config)
    assert not inventory.problems, inventory.problems[:3]
    return time.perf_counter() - started, inventory


def unread_since(root: Path, since: float) -> list[str]:
    """Files the record says were not read after ``since``."""
    record = json.loads((root / STATE_FILE).read_text())
    return [path for path, entry in record.items() if datetime.fromisoformat(entry["hashed_at"]).timestamp() <= since]


def hourly_runs(root: Path, config: OpsConfig, start: float, runs: int, **pace) -> tuple[list[float], float, bool]:
    """``runs`` hourly runs after ``start``: (their times, mean bytes re-hashed, every file re-read)."""
    results = [one_run(root, config, start + k * HOUR, **pace) for k in range(1, runs + 1)]
    return ([seconds for seconds, _ in results], statistics.mean(i.bytes_rehashed for _, i in results),
            not unread_since(root, start))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=int, default=340, help="backup sets (4 files each)")
    parser.add_argument("--artefact-kib", type=int, default=512, help="approximate size of each models tarball")
    parser.add_argument("--rehash-sets", type=int, default=14, help="sets of the re-hash measure (retention: 14)")
    parser.add_argument("--rehash-models-mib", type=int, default=64, help="models tarball size of the re-hash measure")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny size")
    args = parser.parse_args()
    sets, kib = (20, 64) if args.smoke else (args.sets, args.artefact_kib)
    rehash_sets, rehash_mib = (3, 2) if args.smoke else (args.rehash_sets, args.rehash_models_mib)
    work = Path(tempfile.mkdtemp(prefix="tsdb-ops-bench-monitor-"))
    try:
        dump = make_source_dump(work, kib)
        root, big = work / "backups", work / "backups-rehash"
        files, size = build_dir(root, dump, sets, kib * 1024)
        big_files, big_size = build_dir(big, dump, rehash_sets, rehash_mib * 1024 * 1024)

        # Hourly monitor runs on many files: ours (rolling re-hash included) vs naive.
        config = OpsConfig.from_mapping({"backup_root": str(root), "pg_client_image": TEST_PG_CLIENT_IMAGE})
        start = time.time()
        _, first = one_run(root, config, start)  # the first run verifies every new file once
        cycle_runs = math.ceil(first.rehash_cycle_seconds / HOUR) + 1  # a file is due within a cycle and one run
        times, _, _ = hourly_runs(root, config, start, cycle_runs)
        ours, worst = statistics.median(times), max(times)
        naive = statistics.median(one_run(root, config, start, verify_all=True)[0] for _ in range(args.repeat))

        # The rolling re-hash on realistic bytes.
        config = OpsConfig.from_mapping({"backup_root": str(big), "pg_client_image": TEST_PG_CLIENT_IMAGE})
        days = config.monitor_rehash_days
        _, first = one_run(big, config, start)
        cycle_runs = math.ceil(first.rehash_cycle_seconds / HOUR) + 1
        rolling, rolling_bytes, rolling_covered = hourly_runs(big, config, start, cycle_runs)
        later = start + cycle_runs * HOUR
        every_run = statistics.median(hourly_runs(big, config, later, args.repeat, rehash_days=EVERY_RUN_DAYS)[0])
        later += args.repeat * HOUR
        window_runs = math.ceil(days * 24)
        window, window_bytes, window_covered = hourly_runs(big, config, later, window_runs, rehash_min_bytes=0)

        print(f"{files} files, {size / 1e6:.0f} MB in {sets} sets")
        print(f"ours  (rolling re-hash, the rest trusted): {ours * 1000:8.1f} ms median, {worst * 1000:.1f} ms worst of "
              f"{len(times)} hourly runs")
        print(f"naive (re-hash and re-list everything):    {naive * 1000:8.1f} ms per run")
        print(f"ours / naive = {ours / naive:.3f}; target <= 1 s: {'OK' if worst <= 1.0 else 'OVER'}")
        print(f"\nre-hash: {big_files} files, {big_size / 1e6:.0f} MB in {rehash_sets} sets, monitor_rehash_days {days:g}")
        print(f"every file, every run:              {every_run * 1000:8.1f} ms per run")
        print(f"rolling, default pace:              {statistics.mean(rolling) * 1000:8.1f} ms mean of {len(rolling)} runs "
              f"(a cycle), {rolling_bytes / 1e6:.1f} MB re-hashed per run, every file re-read: "
              f"{'OK' if rolling_covered else 'NO'}; mean / every run = {statistics.mean(rolling) / every_run:.3f}")
        print(f"rolling, paced by the window alone: {statistics.mean(window) * 1000:8.1f} ms mean of {len(window)} runs, "
              f"{window_bytes / 1e6:.1f} MB re-hashed per run, every file re-read: {'OK' if window_covered else 'NO'}; "
              f"mean / every run = {statistics.mean(window) / every_run:.3f}")
        print("RESULT " + json.dumps({"bench": "monitor_checks", "measure": f"{files} files: {ours * 1000:.0f} ms vs naive "
                                      f"{naive * 1000:.0f} ms", "ratio": round(ours / naive, 4), "target": "<= 1 s per run"}))
        for name, runs, per_run, covered in (("monitor_rehash", rolling, rolling_bytes, rolling_covered),
                                             ("monitor_rehash_window_pace", window, window_bytes, window_covered)):
            mean = statistics.mean(runs)
            print("RESULT " + json.dumps({
                "bench": name, "measure": f"{big_size / 1e6:.0f} MB, {per_run / 1e6:.1f} MB/run: {mean * 1000:.0f} vs "
                f"{every_run * 1000:.0f} ms", "ratio": round(mean / every_run, 4),
                "target": f"every file <= {days:g} d" if covered else "NOT COVERED"}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.sync()


if __name__ == "__main__":
    main()
