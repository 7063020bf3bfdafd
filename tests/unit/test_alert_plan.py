"""Monitor alert decisions: send new alerts, suppress repeats within the window, resolve cleared alerts once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tsdb_ops.alerts.monitor_alerts import AlertPlan, next_state, plan_alerts
from tsdb_ops.findings import Finding

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(hours=6)
STALE = Finding("backup_age", "critical", "Newest backup is 30 h old")
STALE_WARNING = Finding("backup_age", "warning", "Newest backup is 30 h old")
SMALL = Finding("backup_size", "warning", "Backup shrank by 60%")


def _open(severity: str = "critical", sent_hours_ago: float | None = 1.0) -> dict:
    last = None if sent_hours_ago is None else (NOW - timedelta(hours=sent_hours_ago)).isoformat()
    return {"severity": severity, "message": "m", "opened_at": (NOW - timedelta(hours=30)).isoformat(), "last_sent_at": last}


@pytest.mark.parametrize(
    ("open_alerts", "findings", "send", "suppress", "resolve"),
    [
        ({}, [STALE], ["backup_age"], [], []),
        ({"backup_age": _open(sent_hours_ago=1)}, [STALE], [], ["backup_age"], []),
        ({"backup_age": _open(sent_hours_ago=5.9)}, [STALE], [], ["backup_age"], []),
        ({"backup_age": _open(sent_hours_ago=6)}, [STALE], ["backup_age"], [], []),
        ({"backup_age": _open(severity="warning")}, [STALE], ["backup_age"], [], []),  # escalated
        ({"backup_age": _open(sent_hours_ago=None)}, [STALE], ["backup_age"], [], []),  # never delivered
        ({"backup_age": _open()}, [], [], [], ["backup_age"]),
        ({"backup_age": _open(), "backup_size": _open("warning")}, [SMALL], [], ["backup_size"], ["backup_age"]),
        ({}, [STALE_WARNING, STALE], ["backup_age"], [], []),
    ],
    ids=[
        "new", "repeat-in-window", "repeat-just-in-window", "repeat-after-window", "severity-changed",
        "never-delivered", "cleared", "one-cleared-one-open", "duplicate-key",
    ],
)
def test_plan_alerts(open_alerts, findings, send, suppress, resolve):
    plan = plan_alerts(open_alerts, findings, NOW, WINDOW)
    assert [f.key for f in plan.send] == send
    assert [f.key for f in plan.suppress] == suppress
    assert plan.resolve == resolve


def test_duplicate_key_keeps_the_more_severe_finding():
    plan = plan_alerts({}, [STALE_WARNING, STALE], NOW, WINDOW)
    assert plan.send == [STALE]


def test_delivered_alert_is_stamped_sent_and_keeps_its_opening_time():
    previous = {"backup_age": _open(sent_hours_ago=7)}
    state = next_state(previous, AlertPlan([STALE], [], []), {"backup_age"}, NOW)
    assert state["backup_age"]["last_sent_at"] == NOW.isoformat()
    assert state["backup_age"]["opened_at"] == previous["backup_age"]["opened_at"]
    assert state["backup_age"]["message"] == STALE.message


def test_undelivered_new_alert_stays_open_unsent_so_the_next_run_retries():
    state = next_state({}, AlertPlan([STALE], [], []), set(), NOW)
    assert state["backup_age"]["last_sent_at"] is None
    assert plan_alerts(state, [STALE], NOW + timedelta(hours=1), WINDOW).send == [STALE]


def test_resolved_alert_is_forgotten_only_when_the_resolution_was_delivered():
    previous = {"backup_age": _open()}
    plan = AlertPlan([], [], ["backup_age"])
    assert next_state(previous, plan, {"backup_age"}, NOW) == {}
    assert next_state(previous, plan, set(), NOW) == previous


def test_suppressed_alert_keeps_its_last_sent_time():
    previous = {"backup_age": _open(sent_hours_ago=2)}
    state = next_state(previous, AlertPlan([], [STALE], []), set(), NOW)
    assert state["backup_age"]["last_sent_at"] == previous["backup_age"]["last_sent_at"]
