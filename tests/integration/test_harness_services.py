"""Each service of the harness really answers on loopback."""

from __future__ import annotations

import smtplib
import urllib.request
from email.message import EmailMessage

import psycopg


def test_postgres15_answers(pg15):
    with psycopg.connect(pg15.dsn()) as conn:
        assert conn.execute("SHOW server_version_num").fetchone()[0].startswith("15")


def test_timescaledb_target_has_the_extension(tsdb):
    with tsdb.connect() as conn:
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
    if version is None:  # a native server given by TSDB_TEST_DSN may need the extension created first
        with tsdb.connect() as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
            version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
    assert version[0].startswith("2.")


def test_timescaledb_wasm_serves_one_client_after_another(tsdb):
    for _ in range(3):
        with tsdb.connect(autocommit=False) as conn:
            conn.execute("SELECT 1")  # leaves a transaction open; the next connect must not see it
    with tsdb.connect() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_docker_engine_runs_the_test_images(docker_client):
    from conftest import TEST_BUSYBOX_IMAGE, TEST_PG_CLIENT_IMAGE

    out = docker_client.containers.run(TEST_BUSYBOX_IMAGE, ["sh", "-c", "echo hello | gzip | gzip -d"], remove=True)
    assert out.strip() == b"hello"
    out = docker_client.containers.run(TEST_PG_CLIENT_IMAGE, ["pg_dump", "--version"], remove=True)
    assert b"pg_dump (PostgreSQL) 15" in out


def test_smtp_server_receives_mail(smtp_server):
    smtp_server.clear()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@localhost", "b@localhost", "harness"
    message.set_content("body")
    with smtplib.SMTP("127.0.0.1", smtp_server.port) as client:
        client.send_message(message)
    assert smtp_server.wait_for(1)[0]["Subject"] == "harness"


def test_webhook_server_records_posts_and_can_fail(webhook_server):
    webhook_server.clear()
    request = urllib.request.Request(webhook_server.url("/slack/T/B/x"), data=b'{"text": "hi"}', method="POST")
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    failing = urllib.request.Request(webhook_server.url("/status/500/slack"), data=b"{}", method="POST")
    try:
        urllib.request.urlopen(failing)
    except urllib.error.HTTPError as error:
        assert error.code == 500
    assert [p.json for p in webhook_server.received("/slack")] == [{"text": "hi"}]
