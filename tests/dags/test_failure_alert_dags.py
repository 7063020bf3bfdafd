"""Failure alerts and monitor alerts from DAGs run by `airflow dags test` (a real task runner, in a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from harness.mail import SmtpServer
from harness.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
ALERT_DAGS = Path(__file__).parent / "alert_dags"
DB_PASSWORD = "Sup3rSecretDbPw"
DISCORD_TOKEN = "DiscordTok3nXyz"
SLACK_TOKEN = "SlackTok3nXyz"


def _airflow_dags_test(dag_id: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    from airflow.configuration import conf

    full_env = {
        **os.environ,
        "AIRFLOW__CORE__DAGS_FOLDER": str(ALERT_DAGS),
        # The same Fernet key as the session: Variables written by the run are then readable here.
        "AIRFLOW__CORE__FERNET_KEY": conf.get("core", "fernet_key"),
        "PYTHONPATH": str(ROOT / "plugins"),
        **env,
    }
    airflow = str(Path(sys.executable).parent / "airflow")
    return subprocess.run(
        [airflow, "dags", "test", dag_id, *args], env=full_env, capture_output=True, text=True, timeout=300
    )


def _alert_env(tag: str, tmp_path: Path, *, smtp_uri: str, discord_host: str, slack_url: str) -> dict[str, str]:
    return {
        "AIRFLOW_CONN_TSDB_SMTP": smtp_uri,
        "AIRFLOW_CONN_TSDB_DISCORD": json.dumps(
            {"conn_type": "discord", "host": discord_host, "extra": {"webhook_endpoint": f"webhooks/42/{DISCORD_TOKEN}"}}
        ),
        "AIRFLOW_CONN_TSDB_SLACK": json.dumps({"conn_type": "slackwebhook", "password": slack_url}),
        "AIRFLOW_CONN_TSDB_POSTGRES": f"postgresql://trader:{DB_PASSWORD}@127.0.0.1:{free_port()}/mt5",
        "AIRFLOW_VAR_TSDB_OPS_CONFIG": json.dumps(
            {"alert_email_to": ["ops@example.com"], "log_dir": str(tmp_path / "logs"), "airflow_base_url": "http://airflow.test"}
        ),
    }


@pytest.fixture
def tag(smtp_server) -> str:
    smtp_server.clear()
    return uuid.uuid4().hex[:10]


def test_each_failed_task_alerts_exactly_once_on_email_discord_and_slack(
    airflow_home, smtp_server, webhook_server, tag, tmp_path
):
    env = _alert_env(
        tag, tmp_path, smtp_uri=smtp_server.connection_uri(), discord_host=webhook_server.url(f"/{tag}/discord"),
        slack_url=webhook_server.url(f"/{tag}/slack/services/T0/B0/{SLACK_TOKEN}"),
    )

    run = _airflow_dags_test("alert_failing_dag", env)

    assert run.returncode != 0, "the DAG's tasks must fail"
    mails = smtp_server.wait_for(3)
    discord = webhook_server.wait_for(3, f"/{tag}/discord")
    slack = webhook_server.wait_for(3, f"/{tag}/slack")
    # Three failed tasks, one message each per channel: the retried task alerted on its final failure only.
    assert sorted(m["Subject"] for m in mails) == [
        "[tsdb-ops TASK FAILED] alert_failing_dag.fail_after_one_retry failed",
        "[tsdb-ops TASK FAILED] alert_failing_dag.fail_with_dsn_in_error failed",
        "[tsdb-ops TASK FAILED] alert_failing_dag.refuse_a_bad_param failed",
    ]
    assert len(discord) == 3 and len(slack) == 3
    refused = next(p.json for p in discord if "refuse_a_bad_param" in p.json["content"])
    facts = {f["name"]: f["value"] for f in refused["embeds"][0]["fields"]}
    assert facts["Try"] == "1, no retry: the failure is final"  # not "1 of 3": no retry is coming
    assert "market_dta" in refused["embeds"][0]["description"]
    retried = next(p.json for p in discord if "fail_after_one_retry" in p.json["content"])
    facts = {f["name"]: f["value"] for f in retried["embeds"][0]["fields"]}
    assert facts["Try"] == "2 of 2"
    assert facts["Run id"].startswith("manual__")
    assert facts["Run after"].startswith(facts["Run id"].removeprefix("manual__")[:10])
    assert retried["embeds"][0]["description"] == "RuntimeError: the disk is full"
    assert retried["embeds"][0]["url"].startswith("http://airflow.test/dags/alert_failing_dag/runs/manual__")
    dsn_post = next(p.json for p in slack if "fail_with_dsn_in_error" in p.json["text"])
    assert "ConnectionError: could not connect to postgres://trader:***@127.0.0.1" in json.dumps(dsn_post)
    sent = [m.get_body(("html",)).get_content() for m in mails] + [p.body.decode() for p in discord + slack]
    assert not [s for s in (DB_PASSWORD, DISCORD_TOKEN, SLACK_TOKEN) if any(s in text for text in sent)]
    alert_lines = [line for line in (run.stdout + run.stderr).splitlines() if "tsdb_ops" in line]
    assert len([line for line in alert_lines if "delivered to" in line]) == 9
    assert not [line for line in alert_lines if DB_PASSWORD in line]
    logged = sorted((tmp_path / "logs" / "task_failures.log").read_text().splitlines())
    assert len(logged) == 3 and all(line.endswith("(sent to email, discord, slack)") for line in logged)
    assert any("TASK FAILED alert_failing_dag.fail_after_one_retry failed" in line for line in logged)


def test_smtp_stopped_and_discord_500_still_alert_on_slack_and_log_it_without_tokens(
    airflow_home, smtp_server, webhook_server, tag, tmp_path
):
    stopped = SmtpServer().start()
    stopped.stop()
    env = _alert_env(
        tag, tmp_path, smtp_uri=stopped.connection_uri(), discord_host=webhook_server.url(f"/status/500/{tag}/discord"),
        slack_url=webhook_server.url(f"/{tag}/slack/services/T0/B0/{SLACK_TOKEN}"),
    )

    run = _airflow_dags_test("alert_failing_dag", env)

    assert len(webhook_server.wait_for(3, f"/{tag}/slack")) == 3
    assert len(webhook_server.received(f"/status/500/{tag}/discord")) == 3  # tried once per failed task, no more
    output = run.stdout + run.stderr
    assert output.count("NOT delivered to email") == 3
    assert output.count("NOT delivered to discord") == 3
    assert output.count("delivered to slack") == 3
    # Every line of the run, the providers' included, is free of webhook tokens.
    assert DISCORD_TOKEN not in output and SLACK_TOKEN not in output
    logged = (tmp_path / "logs" / "task_failures.log").read_text()
    assert logged.count("(sent to slack; NOT delivered to email:") == 3 and DISCORD_TOKEN not in logged


def test_monitor_alert_state_carries_across_tasks_of_a_running_dag(airflow_home, smtp_server, webhook_server, tag, tmp_path):
    env = _alert_env(
        tag, tmp_path, smtp_uri=smtp_server.connection_uri(), discord_host=webhook_server.url(f"/{tag}/discord"),
        slack_url=webhook_server.url(f"/{tag}/slack/services/T0/B0/{SLACK_TOKEN}"),
    )
    scope = f"test.{tag}"

    run = _airflow_dags_test("alert_monitor_dag", env, "--conf", json.dumps({"scope": scope}))

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert [m["Subject"] for m in smtp_server.wait_for(2)] == [
        "[tsdb-ops CRITICAL] Backup volume is 91% full (limit 85%)",
        "[tsdb-ops RESOLVED] Backup volume is 91% full (limit 85%)",
    ]
    discord = webhook_server.wait_for(2, f"/{tag}/discord")
    assert [p.json["content"].split()[0] for p in discord] == ["**CRITICAL**", "**RESOLVED**"]
    assert len(webhook_server.received(f"/{tag}/slack")) == 2
    log_lines = (tmp_path / "logs" / "backup_monitor.log").read_text().splitlines()
    assert [line.split("] ", 1)[1].split(" [")[0] for line in log_lines] == ["CRITICAL", "CRITICAL", "RESOLVED"]
    assert "not repeated" in log_lines[1]
