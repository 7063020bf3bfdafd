"""The weekly compression status report: pure rendering of catalog numbers to Markdown, and its atomic write."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from tsdb_ops.files import write_atomically
from tsdb_ops.timescale.compression_stats import ChunkStatus, CompressionStatus


@dataclass(frozen=True)
class MonthLine:
    month: str
    chunks: int
    compressed: int
    before_bytes: int
    size_now_bytes: int


def human_bytes(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


def ratio(before: int | None, after: int | None) -> float | None:
    """before/after, e.g. 10.0 for a tenth of the size; None without compressed data."""
    return round(before / after, 2) if before and after else None


def saved_percent(before: int | None, after: int | None) -> float | None:
    return round(100 - 100 * after / before, 1) if before and after is not None else None


def uncompressed_older_than(chunks: list[ChunkStatus], now: datetime, days: float) -> list[ChunkStatus]:
    cutoff = now - timedelta(days=days)
    return [c for c in chunks if not c.is_compressed and c.range_end is not None and c.range_end <= cutoff]


def timeline_by_month(chunks: list[ChunkStatus]) -> list[MonthLine]:
    """The guide's "Compression timeline" / "Space Usage Analysis" per month of chunk start, from catalog rows."""
    groups: dict[str, list[ChunkStatus]] = defaultdict(list)
    for chunk in chunks:
        groups[chunk.range_start.strftime("%Y-%m") if chunk.range_start else "unknown"].append(chunk)
    return [
        MonthLine(month, len(group), sum(c.is_compressed for c in group),
                  sum((c.before_bytes if c.is_compressed else c.total_bytes) or 0 for c in group),
                  sum(c.total_bytes or 0 for c in group))
        for month, group in sorted(groups.items(), reverse=True)
    ]


def render_report(status: CompressionStatus, *, policy_days: float, weekly_days: float) -> str:
    """Markdown: hypertable totals, uncompressed chunks past the policy, timeline, timeframes, every chunk."""
    s = status.summary
    overdue = uncompressed_older_than(status.chunks, status.taken_at, policy_days)
    overdue_weekly = uncompressed_older_than(status.chunks, status.taken_at, weekly_days)
    lines = [
        f"# Compression status of {status.hypertable}",
        "",
        f"Taken at {status.taken_at:%Y-%m-%d %H:%M:%S %Z} from TimescaleDB's catalog and statistics functions "
        "(no row of the hypertable was read).",
        "",
        "## Hypertable",
        "",
        "| chunks | compressed | uncompressed | before compression | after compression | ratio | saved | size now"
        " | rows (approx.) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s.total_chunks} | {s.compressed_chunks} | {s.total_chunks - s.compressed_chunks} "
        f"| {human_bytes(s.before_bytes)} | {human_bytes(s.after_bytes)} | {ratio(s.before_bytes, s.after_bytes) or '-'} "
        f"| {saved_percent(s.before_bytes, s.after_bytes) or '-'} % | {human_bytes(s.total_bytes)} | {s.approximate_rows} |",
        "",
        f"## Uncompressed chunks older than the compression policy ({policy_days:g} days)",
        "",
        f"{len(overdue)} chunks (of which {len(overdue_weekly)} older than the weekly age of {weekly_days:g} days)"
        + (":" if overdue else "."),
        "",
    ]
    lines += [f"- {c.qualified_name} ({c.range_start:%Y-%m-%d} to {c.range_end:%Y-%m-%d}, {human_bytes(c.total_bytes)})"
              for c in overdue]
    lines += ["", "## Timeline (per month of chunk start)", "",
              "| month | chunks | compressed | before compression | size now |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {m.month} | {m.chunks} | {m.compressed} | {human_bytes(m.before_bytes)} | {human_bytes(m.size_now_bytes)} |"
              for m in timeline_by_month(status.chunks)]
    lines += ["", "## Rows by timeframe (planner statistics)", ""]
    if status.timeframe_shares:
        lines += ["A chunk is a time range holding every timeframe, so compression cannot be split by timeframe; "
                  "the shares come from the statistics ANALYZE gathered.", "",
                  "| timeframe | share | rows (approx.) |", "|---|---:|---:|"]
        lines += [f"| {tf} | {share * 100:.1f} % | {round(share * s.approximate_rows)} |"
                  for tf, share in status.timeframe_shares.items()]
    else:
        lines.append("No statistics yet: run ANALYZE on the hypertable.")
    lines += ["", "## Chunks", "",
              "| chunk | from | to | compressed | before compression | after compression | ratio | size now |",
              "|---|---|---|---|---:|---:|---:|---:|"]
    for c in status.chunks:
        lines.append(
            f"| {c.qualified_name} | {c.range_start:%Y-%m-%d %H:%M} | {c.range_end:%Y-%m-%d %H:%M} "
            f"| {'yes' if c.is_compressed else 'no'} | {human_bytes(c.before_bytes)} | {human_bytes(c.after_bytes)} "
            f"| {ratio(c.before_bytes, c.after_bytes) or '-'} | {human_bytes(c.total_bytes)} |"
        )
    return "\n".join(lines) + "\n"


def report_path(report_dir: str | Path, hypertable: str, run_after: datetime) -> Path:
    """One file per run, named by the run's ``run_after`` (manual runs have no logical date)."""
    return Path(report_dir) / "compression" / f"compression_{hypertable.replace('.', '_')}_{run_after:%Y%m%dT%H%M%S}.md"


def write_report(path: Path, markdown: str) -> Path:
    write_atomically(path, markdown.encode())
    return path
