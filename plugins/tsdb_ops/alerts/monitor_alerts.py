"""Monitor alerts: the checks publish their findings, this decides what to send, to whom, and what is resolved.

A check calls :func:`publish_findings` with the COMPLETE set of current findings of its scope. Then:

- a new finding is sent to the channels of its severity (``critical_channels`` / ``warning_channels``);
- a finding still open is not re-sent within ``alert_repeat_window_hours`` (sent again after it, or at once
  when its severity changed);
- an open alert absent from the set is resolved with exactly one "resolved" message;
- an alert that no channel accepted is tried again on the next run (it is not marked as sent);
- every alert, suppressed or not, is a line in the monitor log file.

The open alerts survive restarts in the metadata DB (:mod:`tsdb_ops.alerts.state_store`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tsdb_ops.alerts.channels import ActiveChannels, deliver, find_active_channels, route
from tsdb_ops.alerts.messages import LABELS, Alert
from tsdb_ops.alerts.redaction import redact
from tsdb_ops.alerts.state_store import VariableStateStore
from tsdb_ops.config import OpsConfig, load_config
from tsdb_ops.findings import SEVERITIES, Finding, Severity
from tsdb_ops.logfiles import MONITOR_LOG, append_log_line

log = logging.getLogger(__name__)

_RANK = {"warning": 0, "critical": 1}


class AlertStateStore(Protocol):
    def load(self, scope: str) -> dict[str, Any]: ...

    def save(self, scope: str, state: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class AlertPlan:
    """What one publication does: findings to send, findings to keep quiet about, open keys to resolve."""

    send: list[Finding]
    suppress: list[Finding]
    resolve: list[str]
    retry: list[Finding] = field(default_factory=list)   # open, within the window, a channel did not get it yet


@dataclass
class PublishReport:
    sent: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    undelivered: list[str] = field(default_factory=list)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per key; a check reporting a key twice keeps the more severe (then the first) finding."""
    by_key: dict[str, Finding] = {}
    for finding in findings:
        kept = by_key.get(finding.key)
        if kept is None or _RANK[finding.severity] > _RANK[kept.severity]:
            by_key[finding.key] = finding
    return list(by_key.values())


def plan_alerts(
    open_alerts: Mapping[str, Mapping[str, Any]], findings: Iterable[Finding], now: datetime, repeat_window: timedelta
) -> AlertPlan:
    """Decide, from the open alerts of a scope and its complete current findings, what to send and resolve."""
    current = _unique(findings)
    send: list[Finding] = []
    suppress: list[Finding] = []
    retry: list[Finding] = []
    for finding in current:
        previous = open_alerts.get(finding.key)
        last_sent = previous and previous.get("last_sent_at")
        if (
            previous is None
            or previous.get("severity") != finding.severity
            or not last_sent
            or now - datetime.fromisoformat(last_sent) >= repeat_window
        ):
            send.append(finding)
        elif previous.get("undelivered"):
            retry.append(finding)
        else:
            suppress.append(finding)
    present = {f.key for f in current}
    return AlertPlan(send, suppress, sorted(k for k in open_alerts if k not in present), retry)


