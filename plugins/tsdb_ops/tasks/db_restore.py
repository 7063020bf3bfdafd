"""db_restore's task bodies: validate and plan, then (unless a dry run) stop the stack's application containers,
end restore mode, compare, give the restored jobs back their state and start the stack again; the container steps
(pg_dump, pg_restore, the models volume) are in tasks.containers. The database's preparation is SQL steps built
here; the TimescaleDB one (prepare_timescaledb_restore) is db_restore_verification's too: one restore procedure."""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk.exceptions import AirflowSkipException

from tsdb_ops.config import OpsConfig, load_config
from tsdb_ops.dag_defaults import heavy_pool
from tsdb_ops.params import check_flag
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run
from tsdb_ops.tasks.sql_steps import skip_as_planned, sql_step

if TYPE_CHECKING:
    from tsdb_ops.backup import stack

log = logging.getLogger(__name__)

# end_timescaledb_restore runs after prepare_timescaledb_restore and restore_dump are done, unless either was skipped
# (a set without TimescaleDB, a dry run: restore mode never entered) or neither succeeded (nothing was prepared): so a
# failed pg_restore still leaves restore mode. Not a teardown: a setup's next task must need all of it to succeed,
# and restore_dump also follows a skipped preparation.
END_RESTORE_TRIGGER = "all_done_min_one_success"


def _say(config: OpsConfig):
    from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

    def say(message: str) -> None:
        log.info("%s", message)
        append_log_line(config, BACKUP_LOG, message)

    return say


def _stack_plan(config: OpsConfig) -> stack.StackPlan:
    """The stack's containers as the engine lists them now, split into those to stop and those kept running."""
    from tsdb_ops.backup import stack
    from tsdb_ops.docker import docker_api

    return stack.list_stack(docker_api(config), config.stack_containers, database_host=config.db_host_in_docker,
                            keep_running=config.stack_keep_running, own_hostname=socket.gethostname())


@fail_fast_on_bad_params
def validate_params(params: dict[str, Any] | None = None, dag_run: Any = None) -> dict[str, Any]:
    from tsdb_ops.backup import restore

    params = params or {}
    stop_stack = check_flag(params.get("stop_stack", False), "stop_stack")
    plan = _stack_plan(load_config()).as_dict() if stop_stack else None
    return restore.validate_restore_params(params, dag_run.run_after, stack=plan)


def stop_stack_containers(validated: dict[str, Any]) -> list[dict[str, Any]]:
    """Stop the stack's running application containers (never the database's), listed again now with the same
    rule as the plan; the list of those stopped is what start_stack_containers starts. Without stop_stack:
    nothing, and the restore goes on (a setup that succeeds)."""
    from tsdb_ops.backup import stack
    from tsdb_ops.docker import docker_api
    from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

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
    from tsdb_ops.backup import stack
    from tsdb_ops.docker import docker_api
    from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

    skip_if_dry_run(validated, None, "start the stack's containers")
    if not stopped:
        log.info("No container of the stack was stopped: none to start")
        return []
    config = load_config()
    started = stack.start_containers(docker_api(config), stopped, _say(config))
    append_log_line(config, BACKUP_LOG, f"Started {len(started)} container(s) of the stack after the restore: "
                                        f"{', '.join(started) or 'none'}")
    return started


def create_target_database(validated: Any) -> SQLExecuteQueryOperator:
    """The restore procedure's CREATE DATABASE as db_restore's SQL step: autocommit, skipped as planned (a dry run, a
    target that existed) and when the database exists by the time it runs (CREATE DATABASE has no IF NOT EXISTS:
    an earlier try of the step created it)."""
    from tsdb_ops.backup.catalog import database_state
    from tsdb_ops.backup.restore_steps import CREATE_DATABASE, CREATE_DATABASE_SQL
    from tsdb_ops.db import db_session

    planned = skip_as_planned("validate_params", CREATE_DATABASE)

    def skip_unless_missing(context: Any) -> None:
        planned(context)
        name = context["ti"].xcom_pull(task_ids="validate_params")["target_database"]
        with db_session(load_config().postgres_conn_id) as conn:
            if database_state(conn, name).exists:
                raise AirflowSkipException(f"database {name} exists already (created by an earlier try of this step)")

    return sql_step("create_target_database", CREATE_DATABASE_SQL, identifiers=validated["identifiers"],
                    autocommit=True, pre_execute=skip_unless_missing, pool=heavy_pool())


def prepare_timescaledb_restore(plan: Any, planning_task: str, **kwargs: Any) -> SQLExecuteQueryOperator:
    """The restore procedure's TimescaleDB step (restore_steps), as the SQL step of db_restore and of
    db_restore_verification: in the planned database, CREATE EXTENSION at the dump's version and
    timescaledb_pre_restore(), in one transaction. ``plan``: the output of ``planning_task``
    (restore_steps.plan_preparation), which skips the step for a set without TimescaleDB and in a dry run."""
    from tsdb_ops.backup.restore_steps import PREPARE_TIMESCALEDB_RESTORE, PREPARE_TIMESCALEDB_RESTORE_SQL

    return sql_step(PREPARE_TIMESCALEDB_RESTORE, PREPARE_TIMESCALEDB_RESTORE_SQL, identifiers=plan["identifiers"],
                    database=plan["target_database"], split_statements=True,
                    pre_execute=skip_as_planned(planning_task, PREPARE_TIMESCALEDB_RESTORE), pool=heavy_pool(), **kwargs)


def end_timescaledb_restore(validated: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A Python step: whether the database is still in restore mode and where TimescaleDB keeps its job table decide
    the statements, run in one transaction (restore_steps.end_restore_mode). The DAG runs it once the database
    entered restore mode, also when pg_restore failed (``END_RESTORE_TRIGGER``)."""
    from tsdb_ops.backup import restore

    skip_if_dry_run(validated, None, "run timescaledb_post_restore()")
    return restore.end_timescaledb_restore(validated)


def compare_with_manifest(validated: dict[str, Any], dumped_jobs: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A Python step: the tables to count are read from the restored catalog (one query per table, its name composed
    as an identifier), all in one snapshot with the jobs, then judged against the manifest."""
    from tsdb_ops.backup import restore

    skip_if_dry_run(validated, None, "compare the restored tables")
    return restore.compare_restored_tables(load_config(), validated, dumped_jobs)


def reschedule_restored_jobs(validated: dict[str, Any], dumped_jobs: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A Python step: when each job starts again is decided per job (restored_jobs.plan_job_schedules)."""
    from tsdb_ops.backup import restore

    skip_if_dry_run(validated, None, "put the restored jobs back")
    return restore.reschedule_restored_jobs(load_config(), validated, dumped_jobs)
