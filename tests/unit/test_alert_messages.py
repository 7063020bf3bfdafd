"""Alert texts say what a person needs at 3 a.m. and fit each service's webhook format and limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from airflow.providers.discord.hooks.discord_webhook import DiscordCommonHandler

from tsdb_ops.alerts.channels import ActiveChannels, route
from tsdb_ops.alerts.messages import Alert, discord_message, email_html, slack_message, task_failure_alert
from tsdb_ops.config import OpsConfig

RUN_AFTER = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _failure(exception: BaseException | None = None, map_index: int | None = None) -> Alert:
    return task_failure_alert(
        dag_id="db_nightly_backup", task_id="dump_database", run_id="manual__2026-03-01T02:00:00+00:00",
        run_after=RUN_AFTER, try_number=3, max_tries=2, map_index=map_index,
        exception=exception or RuntimeError("pg_dump exited with 1"), base_url="http://airflow.local:8080/",
    )


def test_failure_alert_names_dag_task_run_time_try_exception_and_log_link():
    alert = _failure()
    facts = dict(alert.facts)
    assert facts == {
        "DAG": "db_nightly_backup", "Task": "dump_database", "Run id": "manual__2026-03-01T02:00:00+00:00",
        "Run after": "2026-03-01T02:00:00+00:00", "Try": "3 of 3",
    }
    assert alert.details == "RuntimeError: pg_dump exited with 1"
    assert alert.link == (
        "http://airflow.local:8080/dags/db_nightly_backup/runs/manual__2026-03-01T02%3A00%3A00%2B00%3A00"
        "/tasks/dump_database?try_number=3"
    )
    assert alert.subject == "[tsdb-ops TASK FAILED] db_nightly_backup.dump_database failed"


def test_a_final_failure_does_not_promise_more_tries():
    alert = task_failure_alert(
        dag_id="db_job_control", task_id="plan_job_action", run_id="r", run_after=RUN_AFTER, try_number=1, max_tries=2,
        map_index=None, exception=ValueError("job 999999 is not a job of market_data"), base_url="http://x", final=True,
    )
    assert dict(alert.facts)["Try"] == "1, no retry: the failure is final"


def test_failure_alert_of_a_mapped_task_names_its_index_and_links_to_it():
    alert = _failure(map_index=4)
    assert dict(alert.facts)["Task"] == "dump_database[4]"
    assert "/tasks/dump_database/mapped/4?try_number=3" in alert.link


def test_failure_alert_without_exception_says_so():
    alert = task_failure_alert(
        dag_id="d", task_id="t", run_id="r", run_after=None, try_number=1, max_tries=0, map_index=None,
        exception=None, base_url="http://x",
    )
    assert "no exception recorded" in alert.details
    assert dict(alert.facts)["Run after"] == "unknown"


def test_discord_message_passes_the_providers_payload_validation_even_for_huge_errors():
    alert = _failure(RuntimeError("x" * 20_000))
    content, embed = discord_message(alert)
    payload = DiscordCommonHandler().build_discord_payload(
        tts=False, message=content, username="tsdb-ops", avatar_url=None, embed=embed  # raises beyond the limits
    )
    assert '"content": "**TASK FAILED** db_nightly_backup.dump_database failed"' in payload
    assert embed["url"] == alert.link
    assert {f["name"] for f in embed["fields"]} == {"DAG", "Task", "Run id", "Run after", "Try"}
    assert len(embed["description"]) <= 4096


def test_slack_message_has_fallback_text_and_blocks_within_limits_with_escaped_text():
    alert = _failure(ValueError("<script> & " + "y" * 5000))
    text, blocks = slack_message(alert)
    assert text == "TASK FAILED: db_nightly_backup.dump_database failed"
    assert blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= 150
    assert len(blocks[1]["fields"]) == 5
    details = blocks[2]["text"]["text"]
    assert details.startswith("```ValueError: &lt;script&gt; &amp; ") and details.endswith("```")
    assert len(details) <= 3000
    assert blocks[3]["text"]["text"] == f"<{alert.link}|Airflow log>"


def test_email_html_escapes_the_error_text():
    body = email_html(_failure(RuntimeError("<b>bold</b>")))
    assert "&lt;b&gt;bold&lt;/b&gt;" in body and "<b>bold" not in body
    assert "<td>db_nightly_backup</td>" in body


@pytest.mark.parametrize(
    ("severity", "overrides", "active", "expected"),
    [
        ("failure", {}, ["email", "discord", "slack"], ["email", "discord", "slack"]),
        ("failure", {}, ["slack"], ["slack"]),
        ("critical", {}, ["email", "discord", "slack"], ["email", "discord", "slack"]),
        ("warning", {}, ["email", "discord", "slack"], ["discord", "slack"]),
        ("warning", {}, ["email"], []),
        ("critical", {"critical_channels": ["email"]}, ["email", "discord"], ["email"]),
        ("warning", {"warning_channels": ["email", "slack"]}, ["email", "discord", "slack"], ["email", "slack"]),
    ],
)
def test_route_sends_each_severity_to_its_configured_active_channels(severity, overrides, active, expected):
    channels = ActiveChannels({name: object() for name in active}, frozenset())
    assert route(severity, OpsConfig.from_mapping(overrides), channels) == expected
