"""db_daily_cleanup's task bodies: Docker cleanup through the API; the policy jobs found, then judged.

The two ``CALL run_job`` are SQL steps of the DAG between ``find_policy_jobs`` and ``check_chunks_after_policies``.
Every step is also written to db_maintenance.log.
"""

from __future__ import annotations

from typing import Any

from tsdb_ops.config import load_config


def prune_docker_system() -> dict[str, Any]:
    from tsdb_ops.docker import docker_api
    from tsdb_ops.maintenance.docker_prune import prune_docker
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger

    config = load_config()
    say = maintenance_logger(config)
    say("Starting Docker system cleanup (containers, dangling images, networks, build cache; never volumes)...")
    report = prune_docker(docker_api(config), config.docker_prune_filters)
    say(report.summary())
    return report.as_dict()


def find_policy_jobs() -> dict[str, Any]:
    """The hypertable's retention and compression jobs (fails naming db_policy_setup when one is missing), with the
    chunks and clock before they run. One XCom per key (multiple outputs): each job's bind parameters for its
    ``CALL run_job`` step, and ``start`` for the judgement."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger
    from tsdb_ops.maintenance.policy_run import prepare_policy_run
    from tsdb_ops.timescale.table import resolve_table

    config = load_config()
    say = maintenance_logger(config)
    say("Running TimescaleDB retention and compression policies...")
    with db_session(config.postgres_conn_id) as conn:
        start = prepare_policy_run(conn, resolve_table(conn, config.hypertable))
    for kind, job_id in start.jobs.items():
        say(f"running {kind} policy job {job_id}")
    return {**{kind: {"job_id": job_id} for kind, job_id in start.jobs.items()}, "start": start.as_dict()}


def check_chunks_after_policies(start: dict[str, Any]) -> dict[str, Any]:
    """Judge the jobs by the chunks (``CALL run_job`` does not update job_stats; scheduled runs have reported
    Failed although their work was committed): fail naming what is left."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger
    from tsdb_ops.maintenance.policy_run import PolicyRunError, PolicyRunStart, judge_policy_run
    from tsdb_ops.timescale.table import table_from_text

    config = load_config()
    say = maintenance_logger(config)
    begun = PolicyRunStart.from_dict(start)
    with db_session(config.postgres_conn_id) as conn:
        report = judge_policy_run(conn, table_from_text(begun.hypertable), begun)
    for line in report.lines():
        say(line)
    if report.problems:
        raise PolicyRunError("; ".join(report.problems))
    return report.as_dict()
