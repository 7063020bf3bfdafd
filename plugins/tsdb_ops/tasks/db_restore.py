"""db_restore's task bodies: validate and plan, then (unless a dry run) stop the stack's application containers,
prepare, end restore mode, compare, give the restored jobs back their state and start the stack again; the
container steps (pg_dump, pg_restore, the models volume) are in tasks.containers."""

from __future__ import annotations

import logging
import socket
from typing import Any

from tsdb_ops.backup import restore, stack
from tsdb_ops.config import OpsConfig, load_config
from tsdb_ops.docker import docker_api
from tsdb_ops.logfiles import BACKUP_LOG, append_log_line
from tsdb_ops.params import check_flag
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run

log = logging.getLogger(__name__)


def _say(config: OpsConfig):
    def say(message: str) -> None:
        log.info("%s", message)
        append_log_line(config, BACKUP_LOG, message)

    return say


def _stack_plan(config: OpsConfig) -> stack.StackPlan:
    """The stack's containers as the engine lists them now, split into those to stop and those kept running."""
    return stack.list_stack(docker_api(config), config.stack_containers, database_host=config.db_host_in_docker,
                            keep_running=config.stack_keep_running, own_hostname=socket.gethostname())


@fail_fast_on_bad_params
def validate_params(params: dict[str, Any] | None = None, dag_run: Any = None) -> dict[str, Any]:
    params = params or {}
    stop_stack = check_flag(params.get("stop_stack", False), "stop_stack")
    plan = _stack_plan(load_config()).as_dict() if stop_stack else None
    return restore.validate_restore_params(params, dag_run.run_after, stack=plan)


def stop_stack_containers(validated: dict[str, Any]) -> list[dict[str, Any]]:
    """Stop the stack's running application containers (never the database's), listed again now with the same
    rule as the plan; the list of those stopped is what start_stack_containers starts. Without stop_stack:
    nothing, and the restore goes on (a setup that succeeds)."""
    skip_if_dry_run(validated, None, "stop the stack's containers")
    if validated.get("stack") is None:
        log.info("stop_stack=false: the stack's containers keep running")
        return []
    config = load_config()
    plan = _stack_plan(config)
    planned = {c["name"] for c in validated["stack"]["to_stop"]}
    if {c.name for c in plan.to_stop} != planned:
        log.warning("The stack changed since the plan (%s): stopping what runs now: %s", sorted(planned),
                    [c.name for c in plan.to_stop])
    for line in plan.lines()[1:]:
        log.info("%s", line)
    stopped = stack.stop_containers(docker_api(config), plan, config.stack_stop_timeout_seconds, _say(config))
    append_log_line(config, BACKUP_LOG, f"Stopped {len(stopped)} container(s) of the stack before the restore: "
                                        f"{', '.join(c['name'] for c in stopped) or 'none'}")
    return stopped


def start_stack_containers(validated: dict[str, Any], stopped: list[dict[str, Any]] | None) -> list[str]:
    """Start again exactly the containers stop_stack_containers stopped: a teardown, so the stack comes back also
    when the restore failed."""
    skip_if_dry_run(validated, None, "start the stack's containers")
    if not stopped:
        log.info("No container of the stack was stopped: none to start")
        return []
    config = load_config()
    started = stack.start_containers(docker_api(config), stopped, _say(config))
    append_log_line(config, BACKUP_LOG, f"Started {len(started)} container(s) of the stack after the restore: "
                                        f"{', '.join(started) or 'none'}")
    return started


def prepare_target_database(validated: dict[str, Any]) -> None:
    skip_if_dry_run(validated, None, "prepare the target database")
    restore.prepare_target_database(validated)


def end_timescaledb_restore(validated: dict[str, Any]) -> list[dict[str, Any]] | None:
    skip_if_dry_run(validated, None, "run timescaledb_post_restore()")
    return restore.end_timescaledb_restore(validated)


def compare_with_manifest(validated: dict[str, Any], dumped_jobs: list[dict[str, Any]] | None) -> dict[str, Any]:
    skip_if_dry_run(validated, None, "compare the restored tables")
    return restore.compare_restored_tables(load_config(), validated, dumped_jobs)


def reschedule_restored_jobs(validated: dict[str, Any], dumped_jobs: list[dict[str, Any]] | None) -> dict[str, Any]:
    skip_if_dry_run(validated, None, "put the restored jobs back")
    return restore.reschedule_restored_jobs(load_config(), validated, dumped_jobs)
