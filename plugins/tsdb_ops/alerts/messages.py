"""What an alert says, and how it is laid out for e-mail, Discord and Slack (within each service's limits).

An :class:`Alert` is plain data; the renderers are pure functions, so the formats are unit-tested.
Discord: https://discord.com/developers/docs/resources/webhook#execute-webhook (``content`` <= 2000,
``embeds``: title <= 256, description <= 4096, <= 25 fields of value <= 1024, total <= 6000).
Slack: https://api.slack.com/messaging/webhooks (``text`` fallback plus ``blocks``: header <= 150,
section text <= 3000, <= 10 section fields of <= 2000).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from tsdb_ops.alerts.redaction import redact

Kind = Literal["failure", "critical", "warning", "resolved"]

LABELS: dict[str, str] = {"failure": "TASK FAILED", "critical": "CRITICAL", "warning": "WARNING", "resolved": "RESOLVED"}
DISCORD_COLORS: dict[str, int] = {"failure": 0xD32F2F, "critical": 0xD32F2F, "warning": 0xF9A825, "resolved": 0x2E7D32}
SENDER_NAME = "tsdb-ops"
MAX_DETAILS_CHARS = 1800


@dataclass(frozen=True)
class Alert:
    """One alert: a one-line title, labelled facts, free-text details (an exception, a finding) and a link."""

    kind: Kind
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    details: str = ""
    link: str = ""

    @property
    def subject(self) -> str:
        return f"[{SENDER_NAME} {LABELS[self.kind]}] {self.title}"

    def redacted(self, secrets: set[str]) -> Alert:
        """The same alert with secrets masked in every text it carries."""
        return replace(
            self,
            title=redact(self.title, secrets),
            facts=[(name, redact(value, secrets)) for name, value in self.facts],
            details=redact(self.details, secrets),
            link=redact(self.link, secrets),
        )

    def as_text(self) -> str:
        """Plain text, as written to logs."""
        parts = [self.subject, *(f"{name}: {value}" for name, value in self.facts)]
        if self.details:
            parts.append(self.details)
        if self.link:
            parts.append(f"Log: {self.link}")
        return "\n".join(parts)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def task_log_url(base_url: str, dag_id: str, run_id: str, task_id: str, map_index: int | None, try_number: int) -> str:
    """Link to the task instance's log in the Airflow 3 UI."""
    mapped = f"/mapped/{map_index}" if map_index is not None and map_index >= 0 else ""
    return (
        f"{base_url.rstrip('/')}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"
        f"/tasks/{quote(task_id, safe='')}{mapped}?try_number={try_number}"
    )


def _format_time(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "unknown")


def task_failure_alert(
    *,
    dag_id: str,
    task_id: str,
    run_id: str,
    run_after: Any,
    try_number: int,
    max_tries: int,
    map_index: int | None,
    exception: BaseException | str | None,
    base_url: str,
    final: bool = False,
) -> Alert:
    """The 3 a.m. message of a failed task: where, when, which try, why, and where the log is. ``final``: the task
    failed without retrying (bad params, a refusal), whatever its retries."""
    task = task_id if map_index is None or map_index < 0 else f"{task_id}[{map_index}]"
    if isinstance(exception, BaseException):
        why = f"{type(exception).__name__}: {exception}"
    else:
        why = str(exception or "no exception recorded (the task may have been killed or timed out)")
    return Alert(
        kind="failure",
        title=f"{dag_id}.{task} failed",
        facts=[
            ("DAG", dag_id),
            ("Task", task),
            ("Run id", run_id),
            ("Run after", _format_time(run_after)),
            ("Try", f"{try_number}, no retry: the failure is final" if final else f"{try_number} of {max_tries + 1}"),
        ],
        details=_clip(why, MAX_DETAILS_CHARS),
        link=task_log_url(base_url, dag_id, run_id, task_id, map_index, try_number),
    )


def email_html(alert: Alert) -> str:
    rows = "".join(
        f"<tr><th align='left'>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>" for name, value in alert.facts
    )
    parts = [f"<h3>{html.escape(LABELS[alert.kind])}: {html.escape(alert.title)}</h3>"]
    if rows:
        parts.append(f"<table>{rows}</table>")
    if alert.details:
        parts.append(f"<pre>{html.escape(alert.details)}</pre>")
    if alert.link:
        parts.append(f"<p><a href='{html.escape(alert.link, quote=True)}'>Airflow log</a> {html.escape(alert.link)}</p>")
    return "\n".join(parts)


def email_text(alert: Alert) -> str:
    """The plain-text part of the e-mail, beside the HTML: the same content, readable in any mail client."""
    heading = f"{LABELS[alert.kind]}: {alert.title}"
    parts = [heading, "-" * min(len(heading), 72)]
    if alert.facts:
        width = max(len(name) for name, _ in alert.facts)
        parts += ["", *(f"{name + ':':{width + 1}} {value}" for name, value in alert.facts)]
    if alert.details:
        parts += ["", alert.details]
    if alert.link:
        parts += ["", f"Airflow log: {alert.link}"]
    return "\n".join(parts) + "\n"


def discord_message(alert: Alert) -> tuple[str, dict[str, Any]]:
    """(``content``, one embed) of a Discord webhook post."""
    content = _clip(f"**{LABELS[alert.kind]}** {alert.title}", 2000)
    embed: dict[str, Any] = {
        "title": _clip(alert.title, 256),
        "color": DISCORD_COLORS[alert.kind],
        "fields": [{"name": _clip(n, 256), "value": _clip(v or "-", 1024), "inline": True} for n, v in alert.facts[:25]],
    }
    if alert.details:
        embed["description"] = _clip(alert.details, 4000)
    if alert.link:
        embed["url"] = alert.link
    return content, embed


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(alert: Alert) -> tuple[str, list[dict[str, Any]]]:
    """(``text`` fallback, ``blocks``) of a Slack incoming-webhook post."""
    text = _clip(f"{LABELS[alert.kind]}: {alert.title}", 3000)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(f"{LABELS[alert.kind]}: {alert.title}", 150)}}
    ]
    if alert.facts:
        blocks.append({
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": _clip(f"*{_slack_escape(n)}*\n{_slack_escape(v)}", 2000)}
                for n, v in alert.facts[:10]
            ],
        })
    if alert.details:
        details = _clip(_slack_escape(alert.details), 2990)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{details}```"}})
    if alert.link:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"<{alert.link}|Airflow log>"}})
    return text, blocks
