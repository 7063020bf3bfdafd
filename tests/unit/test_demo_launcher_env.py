"""`make standalone` works from a plain shell: the launcher puts the venv's bin first on PATH (standalone starts its
components by the bare name `airflow`); the demo's connections and secrets are what the providers accept and
long enough that masking them hides nothing else."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tsdb_ops.alerts.redaction import redact

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import demo_airflow

PLAIN_SHELL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def test_launcher_env_finds_the_venvs_airflow_from_a_plain_shell():
    env = demo_airflow.launcher_env({"PATH": PLAIN_SHELL_PATH, "HOME": "/root"})

    assert env["PATH"].split(os.pathsep)[0] == str(demo_airflow.VENV_BIN)
    assert env["PATH"].endswith(PLAIN_SHELL_PATH)
    assert shutil.which("airflow", path=env["PATH"]) == str(demo_airflow.VENV_BIN / "airflow")
    assert demo_airflow.airflow_bin() == str(demo_airflow.VENV_BIN / "airflow")
    assert Path(demo_airflow.airflow_bin()).exists()


def test_launcher_env_moves_the_venv_to_the_front_once():
    venv = str(demo_airflow.VENV_BIN)
    env = demo_airflow.launcher_env({"PATH": f"/usr/bin:{venv}:/bin"})

    assert env["PATH"] == f"{venv}:/usr/bin:/bin"


def test_metadata_database_is_postgresql_not_sqlite():
    env = demo_airflow.metadata_db_env("postgres", "pw", 5433)

    assert env == {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://postgres:pw@127.0.0.1:5433/airflow"}


def test_demo_discord_endpoint_passes_the_providers_validation():
    from airflow.models import Connection
    from airflow.providers.discord.hooks.discord_webhook import DiscordCommonHandler

    demo = demo_airflow.new_secrets()
    spec = demo_airflow.discord_connection("http://127.0.0.1:1/discord", demo)
    conn = Connection(conn_id="tsdb_discord", conn_type="discord", host=spec["host"], extra=json.dumps(spec["extra"]))

    endpoint = DiscordCommonHandler().get_webhook_endpoint(conn, None)

    assert endpoint == f"webhooks/{demo['discord_id']}/{demo['discord_token']}"
    with pytest.raises(ValueError, match="webhooks/"):  # the shape the demo used before is refused
        DiscordCommonHandler().get_webhook_endpoint(None, "discord/demo/token")


def test_demo_secrets_are_long_and_masking_them_hides_only_them():
    demo = demo_airflow.new_secrets()
    for name in ("pg_password", "discord_token", "slack_token"):
        assert len(demo[name]) >= 24, name
    text = "logs in demo-output/standalone/logs; backup of mt5_trading written"
    secrets = {demo["pg_password"], demo["discord_token"], demo["slack_token"]}

    assert redact(text, secrets) == text
    assert redact(f"token {demo['slack_token']} leaked", secrets) == "token *** leaked"
