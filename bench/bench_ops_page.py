"""Benchmark: the ops page with 1,000 backup sets, against re-reading and re-parsing every file on each load.

Builds a backup root of N sets (3 artefacts each, format-2 manifests), the monitor's verification record, a
health report and a compression report in a temporary directory, then times the page render (everything the
page's request does except the metadata-DB reads of its Variables):

- ours: the API server's long-lived cache: one directory scan, the manifests parsed only when changed, the
  backup section (charts and table) rebuilt only when a manifest or the monitor's record changed;
- naive, same run: a fresh cache per load: every manifest read and parsed, the section rebuilt;
- cold: the first load after a start (the naive path, once), and a load right after one new set was written.

    .venv/bin/python bench/bench_ops_page.py            # 1,000 sets
    .venv/bin/python bench/bench_ops_page.py --smoke    # 30 sets
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from tsdb_ops.backup.manifest import Artefact, HypertableStats, JobRecord, Manifest, write_manifest
from tsdb_ops.config import OpsConfig
from tsdb_ops.ui.page import OpenAlert, PageState, render_page

TARGET_SECONDS = 1.0


def build_root(root: Path, sets: int) -> None:
    start = datetime(2024, 1, 1, 2, 0, tzinfo=UTC)
    record = {}
    for index in range(sets):
        day = start + timedelta(days=index)
        set_id = f"{day:%Y%m%d}"
        artefacts = [
            Artefact("database", f"db/mt5_trading_{set_id}.backup", 900_000_000 + index * 400_000, f"{index:064x}",
                     180.0 + index * 0.05, "pg_restore -l: 212 TOC entries", 9_000_000_000),
            Artefact("models", f"models/models_{set_id}.tar.gz", 40_000_000, f"{index + 1:064x}", 6.0,
                     "tar -t: 14 entries", 60_000_000),
            Artefact("configs", f"configs/config_{set_id}.tar.gz", 8_000, f"{index + 2:064x}", 0.2,
                     "tar -t: 5 entries", 30_000),
        ]
        manifest = Manifest(
            set_id=set_id, run_id=f"scheduled__{day.isoformat()}", run_after=day.isoformat(),
            started_at=day.isoformat(), finished_at=(day + timedelta(minutes=4)).isoformat(), database="mt5_trading",
            server_version="15.8", timescaledb_version="2.17.2", artefacts=artefacts,
            hypertables=[HypertableStats(f"public.t{n}", 1_000_000, day.isoformat(), day.isoformat(), 40, 30)
                         for n in range(6)],
            jobs=[JobRecord(1000 + n, "_timescaledb_functions.policy_compression", "public.t0", True, day.isoformat())
                  for n in range(6)],
        )
        write_manifest(root, manifest)
        for artefact in artefacts:
            record[artefact.path] = {"signature": [artefact.size_bytes, 1, artefact.sha256], "problem": None,
                                     "sha256": artefact.sha256, "hashed_at": day.isoformat()}
    (root / ".monitor_verified.json").write_text(json.dumps(record))


def build_reports(report_dir: Path) -> None:
    (report_dir / "health").mkdir(parents=True)
    (report_dir / "compression").mkdir(parents=True)
    (report_dir / "health" / "health_20260301T060000.md").write_text(
        "# Health check of mt5_trading\n\nTaken at 2026-03-01 06:00:00 UTC. Verdict: **OK**: 0 critical, 0 warning, "
        "7 of 7 checks ran.\n\n## Findings\n\nNone.\n")
    rows = "\n".join(f"| 2025-{m:02d} | 4 | {min(4, m)} | 1.2 GB | 300.0 MB |" for m in range(12, 0, -1))
    (report_dir / "compression" / "compression_public_market_data_20260301T030000.md").write_text(
        "# Compression status of public.market_data\n\n## Timeline (per month of chunk start)\n\n"
        "| month | chunks | compressed | before compression | size now |\n|---|---:|---:|---:|---:|\n" + rows + "\n")


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    sets, repeat = (30, 2) if args.smoke else (args.sets, args.repeat)
    with tempfile.TemporaryDirectory(prefix="bench-ops-page-") as tmp:
        root, reports, logs = Path(tmp) / "backups", Path(tmp) / "reports", Path(tmp) / "logs"
        started = time.perf_counter()
        build_root(root, sets)
        build_reports(reports)
        logs.mkdir()
        print(f"built {sets} sets in {time.perf_counter() - started:.1f} s")
        config = replace(OpsConfig(), backup_root=str(root), report_dir=str(reports), log_dir=str(logs))
        alerts = [OpenAlert("backup_monitor.integrity", "backup.integrity.x", "critical", "x", "2026-03-01T00:00:00", None)]
        now = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)

        state = PageState()
        cold = timed(lambda: render_page(config, state, alerts, now=now), 1)[0]
        ours = timed(lambda: render_page(config, state, alerts, now=now), repeat)
        naive = timed(lambda: render_page(config, PageState(), alerts, now=now), repeat)
        newest = sorted((root / "manifests").iterdir())[-1]
        os.utime(newest)  # one manifest "changed": the next load re-parses it and rebuilds the section
        after_change = timed(lambda: render_page(config, state, alerts, now=now), 1)[0]
        size = len(render_page(config, state, alerts, now=now).encode())

    ours_ms, naive_ms = statistics.median(ours) * 1000, statistics.median(naive) * 1000
    print(f"page: {size / 1024:.0f} KiB; first load {cold * 1000:.0f} ms; warm load median {ours_ms:.1f} ms; "
          f"load after one manifest changed {after_change * 1000:.0f} ms; naive (re-read everything) median "
          f"{naive_ms:.1f} ms")
    ok = max(ours) < TARGET_SECONDS and cold < TARGET_SECONDS
    print("RESULT " + json.dumps({
        "bench": "ops page render",
        "measure": f"{sets} sets: {ours_ms:.1f} ms warm vs {naive_ms:.0f} ms re-read; first {cold * 1000:.0f} ms",
        "ratio": f"{ours_ms / naive_ms:.3f}x",
        "target": f"< {TARGET_SECONDS:g} s a load",
    }))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
