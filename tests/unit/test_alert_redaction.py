"""Secrets are masked in alert text and log lines: known connection secrets and secret-shaped values."""

from __future__ import annotations

import json

import pytest
from airflow.sdk import Connection

from tsdb_ops.alerts.redaction import MASK, connection_secrets, redact


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("could not connect to postgresql://trader:Sup3r@db:5432/mt5", (), f"could not connect to postgresql://trader:{MASK}@db:5432/mt5"),
        ("host=db user=trader password=Sup3r dbname=mt5", (), f"host=db user=trader password={MASK} dbname=mt5"),
        ("conninfo password='a b c' port=5432", (), f"conninfo password='{MASK}' port=5432"),
        ('{"password": "Sup3r", "user": "x"}', (), f'{{"password": "{MASK}", "user": "x"}}'),
        ("POST https://discord.com/api/webhooks/123456/AbC-dEf_9", (), f"POST https://discord.com/api/webhooks/123456/{MASK}"),
        ("url: https://hooks.slack.com/services/T0AA/B0BB/XyZ123", (), f"url: https://hooks.slack.com/services/T0AA/B0BB/{MASK}"),
        ("token xoxb-1234-abcd was revoked", (), f"token {MASK} was revoked"),
        ("smtp login failed with hunter22!", ("hunter22!",), f"smtp login failed with {MASK}"),
        ("uri smtp://u:p%40ss%3Aword@mail", ("p@ss:word",), f"uri smtp://u:{MASK}@mail"),
        ("the password is abc", ("abc",), "the password is abc"),  # too short to replace as a literal
        ("password authentication failed for user trader", (), "password authentication failed for user trader"),
        ("Backup volume is 91% full (limit 85%)", ("Sup3r",), "Backup volume is 91% full (limit 85%)"),
    ],
)
def test_redact_masks_secrets_and_leaves_plain_text_alone(text, secrets, expected):
    assert redact(text, secrets) == expected


def test_connection_secrets_finds_passwords_and_webhook_tokens():
    postgres = Connection(conn_id="db", conn_type="postgres", host="db", login="trader", password="Sup3rSecret")
    discord = Connection(
        conn_id="discord", conn_type="discord", host="https://discord.com/api/",
        extra=json.dumps({"webhook_endpoint": "webhooks/123/DiscordTok3n"}),
    )
    slack = Connection(conn_id="slack", conn_type="slackwebhook", password="https://hooks.slack.com/services/T0/B0/SlackTok3n")
    smtp = Connection(conn_id="smtp", conn_type="smtp", host="mail", extra=json.dumps({"from_email": "ops@example.com"}))

    assert "Sup3rSecret" in connection_secrets(postgres)
    assert "DiscordTok3n" in connection_secrets(discord)
    assert "SlackTok3n" in connection_secrets(slack)
    assert connection_secrets(smtp) == set()
