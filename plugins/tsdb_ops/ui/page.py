"""The ops page as server-rendered HTML: backup sets, alerts, the latest compression and health reports.

Pure rendering over :mod:`.sources` (files) and the open alerts handed in by the app (Airflow Variables). Links
to DAG runs are relative to the API server's root (the page is served under ``/<prefix>/``) and open in the
top window, so they work inside the Airflow UI's frame and behind a reverse proxy alike.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markdown_it import MarkdownIt

from tsdb_ops.config import OpsConfig
from tsdb_ops.ui.charts import line_chart, timeline_chart
from tsdb_ops.ui.sources import (
    BackupSet,
    FileCache,
    Report,
    ResolvedAlert,
    backup_sets,
    compression_timeline,
    health_verdict,
    latest_reports,
    manifest_signatures,
    recently_resolved,
)

BACKUP_DAG = "db_nightly_backup"
REPORT_DAGS = {"compression": "db_weekly_maintenance", "health": "db_health_check"}
TABLE_ROWS = 60
KINDS = ("database", "models", "configs")

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass(frozen=True)
class OpenAlert:
    scope: str
    key: str
    severity: str
    message: str
    opened_at: str | None
    last_sent_at: str | None


@dataclass
class PageState:
    """Caches that live as long as the API server: parsed files, and the backup section per set of files."""

    files: FileCache = field(default_factory=FileCache)
    sections: dict[str, tuple[int, list[BackupSet], str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def alert_dag(scope: str) -> str:
    return "db_backup_monitor" if scope.startswith("backup_monitor") else "db_health_check"


def open_alerts_from_state(states: Mapping[str, Mapping[str, Any]]) -> list[OpenAlert]:
    """Open alerts from the Variables' JSON (scope -> key -> entry), critical first, then the oldest first."""
    alerts = [
        OpenAlert(scope, key, str(entry.get("severity", "?")), str(entry.get("message", "")),
                  entry.get("opened_at"), entry.get("last_sent_at"))
        for scope, state in states.items() for key, entry in state.items() if isinstance(entry, dict)
    ]
    return sorted(alerts, key=lambda a: (a.severity != "critical", a.opened_at or "", a.key))


def run_link(dag_id: str, run_id: str | None, text: str) -> str:
    if not run_id:
        return f'<a href="../dags/{quote(dag_id, safe="")}/runs" target="_top">{escape(text)}</a>'
    return (f'<a href="../dags/{quote(dag_id, safe="")}/runs/{quote(run_id, safe="")}" target="_top">'
            f'{escape(text)}</a>')


def _mb(size: int | None) -> str:
    return "-" if size is None else f"{size / 1e6:,.1f}"


