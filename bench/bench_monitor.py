"""Backup monitor check time on a generated backup dir (target: <= 1 s for >= 1,000 files, cost ~ file count).

Generates ``--sets`` backup sets (database dump by pg_dump 15, models and configs tarballs, manifest: 4 files a
set), then measures in the same run:

- ours:  an hourly run after the first: every manifest read, every file stat'ed and trusted by size + mtime +
         recorded hash, plus the freshness, size and trend decisions;
- naive: the same with every file re-hashed and re-listed (pg_restore -l in one container of the client image,
         tar -t), as a script that keeps no record does each hour.

Needs the Docker engine and the test client image (scripts/build_test_images.sh).

    .venv/bin/python bench/bench_monitor.py [--sets 340] [--artefact-kib 512] [--smoke]
"""

from __future__ import annotations

import argparse
import json
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
from tsdb_ops.monitor.tasks import readable_manifests  # noqa: E402
from tsdb_ops.monitor.verification import container_dump_lister, verify_backups  # noqa: E402


def build_dir(root: Path, sets: int, artefact_kib: int) -> None:
    import psycopg

    cluster = PostgresCluster("bench-monitor").start()
    try:
        dsn = cluster.create_database("src")
        with psycopg.connect(dsn, autocommit=True) as conn:
            load_market_data(conn, now=datetime.now(UTC), hypertable=False, h1_days=max(1, artefact_kib // 40), m1_days=0)
        dump = make_dump(dsn, root.parent / "source.backup")
    finally:
        cluster.destroy()
    now = datetime.now(UTC)
    for index in range(sets):  # set ids are dates: one set a day
        write_backup_set(root, now - timedelta(days=index), dump, models_bytes=artefact_kib * 1024)


def one_run(root: Path, config: OpsConfig, *, verify_all: bool) -> float:
    started = time.perf_counter()
    inventory = verify_backups(str(root), container_dump_lister(config), verify_all=verify_all)
    manifests = readable_manifests(str(root))
    now = datetime.now(UTC)
    checks.check_freshness(manifests, now, config)
    checks.check_sizes(manifests, config)
    checks.check_trends(manifests, config)
    assert not inventory.problems, inventory.problems[:3]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=int, default=340, help="backup sets (4 files each)")
    parser.add_argument("--artefact-kib", type=int, default=512, help="approximate size of each models tarball")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny size")
    args = parser.parse_args()
    sets, kib = (20, 64) if args.smoke else (args.sets, args.artefact_kib)
    work = Path(tempfile.mkdtemp(prefix="tsdb-ops-bench-monitor-"))
    root = work / "backups"
    try:
        build_dir(root, sets, kib)
        files = sum(1 for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        config = OpsConfig.from_mapping({"backup_root": str(root), "pg_client_image": TEST_PG_CLIENT_IMAGE})
        one_run(root, config, verify_all=False)  # the first run verifies every new file once
        ours = statistics.median(one_run(root, config, verify_all=False) for _ in range(args.repeat))
        naive = statistics.median(one_run(root, config, verify_all=True) for _ in range(args.repeat))
        print(f"{files} files, {size / 1e6:.0f} MB in {sets} sets")
        print(f"ours  (trust size+mtime+recorded hash): {ours * 1000:8.1f} ms per run")
        print(f"naive (re-hash and re-list everything): {naive * 1000:8.1f} ms per run")
        print(f"ours / naive = {ours / naive:.3f}; target <= 1 s: {'OK' if ours <= 1.0 else 'OVER'}")
        print("RESULT " + json.dumps({"bench": "monitor_checks", "measure": f"{files} files: {ours * 1000:.0f} ms vs naive "
                                      f"{naive * 1000:.0f} ms", "ratio": round(ours / naive, 4), "target": "<= 1 s per run"}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.sync()


if __name__ == "__main__":
    main()
