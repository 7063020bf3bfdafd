"""Alerts reach the real SMTP and webhook servers on loopback: formats, one channel down, redaction, monitor state."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harness.mail import SmtpServer
from harness.ports import free_port
from tsdb_ops.alerts.monitor_alerts import publish_findings, send_alert
from tsdb_ops.alerts.state_store import VariableStateStore
from tsdb_ops.config import OpsConfig
from tsdb_ops.findings import Finding

ROOT = Path(__file__).resolve().parents[2]
DB_PASSWORD = "Sup3rSecretDbPw"
DISCORD_TOKEN = "DiscordTok3nXyz"
SLACK_TOKEN = "SlackTok3nXyz"
SECRETS = (DB_PASSWORD, DISCORD_TOKEN, SLACK_TOKEN)
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DISK = Finding("disk_usage", "critical", "Backup volume is 91% full (limit 85%)", {"used_percent": 91})
SHRUNK = Finding("size_change", "warning", "Backup shrank by 60% since the previous one")


class Channels:
    """The three alert connections pointing at the loopback servers, under paths unique to one test."""

    def __init__(self, monkeypatch, smtp_server, webhook_server, tmp_path: Path) -> None:
        self.monkeypatch, self.smtp, self.web = monkeypatch, smtp_server, webhook_server
        self.tag = uuid.uuid4().hex[:10]
        self.discord_base = webhook_server.url(f"/{self.tag}/discord")
        self.slack_url = webhook_server.url(f"/{self.tag}/slack/services/T0/B0/{SLACK_TOKEN}")
        self.connect(smtp_uri=smtp_server.connection_uri())
        monkeypatch.setenv("AIRFLOW_CONN_TSDB_POSTGRES", f"postgresql://trader:{DB_PASSWORD}@127.0.0.1:5432/mt5")
        smtp_server.clear()
        self.log_dir = tmp_path / "logs"

    def connect(self, *, smtp_uri: str | None = None, discord_base: str | None = None, slack_url: str | None = None) -> None:
        discord = {"conn_type": "discord", "host": discord_base or self.discord_base,
                   "extra": {"webhook_endpoint": f"webhooks/42/{DISCORD_TOKEN}"}}
        if smtp_uri:
            self.monkeypatch.setenv("AIRFLOW_CONN_TSDB_SMTP", smtp_uri)
        self.monkeypatch.setenv("AIRFLOW_CONN_TSDB_DISCORD", json.dumps(discord))
        slack = {"conn_type": "slackwebhook", "password": slack_url or self.slack_url}
        self.monkeypatch.setenv("AIRFLOW_CONN_TSDB_SLACK", json.dumps(slack))

    def config(self, **overrides) -> OpsConfig:
        return OpsConfig.from_mapping({"alert_email_to": ["ops@example.com"], "log_dir": str(self.log_dir), **overrides})

    def discord_posts(self) -> list:
        return [p for p in self.web.posts if self.tag in p.path and "discord" in p.path]

    def slack_posts(self) -> list:
        return [p for p in self.web.posts if self.tag in p.path and "slack" in p.path]

    def counts(self) -> tuple[int, int, int]:
        return len(self.smtp.messages), len(self.discord_posts()), len(self.slack_posts())


@pytest.fixture
def channels(monkeypatch, smtp_server, webhook_server, tmp_path) -> Channels:
    return Channels(monkeypatch, smtp_server, webhook_server, tmp_path)


def test_send_alert_reaches_email_discord_and_slack_in_their_formats(channels):
    outcome = send_alert("critical", "Backup volume is 91% full", "used 91%, limit 85%", config=channels.config())

    assert outcome == {"email": None, "discord": None, "slack": None}
    [mail] = channels.smtp.wait_for(1)
    assert mail["Subject"] == "[tsdb-ops CRITICAL] Backup volume is 91% full"
    assert mail["To"] == "ops@example.com"
    assert "used 91%, limit 85%" in mail.get_body(("html",)).get_content()
    [discord] = channels.discord_posts()
    assert discord.path.endswith(f"/webhooks/42/{DISCORD_TOKEN}")
    assert discord.headers["Content-type"] == "application/json"
    assert discord.json["content"] == "**CRITICAL** Backup volume is 91% full"
    assert discord.json["username"] == "tsdb-ops"
    assert discord.json["embeds"][0]["title"] == "Backup volume is 91% full"
    assert discord.json["embeds"][0]["description"] == "used 91%, limit 85%"
    [slack] = channels.slack_posts()
    assert slack.json["text"] == "CRITICAL: Backup volume is 91% full"
    assert [b["type"] for b in slack.json["blocks"]] == ["header", "section"]
    assert set(slack.json) == {"text", "blocks"}


def _stopped_smtp_uri() -> str:
    server = SmtpServer().start()
    uri = server.connection_uri()
    server.stop()
    return uri


@pytest.mark.parametrize(
    ("down", "how"),
    [
        ("discord", "http-500"),
        ("discord", "connection-refused"),
        ("slack", "timeout"),
        ("email", "smtp-server-stopped"),
    ],
)
def test_one_channel_down_the_others_still_get_the_alert(channels, caplog, down, how):
    if how == "http-500":
        channels.connect(discord_base=channels.web.url(f"/status/500/{channels.tag}/discord"))
    elif how == "connection-refused":
        channels.connect(discord_base=f"http://127.0.0.1:{free_port()}/{channels.tag}/discord")
    elif how == "timeout":
        channels.connect(slack_url=channels.web.url(f"/slow/{channels.tag}/slack/services/T0/B0/{SLACK_TOKEN}"))
    else:
        channels.connect(smtp_uri=_stopped_smtp_uri())
    caplog.set_level(logging.INFO, logger="tsdb_ops")

    outcome = send_alert("critical", f"Backup failed ({how})", config=channels.config(alert_send_timeout_seconds=2))

    assert outcome[down] is not None
    assert all(error is None for channel, error in outcome.items() if channel != down)
    expected = {"email": 1, "discord": 1, "slack": 1}
    if down == "email":
        expected["email"] = 0
    received = dict(zip(("email", "discord", "slack"), channels.counts(), strict=True))
    assert {c: n for c, n in received.items() if c != down} == {c: n for c, n in expected.items() if c != down}
    assert f"NOT delivered to {down}" in caplog.text
    assert not any(secret in caplog.text for secret in SECRETS)


def test_secrets_never_reach_mail_posts_or_logs(channels, caplog, capfd):
    channels.connect(discord_base=f"http://127.0.0.1:{free_port()}/{channels.tag}/discord")  # its error names the URL
    caplog.set_level(logging.DEBUG)
    body = (
        f"pg_dump: connection to postgresql://trader:{DB_PASSWORD}@127.0.0.1:5432/mt5 failed; "
        f"password was {DB_PASSWORD}; retry https://discord.com/api/webhooks/42/{DISCORD_TOKEN}"
    )

    outcome = send_alert("critical", f"Backup failed, password={DB_PASSWORD}", body, config=channels.config())

    assert outcome["email"] is None and outcome["slack"] is None and outcome["discord"] is not None
    [mail] = channels.smtp.wait_for(1)
    [slack] = channels.slack_posts()
    out, err = capfd.readouterr()
    texts = {"mail": mail.as_string(), "slack": slack.body.decode(), "caplog": caplog.text, "stdout": out + err,
             "outcome": json.dumps(outcome)}
    leaks = {where: s for where, text in texts.items() for s in SECRETS if s in text}

    assert leaks == {}
    assert "postgresql://trader:***@127.0.0.1" in mail.get_body(("html",)).get_content()
    assert "NOT delivered to discord" in caplog.text


def test_open_alert_is_sent_then_suppressed_within_the_window_then_repeated(channels, airflow_home):
    config = channels.config()
    scope = f"test.{channels.tag}"

    first = publish_findings(scope, [DISK], config=config, now=T0)
    assert (first.sent, first.suppressed) == (["disk_usage"], [])
    assert channels.counts() == (1, 1, 1)

    second = publish_findings(scope, [DISK], config=config, now=T0 + timedelta(hours=5))
    assert (second.sent, second.suppressed) == ([], ["disk_usage"])
    assert channels.counts() == (1, 1, 1)

    third = publish_findings(scope, [DISK], config=config, now=T0 + timedelta(hours=6, minutes=1))
    assert (third.sent, third.suppressed) == (["disk_usage"], [])
    assert channels.counts() == (2, 2, 2)

    lines = (channels.log_dir / "backup_monitor.log").read_text().splitlines()
    alert = f"CRITICAL [{scope}] disk_usage: Backup volume is 91% full (limit 85%)"
    assert lines == [
        f"[2026-03-01 12:00:00] {alert} (sent to email, discord, slack)",
        f"[2026-03-01 17:00:00] {alert} (still open; last sent {T0.isoformat()}, not repeated)",
        f"[2026-03-01 18:01:00] {alert} (sent to email, discord, slack)",
    ]


def test_cleared_alert_gets_exactly_one_resolved_message(channels, airflow_home):
    config = channels.config()
    scope = f"test.{channels.tag}"
    publish_findings(scope, [DISK, SHRUNK], config=config, now=T0)
    assert channels.counts() == (1, 2, 2)  # the warning goes to the chat channels only

    cleared = publish_findings(scope, [SHRUNK], config=config, now=T0 + timedelta(hours=1))
    again = publish_findings(scope, [SHRUNK], config=config, now=T0 + timedelta(hours=2))

    assert (cleared.resolved, cleared.suppressed) == (["disk_usage"], ["size_change"])
    assert (again.resolved, again.sent) == ([], [])
    assert channels.counts() == (2, 3, 3)
    assert channels.smtp.messages[-1]["Subject"] == "[tsdb-ops RESOLVED] Backup volume is 91% full (limit 85%)"
    assert channels.discord_posts()[-1].json["content"] == "**RESOLVED** Backup volume is 91% full (limit 85%)"
    assert channels.slack_posts()[-1].json["text"] == "RESOLVED: Backup volume is 91% full (limit 85%)"
    assert VariableStateStore().load(scope).keys() == {"size_change"}


def test_alert_no_channel_accepted_is_sent_again_on_the_next_run(channels, airflow_home):
    scope = f"test.{channels.tag}"
    channels.connect(
        smtp_uri=_stopped_smtp_uri(),
        discord_base=channels.web.url(f"/status/500/{channels.tag}/discord"),
        slack_url=channels.web.url(f"/status/500/{channels.tag}/slack/services/T0/B0/{SLACK_TOKEN}"),
    )
    failed = publish_findings(scope, [DISK], config=channels.config(), now=T0)
    channels.connect(smtp_uri=channels.smtp.connection_uri(), discord_base=channels.discord_base, slack_url=channels.slack_url)

    retried = publish_findings(scope, [DISK], config=channels.config(), now=T0 + timedelta(hours=1))

    assert (failed.sent, failed.undelivered) == ([], ["disk_usage"])
    assert (retried.sent, retried.suppressed) == (["disk_usage"], [])
    assert len(channels.smtp.messages) == 1


def test_a_channel_that_failed_gets_the_open_alert_on_the_next_run_and_only_that_channel(channels, airflow_home):
    scope = f"test.{channels.tag}"
    channels.connect(smtp_uri=channels.smtp.connection_uri(),
                     discord_base=channels.web.url(f"/status/500/{channels.tag}/discord"))
    def received() -> tuple[int, int, int]:  # what reached each channel (the failing endpoint records posts too)
        ok = [p for p in channels.web.posts if channels.tag in p.path and not p.path.startswith("/status/")]
        return (len(channels.smtp.messages), sum("discord" in p.path for p in ok), sum("slack" in p.path for p in ok))

    first = publish_findings(scope, [DISK], config=channels.config(), now=T0)
    assert first.sent == ["disk_usage"] and received() == (1, 0, 1)
    channels.connect(smtp_uri=channels.smtp.connection_uri(), discord_base=channels.discord_base)

    retried = publish_findings(scope, [DISK], config=channels.config(), now=T0 + timedelta(hours=1))
    quiet = publish_findings(scope, [DISK], config=channels.config(), now=T0 + timedelta(hours=2))

    assert retried.sent == ["disk_usage"] and received() == (1, 1, 1)  # discord only
    assert (quiet.sent, quiet.suppressed) == ([], ["disk_usage"]) and received() == (1, 1, 1)
    line = (channels.log_dir / "backup_monitor.log").read_text().splitlines()[1]
    assert line.endswith("(retried: sent to discord)")


def test_open_alerts_survive_a_restart_of_the_process(channels, airflow_home):
    scope = f"test.{channels.tag}"
    program = (
        "from datetime import datetime, timezone; from tsdb_ops.alerts.monitor_alerts import publish_findings; "
        "from tsdb_ops.config import OpsConfig; from tsdb_ops.findings import Finding; "
        f"r = publish_findings({scope!r}, [Finding('disk_usage', 'critical', 'full')], "
        f"config=OpsConfig.from_mapping({{'alert_email_to': ['ops@example.com'], 'log_dir': {str(channels.log_dir)!r}}}), "
        "now=datetime(2026, 3, 1, 12, tzinfo=timezone.utc)); assert r.sent == ['disk_usage'], r"
    )
    from airflow.configuration import conf

    # The same Fernet key as this process: the session's airflow.cfg may have been written with another one.
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins"), "AIRFLOW__CORE__FERNET_KEY": conf.get("core", "fernet_key")}
    subprocess.run([sys.executable, "-c", program], check=True, env=env, capture_output=True, timeout=120)

    later = T0 + timedelta(hours=1)
    report = publish_findings(scope, [Finding("disk_usage", "critical", "full")], config=channels.config(), now=later)

    assert (report.sent, report.suppressed) == ([], ["disk_usage"])
    assert channels.counts() == (1, 1, 1)


def test_scopes_published_at_the_same_time_keep_their_own_state(channels, airflow_home):
    config = channels.config(critical_channels=["slack"])
    scopes = [f"test.{channels.tag}.{n}" for n in range(4)]
    errors: list[BaseException] = []

    def publish(scope: str) -> None:
        try:
            publish_findings(scope, [Finding(f"key_{scope}", "critical", f"problem in {scope}")], config=config, now=T0)
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(scope,)) for scope in scopes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert {scope: list(VariableStateStore().load(scope)) for scope in scopes} == {s: [f"key_{s}"] for s in scopes}
    assert len(channels.slack_posts()) == 4
