"""The daily backup summary: the guide's "dashboard queries", built on manifests and Airflow's run history.

The guide parsed backup.log with a SQL file-reading function PostgreSQL lacks, and ran pg_restore from SQL; this reads
the manifests, which hold sizes, durations and source sizes of every verified set, and the nightly DAG's runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from tsdb_ops.backup.manifest import ARTEFACT_KINDS, Manifest, write_atomically


def success_rate(outcomes: Sequence[str | None]) -> tuple[int, int, float | None]:
    """(successful, finished, percent) over the given scheduled runs; runs that never finished are not counted."""
    finished = [o for o in outcomes if o is not None]
    good = sum(1 for o in finished if o == "success")
    return good, len(finished), (100.0 * good / len(finished) if finished else None)


def render_summary(manifests: Sequence[Manifest], outcomes_7d: Sequence[str | None], dir_bytes: int,
                   as_of: datetime, chart_name: str | None) -> str:
    good, finished, rate = success_rate(outcomes_7d)
    lines = [
        f"# Backup summary {as_of:%Y-%m-%d}",
        "",
        f"- Nightly backup success rate, last 7 scheduled runs: {good}/{finished}"
        + (f" ({rate:.0f}%)" if rate is not None else " (no finished run)"),
        f"- Verified backup sets on disk: {len(manifests)}; backup directory size: {dir_bytes / 1e6:.1f} MB",
        "",
        "## Size and duration per set",
        "",
        "| set | kind | size MB | duration s | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for manifest in manifests[-14:]:
        for kind in ARTEFACT_KINDS:
            artefact = manifest.artefact(kind)
            if artefact:
                known = artefact.source_bytes and artefact.size_bytes
                ratio = f"{artefact.source_bytes / artefact.size_bytes:.2f}" if known else ""
                lines.append(f"| {manifest.set_id} | {kind} | {artefact.size_bytes / 1e6:.2f} | "
                             f"{artefact.duration_seconds:.1f} | {ratio} |")
    if len(manifests) >= 2:
        first, last = manifests[max(0, len(manifests) - 8)], manifests[-1]
        total = {m.set_id: sum(a.size_bytes for a in m.artefacts) for m in (first, last)}
        growth = total[last.set_id] - total[first.set_id]
        lines += ["", f"Growth of a full set from {first.set_id} to {last.set_id}: {growth / 1e6:+.2f} MB"]
    if chart_name:
        lines += ["", f"![backup sizes]({chart_name})"]
    return "\n".join(lines) + "\n"


def write_size_chart(manifests: Sequence[Manifest], path: Path) -> Path | None:
    """A PNG of backup size per kind over the sets (a trend is easier seen than read)."""
    if len(manifests) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 3.2), dpi=100)
    for kind in ARTEFACT_KINDS:
        points = [(m.set_id, a.size_bytes / 1e6) for m in manifests if (a := m.artefact(kind))]
        if points:
            axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=kind)
    axis.set_ylabel("MB")
    axis.set_title("Backup size per set")
    axis.tick_params(axis="x", labelrotation=45, labelsize=7)
    axis.legend()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    write_atomically(path, buffer.getvalue())
    return path


def directory_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
