"""# db_job_control

Manual trigger. Maintenance guide: "Manual Policy Control" (which hard-coded job id 1004).

1. `validate_params`: `action`, `job` (an id or a proc name: `policy_compression`, `policy_retention`,
   `policy_reorder`), the hypertable in the catalog.
2. `list_policy_jobs` (SQL): the hypertable's policy jobs (`timescaledb_information.jobs`).
3. `plan_job_action`: logs the jobs and picks `job` among them (an id of another hypertable's job is refused);
   running the retention policy now drops chunks: it needs `confirm` = the hypertable's name.
4. `apply_job_action`: `pause` / `resume` (`alter_job(id, scheduled => false|true)`) or `run_now`
   (`CALL run_job(<id>)`, the validated integer id). **Dry run by default** (skipped).
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.params import JOB_ACTIONS
from tsdb_ops.tasks import db_job_control as tasks
from tsdb_ops.tasks.manual_runs import dry_run_param, hypertable_param
from tsdb_ops.tasks.sql_steps import sql_step
from tsdb_ops.timescale.jobs import POLICY_JOBS_SQL

with DAG(
    params={
        "hypertable": hypertable_param("Hypertable whose jobs are listed"),
        "job": Param(
            "policy_compression",
            title="Job",
            section="Target",
            type=["integer", "string"],
            description="Job id, or proc name: policy_compression, policy_retention, policy_reorder",
        ),
        "action": Param(
            "pause",
            title="Action",
            section="Target",
            type="string",
            enum=list(JOB_ACTIONS),
            description="What to do with the job",
        ),
        "confirm": Param(
            None,
            title="Confirm: hypertable name",
            section="Run",
            type=["null", "string"],
            description="To run the retention policy now: repeat the hypertable's name",
        ),
        "dry_run": dry_run_param("Only list the jobs and the action (set false to act)"),
    },
    **dag_kwargs(
        "db_job_control",
        description="Pause, resume or run now one TimescaleDB policy job",
        tags=["manual", "policies"],
        doc_md=__doc__,
    ),
):
    validated = task(tasks.validate_params, multiple_outputs=True)()
    jobs = sql_step("list_policy_jobs", POLICY_JOBS_SQL, parameters=validated["sql_params"])
    planned = task(tasks.plan_job_action)(validated, jobs.output)
    applied = task(tasks.apply_job_action, pool=heavy_pool())(planned)

    chain(validated, jobs, planned, applied)
