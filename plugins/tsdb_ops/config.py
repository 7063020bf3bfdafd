"""The one configuration surface of tsdb-ops.

Every knob lives here, with its default taken from the maintenance guide, its unit in its name, and a
one-line description (the README's configuration table is generated from and checked against it).

Operators override values with the Airflow Variable ``tsdb_ops_config`` (a JSON object holding only the
keys they change). At run time the Variable is read through Airflow (environment, secrets backend, then
metadata DB). At DAG-parse time only the environment form ``AIRFLOW_VAR_TSDB_OPS_CONFIG`` is read, so
parsing never touches a database; settings used at parse time (timezone, owner, pool, retries) must be
set there to take effect on schedules.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

VARIABLE_KEY = "tsdb_ops_config"
ENV_VARIABLE = "AIRFLOW_VAR_" + VARIABLE_KEY.upper()

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")
_CHANNELS = ("email", "discord", "slack")


class ConfigError(ValueError):
    """A configuration value is missing, of the wrong type or out of range."""


def _setting(default: Any, description: str, check: Callable[[Any], str | None] | None = None) -> Any:
    """A dataclass field carrying its description and an optional check returning an error or None."""
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"doc": description, "check": check})
    return field(default=default, metadata={"doc": description, "check": check})


def identifier(value: Any) -> str | None:
    if isinstance(value, str) and _IDENTIFIER.match(value):
        return None
    return "a SQL identifier: letters, digits, _ or $, starting with a letter or _, at most 63 characters"


def qualified_identifier(value: Any) -> str | None:
    parts = value.split(".") if isinstance(value, str) else []
    if 1 <= len(parts) <= 2 and all(identifier(p) is None for p in parts):
        return None
    return "a table name, optionally schema-qualified (schema.table), made of SQL identifiers"


def positive(value: Any) -> str | None:
    return None if value > 0 else "a number greater than 0"


def non_negative(value: Any) -> str | None:
    return None if value >= 0 else "a number of 0 or more"


def percent(value: Any) -> str | None:
    return None if 0 < value <= 100 else "a percentage between 0 (exclusive) and 100"


def absolute_path(value: Any) -> str | None:
    return None if isinstance(value, str) and value.startswith("/") else "an absolute path starting with /"


def optional_absolute_path(value: Any) -> str | None:
    return None if value == "" else absolute_path(value)


def relative_paths(value: Any) -> str | None:
    if all(isinstance(p, str) and p and not p.startswith("/") and ".." not in p.split("/") for p in value):
        return None
    return "a list of paths relative to config_project_dir, without '..'"


def channels(value: Any) -> str | None:
    if all(c in _CHANNELS for c in value):
        return None
    return f"a list drawn from {list(_CHANNELS)}"


def emails(value: Any) -> str | None:
    if all(isinstance(a, str) and re.match(r"^[^@\s]+@[^@\s]+$", a) for a in value):
        return None
    return "a list of e-mail addresses"


def timezone_name(value: Any) -> str | None:
    import pendulum

    try:
        pendulum.timezone(value)
    except Exception:
        return "an IANA time zone name such as 'UTC' or 'Europe/Berlin'"
    return None


def http_url(value: Any) -> str | None:
    if value == "" or (isinstance(value, str) and re.match(r"^https?://[^\s]+$", value)):
        return None
    return "an http(s):// URL, or an empty string to disable"


def pg_dump_compression(value: Any) -> str | None:
    if re.match(r"^([0-9]|(gzip|lz4|zstd|none)(:[0-9]{1,2})?)$", str(value)):
        return None
    return "a pg_dump --compress value: 0-9, or gzip|lz4|zstd|none with an optional :level"


def container_selector(value: Any) -> str | None:
    if isinstance(value, str) and re.match(r"^(label:[^=\s]+(=[^\s]+)?|name:[A-Za-z0-9][A-Za-z0-9_.-]*)$", value):
        return None
    return "label:<key>=<value> (e.g. label:com.docker.compose.project=mt5-trading-db) or name:<prefix> (e.g. name:mt5_)"


def container_names(value: Any) -> str | None:
    if all(isinstance(n, str) and re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", n) for n in value):
        return None
    return "a list of container or compose service names (letters, digits, _ . -), e.g. [\"db\"]"


def docker_prune_filters(value: Any) -> str | None:
    allowed = {"until", "label", "label!"}
    if set(value) <= allowed and all(isinstance(v, (str, list)) for v in value.values()):
        return None
    return f"a JSON object of Docker prune filters with keys from {sorted(allowed)}, e.g. {{\"until\": \"24h\"}}"


def barman_name(value: Any) -> str | None:
    if isinstance(value, str) and re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$", value):
        return None
    return "a Barman server name: letters, digits, _ and -, starting with a letter or digit"


def volume_or_path(value: Any) -> str | None:
    if isinstance(value, str) and (re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]+$", value) or absolute_path(value) is None):
        return None
    return "a Docker volume name (letters, digits, _ . -) or an absolute host path"


def slot_name(value: Any) -> str | None:
    if isinstance(value, str) and re.match(r"^[a-z0-9_]{1,63}$", value):
        return None
    return "a replication slot name: lower-case letters, digits and _, at most 63 characters"


def max_rate_kbps(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and (value == 0 or 32 <= value <= 1_048_576):
        return None
    return "0 (no limit) or a rate in kB/s from 32 to 1048576 (pg_basebackup --max-rate's range)"


@dataclass(frozen=True)
class OpsConfig:
    """Validated configuration. Build it with :func:`load_config` or :meth:`from_mapping`."""

    # --- scheduling and ownership (read at DAG-parse time from the environment form) ---
    timezone: str = _setting("UTC", "Time zone of the DAG schedules (IANA name)", timezone_name)
    owner: str = _setting("tsdb-ops", "Owner shown on every DAG and task")
    retries: int = _setting(2, "Retries of a failed task before it alerts", non_negative)
    retry_delay_minutes: int = _setting(5, "First retry delay; doubles on each retry", positive)
    max_retry_delay_minutes: int = _setting(30, "Upper bound of the exponential retry delay", positive)
    heavy_db_pool: str = _setting("tsdb_heavy", "Airflow pool (1 slot) shared by heavy DB tasks of all DAGs")

    # --- connections ---
    postgres_conn_id: str = _setting("tsdb_postgres", "Airflow connection of the TimescaleDB database")
    smtp_conn_id: str = _setting("tsdb_smtp", "Airflow SMTP connection; e-mail alerts are off while it is absent")
    discord_conn_id: str = _setting("tsdb_discord", "Airflow Discord webhook connection; off while absent")
    slack_conn_id: str = _setting("tsdb_slack", "Airflow Slack incoming-webhook connection; off while absent")
    docker_url: str = _setting("unix://var/run/docker.sock", "Docker engine the DockerOperator tasks talk to")

    # --- the hypertable (guide: TimescaleDB Policies) ---
    hypertable: str = _setting("market_data", "Hypertable holding the market bars", qualified_identifier)
    time_column: str = _setting("timestamp", "Time column of the hypertable", identifier)
    symbol_column: str = _setting("symbol", "Symbol column (compression segmentby)", identifier)
    timeframe_column: str = _setting("timeframe", "Timeframe column (M1, H1, ...)", identifier)
    reorder_index: str = _setting("ux_market_data_sym_tf_ts", "Index used by the reorder policy", identifier)
    policy_schedule_hours: int = _setting(12, "Schedule of the compression and reorder policies", positive)
    compress_after_days: int = _setting(7, "Compression policy: compress chunks older than this", positive)
    retention_days: int = _setting(90, "Retention policy: drop chunks older than this", positive)

    # --- weekly maintenance (guide: Weekly Tasks) ---
    weekly_compress_older_than_days: int = _setting(30, "Weekly: compress chunks older than this", positive)
    drop_chunks_older_than_days: int = _setting(1826, "Weekly: drop chunks older than this (5 years)", positive)
    lock_timeout_ms: int = _setting(5000, "lock_timeout of maintenance statements", positive)
    statement_timeout_ms: int = _setting(3_600_000, "statement_timeout of one maintenance statement", positive)
    report_dir: str = _setting("/var/log/mt5/reports", "Where compression and health reports are written", absolute_path)

    # --- maintenance (daily cleanup, weekly maintenance, policy setup) ---
    retention_schedule_hours: int = _setting(24, "Schedule of the retention policy (guide: daily)", positive)
    docker_prune_filters: dict = _setting(
        {}, "Filters of the daily Docker prune (until, label, label!); empty: everything, like docker system prune -f",
        docker_prune_filters,
    )

    # --- manual operations (db_compress_symbol, db_recompress_inefficient, db_emergency_space_recovery) ---
    recompress_max_saved_percent: float = _setting(
        50.0, "Recompress compressed chunks that saved less than this percent (guide: 50)", percent
    )
    recompress_min_chunk_bytes: int = _setting(
        1_000_000, "Recompress only chunks larger than this before compression (guide: 1 MB)", non_negative
    )
    emergency_compress_largest_chunks: int = _setting(5, "Emergency space recovery: compress this many largest chunks", positive)

    # --- health checks (db_health_check; guide: Monitoring and Troubleshooting) ---
    health_dead_tuple_max_percent: float = _setting(
        20.0, "Warning when dead tuples exceed this percent of the hypertable's tuples (summed over its chunks)", percent
    )
    health_dead_tuple_min_count: int = _setting(10_000, "Dead-tuple check: ignore fewer dead tuples than this", non_negative)
    health_bloat_max_percent: float = _setting(
        50.0, "Warning when the estimated bloat of the hypertable or one of its indexes exceeds this percent", percent
    )
    health_bloat_min_bytes: int = _setting(100_000_000, "Bloat check: ignore tables and indexes smaller than this", non_negative)
    health_slow_query_mean_ms: float = _setting(
        1000.0, "Warning for statements slower than this on average (pg_stat_statements)", positive
    )
    health_slow_query_limit: int = _setting(10, "At most this many slow statements in the report and alert", positive)
    health_unused_index_max_scans: int = _setting(
        0, "Warning for a non-unique index of the hypertable scanned at most this often since the statistics reset", non_negative
    )
    health_unused_index_min_bytes: int = _setting(
        10_000_000, "Unused-index check: ignore indexes smaller than this", non_negative
    )
    health_lock_wait_warning_seconds: float = _setting(
        60.0, "Warning when a session waits on a lock longer than this", non_negative
    )
    health_lock_wait_critical_seconds: float = _setting(
        600.0, "Critical when a session waits on a lock longer than this", non_negative
    )
    health_job_error_lookback_hours: float = _setting(
        24.0, "Report TimescaleDB job errors recorded within this many hours", positive
    )
    health_containers: str = _setting(
        "label:com.docker.compose.project=mt5-trading-db",
        "Containers of the stack checked for unhealthy/restarting: label:<key>=<value> or name:<prefix>",
        container_selector,
    )
    # Chunk interval (TimescaleDB's sizing advice: the indexes of the chunks being written fit in 25 % of memory)
    health_memory_bytes: int = _setting(
        0, "Main memory of the database server for the chunk-interval check; 0: 4 x shared_buffers (timescaledb-tune, "
        "run by the TimescaleDB image, sets shared_buffers to a quarter of the memory)", non_negative
    )
    health_chunk_index_max_memory_percent: float = _setting(
        25.0, "Warning when the indexes of one recent chunk interval exceed this percent of memory (interval too large)",
        percent
    )
    health_chunk_small_bytes: int = _setting(
        10_000_000, "Chunk-interval check: a complete recent chunk interval smaller than this (table and indexes) is small",
        non_negative
    )
    health_chunks_max_per_day: float = _setting(
        1.0, "Warning when small chunks come more often than this many per day (interval too small)", positive
    )

    # --- logs ---
    log_dir: str = _setting("/var/log/mt5", "Directory of backup.log, backup_monitor.log, db_maintenance.log", absolute_path)
    log_max_bytes: int = _setting(10_000_000, "Rotate a project log file when it reaches this size", positive)
    log_backup_count: int = _setting(5, "Rotated copies kept of each project log file", positive)

    # --- nightly backup (guide: Automated Backup Script) ---
    backup_root: str = _setting("/backups/mt5", "Backup root with db/, models/ and configs/ below it", absolute_path)
    backup_host_root: str = _setting(
        "", "Path of backup_root as the Docker engine sees it (when Airflow runs in a container); empty: same",
        optional_absolute_path,
    )
    backup_retention_days: int = _setting(14, "Delete backup sets older than this (never the newest verified)", positive)
    backup_min_verified_sets: int = _setting(3, "Always keep at least this many verified backup sets", positive)
    backup_min_free_bytes: int = _setting(2_000_000_000, "Pre-flight: free bytes needed on the backup volume", non_negative)
    # Measured on TimescaleDB 2.28.3 / pg_dump 15, 1.09 GB with 9 of 11 chunks compressed (bench/bench_backup_dump.py),
    # against the guide's -Z9: -Z6 0.55x time / 1.00x size; -Z3 0.39x / 1.04x; -Z1 0.34x / 1.05x; -Fd -j2 -Z1 0.35x /
    # 1.05x. Compressed chunks are dumped as already-compressed data, so the level barely changes the size but drives
    # the time: -Z1 meets the target (<= 0.4x time at <= 1.15x size) with margin; lz4/zstd need pg_dump 16+.
    pg_dump_compression: str = _setting(
        "1", "pg_dump --compress of the custom-format dump (1: 0.34x the time of the guide's 9 at 1.05x the size, on "
        "TimescaleDB with compressed chunks)",
        pg_dump_compression,
    )
    pg_client_image: str = _setting(
        "timescale/timescaledb:2.28.3-pg15", "Image with pg_dump/pg_restore of the server's major version"
    )
    physical_backup_enabled: bool = _setting(
        False, "Nightly backup also takes a physical base backup of the whole cluster (pg_basebackup -Ft -z in "
        "pg_client_image, checked by pg_verifybackup; the role needs REPLICATION); the monitor then expects it"
    )
    busybox_image: str = _setting("busybox:1.36", "Image with tar and gzip for the models volume")
    docker_network: str = _setting("mt5-trading-db_default", "Docker network on which the database is reachable")
    db_host_in_docker: str = _setting("mt5_db", "Database host name as seen from containers on docker_network")
    db_port_in_docker: int = _setting(5432, "Database port as seen from containers on docker_network", positive)
    models_volume: str = _setting("models_mt5", "Docker volume holding the ML models")
    config_project_dir: str = _setting("/home/felipe/mt5-trading-db", "Project directory of the trading stack", absolute_path)
    config_files: list = _setting(
        ["docker-compose.yml", ".env", "api/config.py"], "Files archived by the config backup", relative_paths
    )
    restore_scratch_database: str = _setting("tsdb_ops_restore_check", "Scratch database of the restore check", identifier)
    # Full restore with the stack (db_restore, stop_stack=true): the application containers, never the database
    stack_containers: str = _setting(
        "label:com.docker.compose.project=mt5-trading-db",
        "Containers db_restore stops before and starts after a restore (stop_stack): label:<key>=<value> or name:<prefix>",
        container_selector,
    )
    stack_keep_running: list = _setting(
        ["db"], "Containers (name or compose service) of stack_containers never stopped; the container named "
        "db_host_in_docker is always kept too", container_names,
    )
    stack_stop_timeout_seconds: int = _setting(
        30, "Seconds a stack container has to stop (SIGTERM) before it is killed", positive
    )

    # --- backup monitor (guide: Monitoring Thresholds) ---
    max_backup_age_hours: float = _setting(25.0, "Critical when the newest verified backup is older", positive)
    min_backup_size_bytes: int = _setting(1_000_000, "Critical when the newest database backup is smaller", non_negative)
    max_consecutive_failed_backups: int = _setting(2, "Critical after this many failed backup runs in a row", positive)
    disk_usage_threshold_percent: float = _setting(85.0, "Critical when the backup volume is fuller", percent)
    size_change_threshold_percent: float = _setting(50.0, "Warning when a backup's size changes more than this", positive)
    slow_backup_factor: float = _setting(3.0, "Warning when a backup takes this many times the recent median", positive)
    heartbeat_url: str = _setting("", "Healthchecks-style URL pinged after each monitor run; empty: off", http_url)
    fast_backup_factor: float = _setting(
        0.25, "Warning when a smaller-than-usual backup took less than this share of the recent median time", positive
    )
    compression_ratio_band_factor: float = _setting(
        1.5, "Warning when a backup's compression ratio is outside median / factor .. median x factor", positive
    )
    shrink_tolerance_percent: float = _setting(
        1.0, "Warning when a backup is smaller than the previous one by more than this (compression jitter)", non_negative
    )
    monitor_history_sets: int = _setting(7, "Backup sets of the same kind forming the 'usual' baseline", positive)
    monitor_summary_hour: int = _setting(
        6, "Hour (configured time zone) of the monitor run that writes the daily summary", non_negative
    )
    monitor_log_error_pattern: str = _setting(r"ERROR|FAILED|FATAL|PANIC", "Regular expression of error lines in backup.log")
    monitor_rehash_days: float = _setting(
        7.0, "Every backup file is re-hashed at least once within this many days (bytes changed with the mtime kept); "
        "the cost is spread over the hourly runs", positive
    )

    # --- point-in-time recovery (Barman streaming: pg_basebackup + pg_receivewal through a replication slot) ---
    pitr_enabled: bool = _setting(
        False, "Point-in-time recovery is set up (db_pitr_setup): db_backup_monitor checks the WAL stream, barman check and "
        "the base backups"
    )
    barman_image: str = _setting("tsdb-ops/barman:3.19.1", "Image with Barman and the PostgreSQL 15 client tools")
    pitr_server_name: str = _setting("tsdb", "Barman's name of the database server (its catalogue folder)", barman_name)
    pitr_catalogue: str = _setting(
        "tsdb_ops_barman", "Barman's catalogue (base backups, WAL): a Docker volume name, or an absolute host path",
        volume_or_path,
    )
    pitr_conn_id: str = _setting(
        "tsdb_pitr", "Airflow connection holding the password of pitr_replication_role (its login, when set, must be it)"
    )
    pitr_replication_role: str = _setting(
        "tsdb_barman", "Role Barman connects as (REPLICATION, backup functions; created by db_pitr_setup)", identifier
    )
    pitr_slot_name: str = _setting("tsdb_ops_barman", "Physical replication slot of Barman's WAL stream", slot_name)
    pitr_recovery_window_days: int = _setting(
        7, "Barman retention: keep what restores any time of the last N days (RECOVERY WINDOW OF N DAYS)", positive
    )
    pitr_base_backup_max_rate_kbps: int = _setting(
        0, "Barman's bandwidth_limit (pg_basebackup --max-rate) for base backups, in kB/s; 0 = no limit. Set it when the "
        "Sunday base backup's reads slow the live feed's inserts", max_rate_kbps
    )
    max_wal_lag_seconds: float = _setting(
        60.0, "Critical when the WAL stream has not caught up (or is down) for this long: the data at risk", positive
    )
    pitr_max_base_backup_age_days: float = _setting(
        8.0, "Critical when the newest successful Barman base backup is older (the weekly backup plus a day)", positive
    )
    pitr_max_slot_retained_wal_percent: float = _setting(
        50.0, "Critical when the replication slot holds back more WAL than this percent of the database disk's free "
        "space (a stopped receiver fills the database's disk)", percent
    )
    pitr_restore_image: str = _setting(
        "timescale/timescaledb:2.28.3-pg15", "TimescaleDB image the recovered copies are started in (the production "
        "database's image)"
    )
    pitr_recovery_timeout_seconds: int = _setting(
        1800, "Give up on a recovered copy that has not reached its target time within this time", positive
    )

    # --- alerting ---
    alert_email_to: list = _setting([], "Recipients of e-mail alerts", emails)
    critical_channels: list = _setting(["email", "discord", "slack"], "Channels that receive critical alerts", channels)
    warning_channels: list = _setting(["discord", "slack"], "Channels that receive warnings", channels)
    alert_repeat_window_hours: float = _setting(6, "An open alert is not re-sent within this window", positive)
    airflow_base_url: str = _setting("http://localhost:8080", "Base URL of the Airflow UI, for log links in alerts", http_url)
    alert_send_timeout_seconds: int = _setting(
        20, "Give up on an alert channel that has not answered within this time (the others are not delayed)", positive
    )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> OpsConfig:
        """Validate ``values`` (overrides of the defaults) and return the configuration."""
        values = dict(values or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(
                f"{VARIABLE_KEY}: unknown key(s) {unknown}; allowed keys are {sorted(known)}"
            )
        config = cls()
        for name, value in values.items():
            config = replace(config, **{name: _validated(known[name], value, getattr(config, name))})
        return config

    def describe(self) -> list[tuple[str, Any, str]]:
        """(name, value, description) of every setting, in declaration order."""
        return [(f.name, getattr(self, f.name), f.metadata["doc"]) for f in fields(self)]


def _validated(spec: Any, value: Any, default: Any) -> Any:
    expected = type(default)
    where = f"{VARIABLE_KEY}.{spec.name} = {value!r}"
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, expected):
        raise ConfigError(f"{where}: must be of type {expected.__name__} ({spec.metadata['doc']})")
    check = spec.metadata["check"]
    problem = check(value) if check else None
    if problem is None and isinstance(value, str) and not value and not default == "":
        problem = "a non-empty string"
    if problem:
        raise ConfigError(f"{where}: must be {problem} ({spec.metadata['doc']})")
    return value


def _parse_json(text: str, source: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source} is not valid JSON ({exc}); fix the Variable {VARIABLE_KEY}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must be a JSON object of setting: value, got {type(data).__name__}")
    return data


def parse_time_config() -> OpsConfig:
    """Configuration for DAG-parse time: defaults plus the environment form of the Variable. No DB access."""
    text = os.environ.get(ENV_VARIABLE)
    return OpsConfig.from_mapping(_parse_json(text, ENV_VARIABLE) if text else None)


def load_config() -> OpsConfig:
    """Configuration for task run time: the Variable through Airflow (env, secrets, metadata DB)."""
    from airflow.sdk import Variable

    text = Variable.get(VARIABLE_KEY, default=None)
    if text is None:
        return OpsConfig()
    if isinstance(text, dict):
        return OpsConfig.from_mapping(text)
    return OpsConfig.from_mapping(_parse_json(text, f"Variable {VARIABLE_KEY}"))
