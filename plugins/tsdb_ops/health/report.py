"""The health report: pure Markdown rendering of the check results, and its atomic write under report_dir/health/."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from tsdb_ops.files import write_atomically
from tsdb_ops.findings import Finding
from tsdb_ops.health.result import CheckResult

MAX_ROWS = 50


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split()).replace("|", "\\|")


def all_findings(results: Sequence[CheckResult]) -> list[Finding]:
    """Every finding, critical first, then by key."""
    return sorted((f for r in results for f in r.findings), key=lambda f: (f.severity != "critical", f.key))


def render_health_report(results: Sequence[CheckResult], not_run: Sequence[str], *, title: str, taken_at: datetime) -> str:
    """Markdown: the verdict, every finding, then each check's notes and table; checks that did not run are named."""
    findings = all_findings(results)
    critical = sum(f.severity == "critical" for f in findings)
    verdict = ("CRITICAL" if critical else "WARNING" if findings else "OK") + (" (incomplete)" if not_run else "")
    lines = [
        f"# Health check of {title}",
        "",
        f"Taken at {taken_at:%Y-%m-%d %H:%M:%S %Z}. Verdict: **{verdict}**: {critical} critical, "
        f"{len(findings) - critical} warning, {len(results)} of {len(results) + len(not_run)} checks ran.",
        "",
        "## Findings",
        "",
    ]
    if findings:
        lines += ["| severity | key | finding |", "|---|---|---|"]
        lines += [f"| {f.severity} | `{f.key}` | {_cell(f.message)} |" for f in findings]
    else:
        lines.append("None.")
    if not_run:
        lines += ["", "## Checks that did not run", "",
                  "Their task failed (see its log); their open alerts are kept as they were, neither re-sent nor resolved.",
                  ""]
        lines += [f"- {name}" for name in not_run]
    for result in results:
        lines += ["", f"## {result.title}", ""]
        lines += [f"- {note}" for note in result.notes]
        if result.rows:
            lines += [""] if result.notes else []
            lines += ["| " + " | ".join(result.columns) + " |", "|" + "---|" * len(result.columns)]
            lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in result.rows[:MAX_ROWS]]
            if len(result.rows) > MAX_ROWS:
                lines.append(f"\n{len(result.rows) - MAX_ROWS} more rows not shown.")
        elif not result.notes:
            lines.append("Nothing to report.")
    return "\n".join(lines) + "\n"


def health_report_path(report_dir: str | Path, run_after: datetime) -> Path:
    """One file per run, named by its ``run_after`` (manual runs have no logical date)."""
    return Path(report_dir) / "health" / f"health_{run_after:%Y%m%dT%H%M%S}.md"


def write_health_report(path: Path, markdown: str) -> Path:
    write_atomically(path, markdown.encode())
    return path
