"""db_pitr_setup's decisions (pure): what the server lacks for Barman's streaming, what the setup will create, the
pg_hba lines the operator adds, and which of Barman's checks may still fail right after the setup."""

from __future__ import annotations

from typing import Any

from tsdb_ops.config import OpsConfig

# pg_receivewal and pg_basebackup each hold a WAL sender while they run.
WAL_SENDERS_NEEDED = 2
# Right after the setup the barman service has not yet started its receiver (it reads the new configuration within
# a minute), so nothing is streamed or archived, and no base backup exists yet.
PENDING_UNTIL_STREAMING = frozenset({"receive_wal_running", "replication_slot", "wal_archive",
                                     "minimum_redundancy_requirements"})


def server_problems(settings: dict[str, Any], config: OpsConfig) -> list[str]:
    """Settings that need a change of postgresql.conf and a restart before Barman can stream (the setup cannot)."""
    problems = []
    if settings["wal_level"] not in ("replica", "logical"):
        problems.append(f"wal_level is {settings['wal_level']}: set wal_level = replica (PostgreSQL's default) and restart")
    free_senders = settings["max_wal_senders"] - settings["wal_senders_used"]
    if free_senders < WAL_SENDERS_NEEDED:
        problems.append(f"max_wal_senders = {settings['max_wal_senders']} with {settings['wal_senders_used']} in use: "
                        f"Barman needs {WAL_SENDERS_NEEDED} free; raise it and restart")
    if not settings["slot_exists"] and settings["slots_used"] >= settings["max_replication_slots"]:
        problems.append(f"max_replication_slots = {settings['max_replication_slots']}, all in use: raise it and "
                        f"restart so that slot {config.pitr_slot_name} can be created")
    return problems


def setup_actions(settings: dict[str, Any], config: OpsConfig) -> list[str]:
    role, slot = config.pitr_replication_role, config.pitr_slot_name
    return [
        f"{'create' if not settings['role_exists'] else 'update'} role {role} (LOGIN REPLICATION, the password of "
        f"connection {config.pitr_conn_id}) and grant it the backup functions, pg_read_all_settings, "
        "pg_read_all_stats and pg_checkpoint",
        f"create the physical replication slot {slot}" if not settings["slot_exists"] else f"keep slot {slot} (exists)",
        f"write Barman's configuration and .pgpass into the catalogue {config.pitr_catalogue} and run barman check",
    ]


def pg_hba_lines(config: OpsConfig, database: str, barman_network: str | None) -> list[str]:
    """The pg_hba.conf lines that let the barman containers in: replication (pg_receivewal, pg_basebackup) and a
    normal connection to ``database`` (Barman's checks), from the Docker network's subnet (or samenet)."""
    source = barman_network or "samenet"
    role = config.pitr_replication_role
    return [f"host replication {role} {source} scram-sha-256", f"host {database} {role} {source} scram-sha-256"]


def failures_after_setup(failed: dict[str, str]) -> dict[str, str]:
    """Barman's failed checks that a correct setup does not explain (the connection, pg_hba, privileges, ...)."""
    return {name: hint for name, hint in failed.items() if name not in PENDING_UNTIL_STREAMING}
