"""db_pitr_setup's task bodies: judge the server's settings, create Barman's role and slot, judge barman check."""

from __future__ import annotations

import logging
from typing import Any

from tsdb_ops.config import load_config
from tsdb_ops.tasks.manual_runs import skip_if_dry_run

log = logging.getLogger(__name__)


def _network_subnet(network: str, api: Any) -> str | None:
    """The subnet of the Docker network the barman containers use (the source of their connections), if it has one."""
    try:
        configs = api.inspect_network(network).get("IPAM", {}).get("Config") or []
    except Exception as error:  # an unknown network or engine: the pg_hba line falls back to samenet
        log.info("Docker network %s not inspected (%s): the pg_hba lines use samenet", network, type(error).__name__)
        return None
    return next((c["Subnet"] for c in configs if c.get("Subnet")), None)


def plan_setup(settings_rows: list[dict[str, Any]], params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fail on settings that need a restart; log what the setup does and the pg_hba lines Barman needs."""
    from tsdb_ops.db import database_login
    from tsdb_ops.docker import docker_api
    from tsdb_ops.pitr import setup

    config = load_config()
    [settings] = settings_rows
    problems = setup.server_problems(settings, config)
    if problems:
        raise RuntimeError("PostgreSQL is not ready for Barman's streaming: " + "; ".join(problems))
    database = database_login(config.postgres_conn_id).dbname
    pg_hba = setup.pg_hba_lines(config, database, _network_subnet(config.docker_network, docker_api(config)))
    dry_run = (params or {}).get("dry_run", True) is not False
    for action in setup.setup_actions(settings, config):
        log.info("%s: %s", "would" if dry_run else "will", action)
    log.info("pg_hba.conf must let Barman in (add these lines where missing, then SELECT pg_reload_conf()):\n%s",
             "\n".join(pg_hba))
    if dry_run:
        log.info("Dry run: nothing changed. Trigger again with dry_run=false to set up point-in-time recovery")
    return {"dry_run": dry_run, "role_exists": settings["role_exists"], "slot_exists": settings["slot_exists"],
            "pg_hba": pg_hba}


def create_role_and_slot(plan: dict[str, Any]) -> list[str]:
    """Barman's role (created, or its login, replication and password brought up to date) with the backup privileges,
    and the replication slot when it is missing. The password goes to the server as a SCRAM verifier only."""
    from tsdb_ops.db import db_session, role_password
    from tsdb_ops.pitr.database import set_up_role_and_slot

    skip_if_dry_run(plan, log.info, "create Barman's role and slot")
    config = load_config()
    role = config.pitr_replication_role
    password = role_password(config.pitr_conn_id, role)
    slot = None if plan["slot_exists"] else config.pitr_slot_name
    with db_session(config.postgres_conn_id) as conn:
        set_up_role_and_slot(conn, role, password, role_exists=plan["role_exists"], slot=slot)
    done = [f"role {role} {'updated' if plan['role_exists'] else 'created'} with the backup privileges"]
    if slot:
        done.append(f"replication slot {slot} created")
    for line in done:
        log.info("%s", line)
    return done


def judge_barman_check(plan: dict[str, Any], failed: dict[str, str]) -> dict[str, str]:
    """Fail on a failed check the setup does not explain (connection, pg_hba, privileges), naming the fix."""
    from tsdb_ops.pitr import setup

    problems = setup.failures_after_setup(failed)
    if problems:
        lines = "; ".join(f"{name}: {hint}" if hint else name for name, hint in problems.items())
        hba = " Add to pg_hba.conf and reload: " + " | ".join(plan["pg_hba"]) if {
            "postgresql", "postgresql_streaming"} & set(problems) else ""
        raise RuntimeError(f"barman check failed after the setup: {lines}.{hba}")
    log.info("Barman is configured. The barman service starts streaming WAL within a minute (checks still pending: "
             "%s); then run db_base_backup for the first base backup", sorted(failed) or "none")
    return failed
