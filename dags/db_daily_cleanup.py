"""# db_daily_cleanup

Runs `0 3 * * *` (configured time zone). Maintenance guide: "Automated Maintenance Tasks / Daily Tasks (3:00 AM)".

1. `prune_docker_system`: what `docker system prune -f` does, through the Docker API: stopped containers,
   dangling images, unused networks, build cache. **Never volumes** (the models volume is unused between runs).
   Logs what was removed and the bytes freed (`docker_prune_filters` can limit it, e.g. `{"until": "24h"}`).
2. `find_policy_jobs`: the hypertable's retention and compression policy jobs (ids looked up by `proc_name`);
   fails, naming the fix, when a policy is missing (run `db_policy_setup`).
3. `run_retention_policy_job`, `run_compression_policy_job` (SQL): `CALL run_job(id)`, retention first, so no
   time is spent compressing chunks about to be dropped.
4. `check_chunks_after_policies`: success is judged by the chunks afterwards (none older than the retention age
   left, none older than the compression age uncompressed), because `job_stats` is not updated by `run_job`;
   `job_errors` are reported.

Log: `db_maintenance.log` in `log_dir`. The database steps run in the heavy-work pool (1 slot).
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_daily_cleanup as tasks
from tsdb_ops.tasks.sql_steps import sql_step
from tsdb_ops.timescale.jobs import RUN_JOB_SQL

with DAG(**dag_kwargs(
    "db_daily_cleanup",
    description="Daily Docker cleanup (never volumes) and the retention and compression policy jobs run now",
    tags=["maintenance"],
    doc_md=__doc__,
)):
    prune_docker_system = task(tasks.prune_docker_system)()
    jobs = task(tasks.find_policy_jobs, multiple_outputs=True, pool=heavy_pool())()
    # autocommit: the compression policy commits per chunk inside the procedure (not allowed in a transaction block)
    retention = sql_step("run_retention_policy_job", RUN_JOB_SQL, parameters=jobs["retention"], autocommit=True,
                         pool=heavy_pool())
    compression = sql_step("run_compression_policy_job", RUN_JOB_SQL, parameters=jobs["compression"], autocommit=True,
                           pool=heavy_pool())
    checked = task(tasks.check_chunks_after_policies, pool=heavy_pool())(jobs["start"])

    chain(prune_docker_system, jobs, retention, compression, checked)
