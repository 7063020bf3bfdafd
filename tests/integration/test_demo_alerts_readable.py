"""The demo's alerts can be read by a person: e-mails carry a plain-text part beside the HTML, the demo's Discord
and Slack connections are accepted by the providers and delivered, and the receivers write every message to files.

Real alerts through the real notifiers to the real aiosmtpd server and webhook recorder on loopback.
"""

from __future__ import annotations

import email
import email.policy
import json
import sys
from pathlib import Path

import pytest

from harness.mail import SmtpServer
from harness.webhooks import WebhookServer
from tsdb_ops.alerts.channels import deliver, find_active_channels
from tsdb_ops.alerts.messages import task_failure_alert
from tsdb_ops.config import OpsConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import demo_airflow

ERROR = RuntimeError("pg_dump: error: connection to server failed: <timeout> & no route")


def _alert():
    return task_failure_alert(
        dag_id="db_nightly_backup", task_id="dump_database", run_id="scheduled__2026-03-01T02:00:00+00:00",
        run_after="2026-03-01T02:00:00+00:00", try_number=3, max_tries=2, map_index=None, exception=ERROR,
        base_url="http://localhost:8080",
    )


@pytest.fixture
def receivers(tmp_path, monkeypatch):
    """The demo's receivers writing to tmp_path/alerts, and the demo's connections (demo secrets) to them."""
    smtp = SmtpServer(save_dir=tmp_path / "alerts").start()
    hooks = WebhookServer(save_dir=tmp_path / "alerts").start()
    demo = demo_airflow.new_secrets()
    for name, value in demo_airflow.alert_connections_env(smtp.connection_uri(), hooks.url, demo).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AIRFLOW_CONN_TSDB_POSTGRES", raising=False)
    yield smtp, hooks, demo, tmp_path / "alerts"
    hooks.stop()
    smtp.stop()


def test_alert_mail_has_a_plain_text_part_beside_the_html(receivers):
    smtp, _, _, alerts = receivers
    config = OpsConfig.from_mapping({"alert_email_to": ["oncall@localhost"]})

    outcome = deliver(_alert(), ["email"], find_active_channels(config), config)

    assert outcome == {"email": None}
    [mail] = smtp.wait_for(1)
    assert mail.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in mail.iter_parts()] == ["text/plain", "text/html"]
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")  # lines end in CRLF on the wire
    assert text.startswith("TASK FAILED: db_nightly_backup.dump_database failed\n")
    assert "Task:      dump_database" in text
    assert "Try:       3 of 3" in text
    assert "RuntimeError: pg_dump: error: connection to server failed: <timeout> & no route" in text  # not escaped
    assert "Airflow log: http://localhost:8080/dags/db_nightly_backup/runs/" in text
    assert "&lt;timeout&gt;" in mail.get_body(("html",)).get_content()
    # the receiver wrote it as it arrived, one .eml per message
    [eml] = smtp.files
    assert eml.parent == alerts and eml.suffix == ".eml" and "TASK-FAILED" in eml.name
    assert b"Task:      dump_database" in eml.read_bytes()  # quoted-printable: readable without a mail client
    saved = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert saved["Subject"] == mail["Subject"]
    assert saved.get_body(("plain",)).get_content().replace("\r\n", "\n") == text


def test_demo_discord_and_slack_connections_deliver_and_the_posts_are_written(receivers):
    from airflow.providers.discord.hooks.discord_webhook import DiscordWebhookHook

    _, hooks, demo, alerts = receivers
    # the provider's own validation of the endpoint (webhooks/<digits>/<token>) accepts the demo's connection
    hook = DiscordWebhookHook(http_conn_id="tsdb_discord")
    assert hook.webhook_endpoint == f"webhooks/{demo['discord_id']}/{demo['discord_token']}"
    config = OpsConfig.from_mapping({})

    outcome = deliver(_alert(), ["discord", "slack"], find_active_channels(config), config)

    assert outcome == {"discord": None, "slack": None}
    posts = hooks.wait_for(2)
    assert sorted(p.channel for p in posts) == ["discord", "slack"]
    files = sorted(p.name for p in alerts.iterdir())
    assert len(files) == 4 and {Path(f).suffix for f in files} == {".json", ".txt"}
    discord_txt = next(alerts.glob("*discord*.txt")).read_text()
    assert "**TASK FAILED** db_nightly_backup.dump_database failed" in discord_txt
    assert "| Run id: scheduled__2026-03-01T02:00:00+00:00" in discord_txt
    assert json.loads(next(alerts.glob("*discord*.json")).read_text())["username"] == "tsdb-ops"
    slack_txt = next(alerts.glob("*slack*.txt")).read_text()
    assert slack_txt.startswith("TASK FAILED: db_nightly_backup.dump_database failed\n")
    assert "Try: 3 of 3" in slack_txt
    assert "Airflow log: http://localhost:8080/dags/db_nightly_backup/runs/" in slack_txt
    assert "<timeout> & no route" in slack_txt
    # nothing ordinary is masked: the demo's secrets are long and random
    for path in alerts.iterdir():
        assert "***" not in path.read_text()
