"""The configuration surface: defaults from the guide, validation that names key, value and what is allowed."""

from __future__ import annotations

import json

import pytest

from tsdb_ops.config import ENV_VARIABLE, ConfigError, OpsConfig, parse_time_config


def test_defaults_are_the_guides_values():
    config = OpsConfig()
    assert config.hypertable == "market_data"
    assert config.time_column == "timestamp"
    assert config.reorder_index == "ux_market_data_sym_tf_ts"
    assert (config.policy_schedule_hours, config.compress_after_days, config.retention_days) == (12, 7, 90)
    assert (config.weekly_compress_older_than_days, config.drop_chunks_older_than_days) == (30, 1826)
    assert (config.backup_root, config.backup_retention_days, config.models_volume) == ("/backups/mt5", 14, "models_mt5")
    assert config.config_files == ["docker-compose.yml", ".env", "api/config.py"]
    assert config.log_dir == "/var/log/mt5"
    assert (config.max_backup_age_hours, config.min_backup_size_bytes) == (25, 1_000_000)
    assert (config.max_consecutive_failed_backups, config.disk_usage_threshold_percent) == (2, 85)
    assert config.size_change_threshold_percent == 50
    assert (config.postgres_conn_id, config.smtp_conn_id) == ("tsdb_postgres", "tsdb_smtp")
    assert (config.discord_conn_id, config.slack_conn_id) == ("tsdb_discord", "tsdb_slack")


def test_every_setting_has_a_description():
    assert all(description for _, _, description in OpsConfig().describe())


def test_overrides_are_applied_and_ints_accepted_for_floats():
    config = OpsConfig.from_mapping({"retention_days": 30, "max_backup_age_hours": 2, "hypertable": "md.bars"})
    assert config.retention_days == 30
    assert config.max_backup_age_hours == 2.0
    assert config.hypertable == "md.bars"


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("retention_days", -3, "greater than 0"),
        ("retention_days", "90", "type int"),
        ("retention_days", True, "type int"),
        ("hypertable", "market_data; DROP TABLE x", "table name"),
        ("time_column", 'a"b', "SQL identifier"),
        ("backup_root", "backups", "absolute path"),
        ("disk_usage_threshold_percent", 120, "percentage"),
        ("timezone", "Mars/Olympus", "IANA time zone"),
        ("critical_channels", ["email", "pager"], "list drawn from"),
        ("alert_email_to", ["not-an-address"], "e-mail addresses"),
        ("config_files", ["../etc/shadow"], "relative to config_project_dir"),
        ("pg_dump_compression", "brotli", "--compress value"),
        ("owner", "", "non-empty"),
    ],
)
def test_bad_value_names_key_value_and_what_is_allowed(key, value, allowed):
    with pytest.raises(ConfigError) as error:
        OpsConfig.from_mapping({key: value})
    message = str(error.value)
    assert f"tsdb_ops_config.{key} = {value!r}" in message
    assert allowed in message


def test_unknown_key_is_rejected_with_the_allowed_keys():
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['retension_days'\].*retention_days"):
        OpsConfig.from_mapping({"retension_days": 3})


def test_parse_time_config_reads_only_the_environment(monkeypatch):
    monkeypatch.setenv(ENV_VARIABLE, json.dumps({"timezone": "Europe/Berlin"}))
    assert parse_time_config().timezone == "Europe/Berlin"
    monkeypatch.setenv(ENV_VARIABLE, "{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        parse_time_config()
    monkeypatch.delenv(ENV_VARIABLE)
    assert parse_time_config() == OpsConfig()