def next_state(
    open_alerts: Mapping[str, Mapping[str, Any]], plan: AlertPlan, delivered: set[str], now: datetime,
    undelivered: Mapping[str, list[str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Open alerts after the publication; ``delivered`` holds the sent or resolved keys that reached someone,
    ``undelivered`` the channels that did not get a sent or retried alert (retried on the next run)."""
    state = {key: dict(value) for key, value in open_alerts.items()}
    stamp = now.isoformat()
    undelivered = undelivered or {}
    for finding in plan.send + plan.suppress + plan.retry:
        entry = state.setdefault(finding.key, {"opened_at": stamp, "last_sent_at": None})
        entry.update(severity=finding.severity, message=finding.message)
        if finding in plan.send and finding.key in delivered:
            entry["last_sent_at"] = stamp
        if finding in plan.send or finding in plan.retry:
            if undelivered.get(finding.key):
                entry["undelivered"] = sorted(undelivered[finding.key])
            else:
                entry.pop("undelivered", None)
    for key in plan.resolve:
        if key in delivered:
            del state[key]
    return state


def _finding_alert(scope: str, finding: Finding, opened_at: str) -> Alert:
    facts = [("Check", scope), ("Alert key", finding.key), ("Open since", opened_at)]
    facts += [(str(name), str(value)) for name, value in finding.facts.items()]
    return Alert(kind=finding.severity, title=finding.message, facts=facts)


def _resolved_alert(scope: str, key: str, entry: Mapping[str, Any], now: datetime) -> Alert:
    return Alert(
        kind="resolved",
        title=f"{entry.get('message', key)}",
        facts=[
            ("Check", scope),
            ("Alert key", key),
            ("Was", str(entry.get("severity"))),
            ("Open since", str(entry.get("opened_at"))),
            ("Resolved at", now.isoformat()),
        ],
    )


def _send(alert: Alert, severity: str, config: OpsConfig, active: ActiveChannels,
          only: Iterable[str] | None = None) -> tuple[bool, str, list[str]]:
    """Deliver to the channels of ``severity`` (``only``: those of them); (reached someone or nobody to reach,
    outcome for the log, channels that failed)."""
    channels = route(severity, config, active)
    if only is not None:
        channels = [c for c in channels if c in set(only)]
    if not channels:
        return True, f"no active channel for {severity}", []
    outcome = deliver(alert, channels, active, config)
    delivered = [c for c, error in outcome.items() if error is None]
    failed = [f"{c}: {error}" for c, error in outcome.items() if error is not None]
    summary = f"sent to {', '.join(delivered) or 'nobody'}" + (f"; NOT delivered to {'; '.join(failed)}" if failed else "")
    return bool(delivered), summary, [c for c, error in outcome.items() if error is not None]


def send_alert(severity: Severity, subject: str, body: str = "", *, config: OpsConfig | None = None) -> dict[str, str | None]:
    """Send one plain message to the active channels of ``severity`` (critical or warning), without state.

    Returns channel -> None when delivered, else the (redacted) error. Never raises for a channel failure.
    """
    if severity not in SEVERITIES:
        raise ValueError(f"severity {severity!r} must be one of {SEVERITIES}")
    config = config or load_config()
    active = find_active_channels(config)
    channels = route(severity, config, active)
    alert = Alert(kind=severity, title=subject, details=body)
    if not channels:
        log.warning("No active channel for %s alerts; only logged: %s", severity, alert.redacted(set(active.secrets)).as_text())
        return {}
    return deliver(alert, channels, active, config)


def publish_findings(
    scope: str,
    findings: Iterable[Finding],
    *,
    config: OpsConfig | None = None,
    now: datetime | None = None,
    log_file: str = MONITOR_LOG,
    store: AlertStateStore | None = None,
) -> PublishReport:
    """Publish the complete current findings of ``scope``: send new ones, suppress repeats, resolve cleared ones."""
    config = config or load_config()
    now = now or datetime.now(UTC)
    store = store or VariableStateStore()
    open_alerts = store.load(scope)
    plan = plan_alerts(open_alerts, findings, now, timedelta(hours=config.alert_repeat_window_hours))
    active = find_active_channels(config) if plan.send or plan.resolve or plan.retry else ActiveChannels({}, frozenset())
    secrets = set(active.secrets)
    report = PublishReport()
    delivered: set[str] = set()
    undelivered: dict[str, list[str]] = {}

    def write(label: str, key: str, message: str, outcome: str) -> None:
        line = redact(f"{label} [{scope}] {key}: {message} ({outcome})", secrets)
        append_log_line(config, log_file, line, now)
        log.info("%s", line)

    for finding in plan.send:
        opened_at = open_alerts.get(finding.key, {}).get("opened_at") or now.isoformat()
        ok, outcome, failed = _send(_finding_alert(scope, finding, opened_at), finding.severity, config, active)
        (report.sent if ok else report.undelivered).append(finding.key)
        if ok:
            delivered.add(finding.key)
            undelivered[finding.key] = failed
        write(LABELS[finding.severity], finding.key, finding.message, outcome)
    for finding in plan.retry:  # open and within the window, but a channel did not get it: that channel again
        entry = open_alerts[finding.key]
        ok, outcome, failed = _send(_finding_alert(scope, finding, entry["opened_at"]), finding.severity, config,
                                    active, only=entry["undelivered"])
        report.sent.append(finding.key)
        undelivered[finding.key] = failed
        write(LABELS[finding.severity], finding.key, finding.message, f"retried: {outcome}")
    for finding in plan.suppress:
        report.suppressed.append(finding.key)
        last_sent = open_alerts[finding.key]["last_sent_at"]
        write(LABELS[finding.severity], finding.key, finding.message, f"still open; last sent {last_sent}, not repeated")
    for key in plan.resolve:
        entry = open_alerts[key]
        ok, outcome, _ = _send(_resolved_alert(scope, key, entry, now), str(entry.get("severity")), config, active)
        (report.resolved if ok else report.undelivered).append(key)
        if ok:
            delivered.add(key)
        write(LABELS["resolved"], key, str(entry.get("message", "")), outcome)

    state = next_state(open_alerts, plan, delivered, now, undelivered)
    if state != open_alerts:
        store.save(scope, state)
    return report
