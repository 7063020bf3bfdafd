"""A backup root, reports and log lines as the DAGs write them, for the ops page's tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tsdb_ops.backup.manifest import Artefact, Manifest, write_manifest

HEALTH_REPORT = """# Health check of mt5_trading

Taken at {taken:%Y-%m-%d %H:%M:%S} UTC. Verdict: **WARNING**: 0 critical, 1 warning, 7 of 7 checks ran.

## Findings

| severity | key | finding |
|---|---|---|
| warning | `health.bloat.public.market_data` | market_data is 31% bloat <script>alert(1)</script> |

## Table bloat

| table | bloat |
|---|---:|
| public.market_data | 31 % |
"""


def write_sets(root: Path, count: int, newest: datetime, *, problem_set: int | None = None) -> list[Manifest]:
    """``count`` daily sets ending at ``newest`` (finished), each with the monitor's record of its files."""
    record: dict[str, dict] = {}
    manifests = []
    for index in range(count):
        finished = newest - timedelta(days=count - 1 - index)
        run_after = finished.replace(hour=2, minute=0, second=0, microsecond=0)
        set_id = f"{run_after:%Y%m%d}"
        artefacts = [
            Artefact("database", f"db/mt5_trading_{set_id}.backup", 120_000_000 + index * 3_000_000, "a" * 64,
                     40.0 + index * 1.5, "pg_restore -l: 212 TOC entries", 1_000_000_000),
            Artefact("models", f"models/models_{set_id}.tar.gz", 4_000_000 + index * 10_000, "b" * 64, 2.0,
                     "tar -t: 14 entries"),
            Artefact("configs", f"configs/config_{set_id}.tar.gz", 9_000, "c" * 64, 0.1, "tar -t: 5 entries"),
        ]
        manifest = Manifest(set_id=set_id, run_id=f"scheduled__{run_after.isoformat()}", run_after=run_after.isoformat(),
                            started_at=run_after.isoformat(), finished_at=finished.isoformat(), database="mt5_trading",
                            server_version="15.8", timescaledb_version="2.17.2", artefacts=artefacts, jobs=[])
        write_manifest(root, manifest)
        manifests.append(manifest)
        for artefact in artefacts:
            problem = "sha256 0123456789ab... differs from the manifest's aaaaaaaaaaaa..." if (
                index == problem_set and artefact.kind == "database") else None
            record[artefact.path] = {"signature": [artefact.size_bytes, 0, artefact.sha256], "problem": problem,
                                     "sha256": artefact.sha256, "hashed_at": finished.isoformat()}
    (root / ".monitor_verified.json").write_text(json.dumps(record))
    return manifests


def write_reports(report_dir: Path, taken: datetime) -> dict[str, Path]:
    health = report_dir / "health" / f"health_{taken:%Y%m%dT%H%M%S}.md"
    compression = report_dir / "compression" / f"compression_public_market_data_{taken:%Y%m%dT%H%M%S}.md"
    health.parent.mkdir(parents=True, exist_ok=True)
    compression.parent.mkdir(parents=True, exist_ok=True)
    health.write_text(HEALTH_REPORT.format(taken=taken))
    months = [(taken - timedelta(days=30 * n)).strftime("%Y-%m") for n in range(6)]
    rows = "\n".join(f"| {m} | 4 | {0 if n == 0 else min(4, n + 1)} | {400 + 10 * n}.0 MB | "
                     f"{400 if n == 0 else 60 + n}.0 MB |" for n, m in enumerate(months))
    compression.write_text(
        f"# Compression status of public.market_data\n\nTaken at {taken:%Y-%m-%d %H:%M:%S} UTC from TimescaleDB's "
        "catalog.\n\n## Hypertable\n\n| chunks | compressed |\n|---:|---:|\n| 24 | 17 |\n\n"
        "## Timeline (per month of chunk start)\n\n| month | chunks | compressed | before compression | size now |\n"
        f"|---|---:|---:|---:|---:|\n{rows}\n")
    return {"health": health, "compression": compression}


def write_resolved_line(log_dir: Path, when: datetime, scope: str, key: str, message: str) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "backup_monitor.log", "a") as handle:
        handle.write(f"[{when:%Y-%m-%d %H:%M:%S}] WARNING [{scope}] {key}: {message} (sent to slack)\n")
        handle.write(f"[{when:%Y-%m-%d %H:%M:%S}] RESOLVED [{scope}] {key}: {message} (sent to slack)\n")


def open_alert_state(opened: datetime) -> dict[str, dict]:
    return {"backup.age": {"severity": "critical", "message": "Newest verified backup is 31.0 hours old",
                           "opened_at": opened.isoformat(), "last_sent_at": (opened + timedelta(hours=1)).isoformat()}}


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
