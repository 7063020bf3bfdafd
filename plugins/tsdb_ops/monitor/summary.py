"""The daily backup summary: the guide's "dashboard queries", built on manifests and Airflow's run history.

The guide parsed backup.log with a SQL file-reading function PostgreSQL does not have, and ran pg_restore from
SQL; this reads the manifests (size, duration and source size of every verified set), the nightly DAG's runs,
and a small record of the backup directory's size per day (kept beside the reports) for its growth.
"""

from __future__ import annotations

import io
import json
import statistics
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from tsdb_ops.backup.manifest import ARTEFACT_KINDS, BASE_BACKUP, Manifest
from tsdb_ops.files import write_atomically

DIR_SIZES_FILE = "backup_dir_sizes.json"
DIR_SIZES_KEPT_DAYS = 90
REPORTED_KINDS = (*ARTEFACT_KINDS, BASE_BACKUP)  # a kind no set has is left out


def success_rate(outcomes: Sequence[str | None]) -> tuple[int, int, float | None]:
    """(successful, finished, percent) over the given scheduled runs; runs that never finished are not counted."""
    finished = [o for o in outcomes if o is not None]
    good = sum(1 for o in finished if o == "success")
    return good, len(finished), (100.0 * good / len(finished) if finished else None)


def kind_trends(manifests: Sequence[Manifest], window: int) -> list[dict]:
    """Per kind: newest size and duration against the median of the ``window`` sets before it."""
    rows = []
    for kind in REPORTED_KINDS:
        series = [a for m in manifests if (a := m.artefact(kind))]
        if not series:
            continue
        newest, before = series[-1], series[-1 - window:-1]
        median_size = statistics.median(a.size_bytes for a in before) if before else None
        median_seconds = statistics.median(a.duration_seconds for a in before) if before else None
        rows.append({
            "kind": kind, "sets": len(series), "size_bytes": newest.size_bytes, "median_size_bytes": median_size,
            "size_change_percent": (100.0 * (newest.size_bytes - median_size) / median_size) if median_size else None,
            "seconds": newest.duration_seconds, "median_seconds": median_seconds,
        })
    return rows


def record_dir_size(sizes: Mapping[str, int], day: date, size_bytes: int) -> dict[str, int]:
    """The per-day record with ``day``'s size set (a re-run of the day overwrites it) and old days dropped."""
    oldest = (day - timedelta(days=DIR_SIZES_KEPT_DAYS)).isoformat()
    return {d: s for d, s in sorted({**sizes, day.isoformat(): size_bytes}.items()) if d >= oldest}


def dir_growth(sizes: Mapping[str, int], day: date, days: int = 7) -> tuple[str, int] | None:
    """(day, bytes) of the oldest recorded size within ``days`` before ``day``, to compare today with."""
    since = (day - timedelta(days=days)).isoformat()
    earlier = sorted((d, s) for d, s in sizes.items() if since <= d < day.isoformat())
    return earlier[0] if earlier else None


def _mb(size: float | None) -> str:
    return "" if size is None else f"{size / 1e6:.2f}"


def render_summary(manifests: Sequence[Manifest], outcomes_7d: Sequence[str | None], dir_sizes: Mapping[str, int],
                   as_of: datetime, window: int, chart_name: str | None) -> str:
    """The summary as Markdown: success rate, trends per kind, directory growth, the recent sets."""
    good, finished, rate = success_rate(outcomes_7d)
    today = as_of.date()
    dir_bytes = dir_sizes.get(today.isoformat(), 0)
    growth = dir_growth(dir_sizes, today)
    lines = [
        f"# Backup summary {today:%Y-%m-%d}",
        "",
        f"- Nightly backup success rate, last 7 scheduled runs: {good}/{finished}"
        + (f" ({rate:.0f}%)" if rate is not None else " (no finished run)"),
        f"- Verified backup sets on disk: {len(manifests)}",
        f"- Backup directory: {dir_bytes / 1e6:.1f} MB"
        + (f", {(dir_bytes - growth[1]) / 1e6:+.1f} MB since {growth[0]}" if growth else " (no earlier size recorded)"),
        "",
        f"## Trends per kind (newest against the median of the {window} sets before it)",
        "",
        "| kind | sets | newest MB | median MB | change | newest s | median s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in kind_trends(manifests, window):
        change = "" if row["size_change_percent"] is None else f"{row['size_change_percent']:+.0f}%"
        median_seconds = "" if row["median_seconds"] is None else f"{row['median_seconds']:.1f}"
        lines.append(f"| {row['kind']} | {row['sets']} | {_mb(row['size_bytes'])} | {_mb(row['median_size_bytes'])} | "
                     f"{change} | {row['seconds']:.1f} | {median_seconds} |")
    if chart_name:
        lines += ["", f"![backup size and duration per set]({chart_name})"]
    lines += ["", "## Recent sets", "", "| set | kind | MB | s | source/size |", "|---|---|---:|---:|---:|"]
    for manifest in manifests[-7:]:
        for artefact in manifest.artefacts:
            known = artefact.source_bytes and artefact.size_bytes
            ratio = f"{artefact.source_bytes / artefact.size_bytes:.2f}" if known else ""
            lines.append(f"| {manifest.set_id} | {artefact.kind} | {_mb(artefact.size_bytes)} | "
                         f"{artefact.duration_seconds:.1f} | {ratio} |")
    return "\n".join(lines) + "\n"


def write_chart(manifests: Sequence[Manifest], path: Path) -> Path | None:
    """A PNG of size and duration per kind over the sets (a trend is easier seen than read); None below 2 sets."""
    if len(manifests) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (sizes, durations) = plt.subplots(1, 2, figsize=(9, 3.2), dpi=100)
    for kind in REPORTED_KINDS:
        points = [(m.set_id, a) for m in manifests if (a := m.artefact(kind))]
        if points:
            names = [p[0][4:] for p in points]  # MMDD
            sizes.plot(names, [a.size_bytes / 1e6 for _, a in points], marker="o", label=kind)
            durations.plot(names, [a.duration_seconds for _, a in points], marker="o", label=kind)
    sizes.set(ylabel="MB (log)", title="Size per set", yscale="log")
    durations.set(ylabel="seconds", title="Duration per set")
    for axis in (sizes, durations):
        axis.tick_params(axis="x", labelrotation=45, labelsize=7)
    sizes.legend(fontsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    write_atomically(path, buffer.getvalue())
    return path


def load_dir_sizes(report_dir: Path) -> dict[str, int]:
    try:
        data = json.loads((report_dir / DIR_SIZES_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {str(d): int(s) for d, s in data.items()} if isinstance(data, dict) else {}


def save_dir_sizes(report_dir: Path, sizes: Mapping[str, int]) -> None:
    write_atomically(report_dir / DIR_SIZES_FILE, json.dumps(dict(sizes), indent=1, sort_keys=True).encode())


def directory_bytes(root: Path) -> int:
    """Bytes of the files below ``root`` (one stat per file)."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
