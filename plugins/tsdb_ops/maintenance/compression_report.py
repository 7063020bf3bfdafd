"""The weekly compression status report: pure rendering of catalog numbers to Markdown, and its atomic write."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from tsdb_ops.files import write_atomically
from tsdb_ops.timescale.compression_stats import ChunkStatus, CompressionStatus
from tsdb_ops.timescale.distribution import Distribution, DistributionLine


@dataclass(frozen=True)
class MonthLine:
    month: str
    chunks: int
    compressed: int
    before_bytes: int
    size_now_bytes: int


@dataclass(frozen=True)
class DayLine:
    day: str
    chunks: int
    compressed: int
    before_bytes: int           # before compression (compressed chunks) or size now (uncompressed ones)
    after_bytes: int            # after compression (compressed chunks) or size now (uncompressed ones)
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


def timeline_by_day(chunks: list[ChunkStatus]) -> list[DayLine]:
    """The guide's per-day "Compression timeline" (day of chunk start), with bytes before and after compression:
    the days a time-range compression (db_compress_time_range) can be given."""
    groups: dict[str, list[ChunkStatus]] = defaultdict(list)
    for chunk in chunks:
        groups[chunk.range_start.strftime("%Y-%m-%d") if chunk.range_start else "unknown"].append(chunk)
    return [
        DayLine(day, len(group), sum(c.is_compressed for c in group),
                sum((c.before_bytes if c.is_compressed else c.total_bytes) or 0 for c in group),
                sum((c.after_bytes if c.is_compressed else c.total_bytes) or 0 for c in group),
                sum(c.total_bytes or 0 for c in group))
        for day, group in sorted(groups.items(), reverse=True)
    ]


def _time(value) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


def _distribution_rows(lines: list[DistributionLine], first: str) -> list[str]:
    out = []
    for line in lines:
        label = line.symbol if first == "symbol" else line.timeframe
        pair = f"| {line.symbol or '-'} | {line.timeframe or '-'} " if first == "pair" else f"| {label or '-'} "
        out.append(f"{pair}| {line.rows}{'' if line.rows_exact else ' (est.)'} | {line.compressed_rows} "
                   f"| {_time(line.oldest)} | {_time(line.newest)}{'' if line.range_exact else ' (bound)'} "
                   f"| {human_bytes(line.bytes_estimate)} (est.) |")
    return out


def render_distribution(distribution: Distribution) -> list[str]:
    """The data distribution section: per symbol, per timeframe and per pair, estimates labelled."""
    d = distribution
    lines = [
        "## Data distribution (TimescaleDB metadata)", "",
        f"{d.rows_from_metadata} rows known from the metadata of {d.batches_read} compressed batches "
        f"({d.compressed_chunks} of {d.chunks} chunks compressed), {d.rows_read} rows not compressed counted "
        f"exactly, {d.rows_estimated} rows of uncompressed chunks estimated; no compressed value was read.", "",
        "Rows, oldest and newest per symbol are exact in compressed chunks: compression is segmented by symbol "
        "and every compressed batch keeps its row count and time range. Timeframe is not a segmentby column, so "
        "inside compressed chunks rows per timeframe are estimated (\"est.\"): the bloom filters on the timeframe "
        "column (where the chunk has them) rule timeframes out, and the rows are shared over those left in the "
        "proportions of the recent rows. In a large uncompressed chunk the series with few bars (H1, D1) are "
        "counted in its index and the others estimated (\"est.\") from their bars' grid and PostgreSQL's row "
        "count of the chunk, which they must match within 1 % (else the chunk is counted row by row); the newest "
        "of every series is exact. An oldest/newest marked \"bound\" is the edge of a compressed batch that may "
        "hold the timeframe, or where its symbol's counted series start in an uncompressed chunk. Bytes are each "
        "chunk's size now shared out by rows (est.).", "",
        "### Per symbol", "",
        "| symbol | rows | compressed rows | oldest | newest | bytes |", "|---|---:|---:|---|---|---:|",
        *_distribution_rows(d.by_symbol, "symbol"), "",
        "### Per timeframe", "",
        "| timeframe | rows | compressed rows | oldest | newest | bytes |", "|---|---:|---:|---|---|---:|",
        *_distribution_rows(d.by_timeframe, "timeframe"), "",
        "### Per symbol and timeframe", "",
        "| symbol | timeframe | rows | compressed rows | oldest | newest | bytes |", "|---|---|---:|---:|---|---|---:|",
        *_distribution_rows(d.by_symbol_timeframe, "pair"),
    ]
    lines += ["", *(f"- {note}" for note in d.notes)] if d.notes else []
    return lines


def render_report(status: CompressionStatus, *, policy_days: float, weekly_days: float,
                  distribution: Distribution | None = None) -> str:
    """Markdown: hypertable totals, uncompressed chunks past the policy, timelines, timeframes, distribution,
    every chunk."""
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
    lines += ["", "## Timeline (per day of chunk start)", "",
              "A chunk holds every symbol and timeframe of its time range: compressing part of the data means "
              "compressing the chunks of a time range (db_compress_time_range, with these days as start and end).",
              "", "| day | chunks | compressed | before compression | after compression | size now |",
              "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {d.day} | {d.chunks} | {d.compressed} | {human_bytes(d.before_bytes)} | {human_bytes(d.after_bytes)} "
              f"| {human_bytes(d.size_now_bytes)} |" for d in timeline_by_day(status.chunks)]
    lines += ["", "## Rows by timeframe (planner statistics)", ""]
    if status.timeframe_shares:
        lines += ["A chunk is a time range holding every timeframe, so compression cannot be split by timeframe; "
                  "the shares come from the statistics ANALYZE gathered (on TimescaleDB 2.28 its sample covers the "
                  "uncompressed chunks only: see the data distribution below for compressed data).", "",
                  "| timeframe | share | rows (approx.) |", "|---|---:|---:|"]
        lines += [f"| {tf} | {share * 100:.1f} % | {round(share * s.approximate_rows)} |"
                  for tf, share in status.timeframe_shares.items()]
    else:
        lines.append("No statistics yet: run ANALYZE on the hypertable.")
    if distribution is not None:
        lines += ["", *render_distribution(distribution)]
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