def _age(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "unknown"
    seconds = (now - then).total_seconds()
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _when(text: str | None) -> str:
    return "-" if not text else escape(text[:19].replace("T", " "))


def _set_date(set_id: str) -> str:
    return f"{set_id[:4]}-{set_id[4:6]}-{set_id[6:8]}" if len(set_id) == 8 else set_id


def backup_section(sets: Sequence[BackupSet], errors: Sequence[str], rows: int) -> str:
    """Charts over every set, and a table of the newest ``rows`` sets."""
    labels = [_set_date(s.set_id) for s in sets]
    size_series = {k: [s.sizes.get(k, 0) / 1e6 or None for s in sets] for k in KINDS if any(k in s.sizes for s in sets)}
    seconds_series = {k: [s.seconds.get(k) for s in sets] for k in KINDS if any(k in s.seconds for s in sets)}
    parts = ['<div class="charts">',
             line_chart("Size per set", "MB", labels, size_series, log=True),
             line_chart("Duration per set", "s", labels, seconds_series),
             "</div>"]
    if errors:
        parts.append('<p class="bad">Unreadable manifests: ' + "; ".join(escape(e) for e in errors[:5]) + "</p>")
    shown = list(reversed(sets))[:rows]
    parts.append('<table class="grid sets"><thead><tr><th>set</th><th>finished</th>'
                 + "".join(f'<th class="num">{k} MB</th>' for k in KINDS)
                 + '<th class="num">total s</th><th>monitor</th><th>run</th></tr></thead><tbody>')
    for s in shown:
        badge = {"verified": "ok", "problem": "bad"}.get(s.verdict, "muted")
        parts.append(
            f'<tr><td>{_set_date(s.set_id)}</td><td>{_when(s.finished_at.isoformat() if s.finished_at else None)}</td>'
            + "".join(f'<td class="num">{_mb(s.sizes.get(k))}</td>' for k in KINDS)
            + f'<td class="num">{s.total_seconds:,.1f}</td>'
            f'<td><span class="badge {badge}" title="{escape(s.detail)}">{escape(s.verdict)}</span></td>'
            f"<td>{run_link(BACKUP_DAG, s.run_id, s.run_id)}</td></tr>"
        )
    parts.append("</tbody></table>")
    if len(sets) > rows:
        parts.append(f'<p class="muted">Newest {rows} of {len(sets)} sets. <a href="?sets=all">Show all</a></p>')
    return "".join(parts)


def cached_backup_section(config: OpsConfig, state: PageState, rows: int) -> tuple[list[BackupSet], str]:
    """The sets and their section, rebuilt only when a manifest or the monitor's record changed."""
    root = Path(config.backup_root)
    signatures = manifest_signatures(root)
    try:
        record = (root / ".monitor_verified.json").stat()
        record_sig = (record.st_size, record.st_mtime_ns)
    except FileNotFoundError:
        record_sig = None
    key = hash((tuple(signatures), record_sig, rows))
    cache_key = f"{root}|{rows}"
    with state.lock:
        cached = state.sections.get(cache_key)
    if cached and cached[0] == key:
        return cached[1], cached[2]
    sets, errors = backup_sets(root, state.files)
    html = backup_section(sets, errors, rows)
    with state.lock:
        state.sections[cache_key] = (key, sets, html)
    return sets, html


def alerts_section(alerts: Sequence[OpenAlert], resolved: Sequence[ResolvedAlert]) -> str:
    parts = ["<h3>Open</h3>"]
    if alerts:
        parts.append('<table class="grid alerts"><thead><tr><th>severity</th><th>alert</th><th>check</th>'
                     "<th>open since</th><th>last sent</th></tr></thead><tbody>")
        for a in alerts:
            parts.append(f'<tr><td><span class="badge {"bad" if a.severity == "critical" else "warn"}">'
                         f"{escape(a.severity)}</span></td>"
                         f'<td>{escape(a.message)}<div class="key">{escape(a.key)}</div></td>'
                         f"<td>{run_link(alert_dag(a.scope), None, a.scope)}</td><td>{_when(a.opened_at)}</td>"
                         f"<td>{_when(a.last_sent_at) if a.last_sent_at else 'not sent yet'}</td></tr>")
        parts.append("</tbody></table>")
    else:
        parts.append('<p class="ok-text">No open alert.</p>')
    parts.append("<h3>Recently resolved</h3>")
    if resolved:
        parts.append('<table class="grid"><thead><tr><th>resolved</th><th>alert</th><th>check</th></tr></thead><tbody>')
        parts += [f"<tr><td>{escape(r.at)}</td><td>{escape(r.message)}<div class=\"key\">{escape(r.key)}</div></td>"
                  f"<td>{escape(r.scope)}</td></tr>" for r in resolved]
        parts.append("</tbody></table>")
    else:
        parts.append('<p class="muted">None in the recent log lines.</p>')
    return "".join(parts)


def report_html(report: Report, run_id: str | None, *, open_: bool) -> str:
    stamp = report.run_after.strftime("%Y-%m-%d %H:%M UTC") if report.run_after else "?"
    title = "Health report" if report.kind == "health" else f"Compression report: {report.name}"
    link = run_link(REPORT_DAGS[report.kind], run_id, f"run of {stamp}" if run_id else f"{REPORT_DAGS[report.kind]} runs")
    return (f'<details class="report"{" open" if open_ else ""}><summary>{escape(title)} <span class="muted">'
            f"({stamp}, {escape(report.path.name)})</span> · {link}</summary>"
            f'<div class="markdown">{_markdown.render(report.markdown)}</div></details>')


def _card(label: str, value: str, tone: str = "") -> str:
    return f'<div class="card {tone}"><div class="label">{escape(label)}</div><div class="value">{value}</div></div>'


def render_page(config: OpsConfig, state: PageState, alerts: Sequence[OpenAlert], *, now: datetime | None = None,
                rows: int = TABLE_ROWS, report_runs: Mapping[str, str] | None = None) -> str:
    """The whole page. ``report_runs``: report path -> run id of the run that wrote it (when known)."""
    now = now or datetime.now(UTC)
    report_runs = report_runs or {}
    sets, backups_html = cached_backup_section(config, state, rows)
    reports = latest_reports(config.report_dir, state.files)
    resolved = recently_resolved(config.log_dir)
    newest = sets[-1] if sets else None
    age_hours = (now - newest.finished_at).total_seconds() / 3600 if newest and newest.finished_at else None
    health = next((r for r in reports if r.kind == "health"), None)
    verdict = health_verdict(health.markdown) if health else None
    critical = sum(a.severity == "critical" for a in alerts)
    cards = "".join([
        _card("Newest backup", f"{_age(newest.finished_at, now)} ago" if newest else "none",
              "ok" if age_hours is not None and age_hours <= config.max_backup_age_hours else "bad"),
        _card("Backup sets", f"{len(sets):,}", ""),
        _card("Newest set size", f"{_mb(newest.total_bytes)} MB" if newest else "-", ""),
        _card("Open alerts", f"{len(alerts)}" + (f" ({critical} critical)" if critical else ""),
              "bad" if critical else "warn" if alerts else "ok"),
        _card("Health", escape(verdict or "no report"),
              {"OK": "ok", "WARNING": "warn", "CRITICAL": "bad"}.get(verdict or "", "")),
    ])
    compression = [r for r in reports if r.kind == "compression"]
    timeline = ""
    for report in compression:
        months = [(m.month, m.chunks, m.compressed, m.before, m.now) for m in compression_timeline(report.markdown)]
        timeline += f"<h3>{escape(report.name)}</h3>{timeline_chart(months)}"
    reports_html = "".join(report_html(r, report_runs.get(str(r.path)), open_=r.kind == "health") for r in
                           ([health] if health else []) + compression) or '<p class="muted">No report yet.</p>'
    return PAGE.format(
        css=CSS, now=escape(now.strftime("%Y-%m-%d %H:%M:%S UTC")), cards=cards,
        alerts=alerts_section(alerts, resolved), backups=backups_html,
        timeline=timeline or '<p class="muted">No compression report yet.</p>', reports=reports_html,
        backup_root=escape(config.backup_root), report_dir=escape(config.report_dir),
    )


CSS = (Path(__file__).parent / "ops_page.css").read_text()

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>tsdb-ops</title><style>{css}</style></head>
<body><header><h1>tsdb-ops</h1><span class="muted">as of {now}</span></header>
<div class="cards">{cards}</div>
<section id="alerts"><h2>Alerts</h2>{alerts}</section>
<section id="backups"><h2>Backup sets</h2>{backups}</section>
<section id="compression"><h2>Chunk compression timeline</h2>{timeline}</section>
<section id="reports"><h2>Latest reports</h2>{reports}</section>
<footer>Read from the files the DAGs write (manifests under {backup_root}, reports under {report_dir}) and the
open alerts kept in Airflow Variables; the page never queries the market-data database.</footer>
</body></html>
"""
