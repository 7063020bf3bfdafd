"""# db_daily_cleanup

Runs `0 3 * * *` (configured time zone). Maintenance guide: "Automated Maintenance Tasks / Daily Tasks (3:00 AM)".

1. `prune_docker_system`: what `docker system prune -f` does, through the Docker API: stopped containers,
   dangling images, unused networks, build cache. **Never volumes** (the models volume is unused between runs).
   Logs what was removed and the bytes freed (`docker_prune_filters` can limit it, e.g. `{"until": "24h"}`).
2. `run_retention_and_compression_policies`: `CALL run_job(id)` of the hypertable's retention, then compression
   policy job (ids looked up by `proc_name`). Success is judged by the chunks afterwards (none older than the
   retention age left, none older than the compression age uncompressed), because `job_stats` is not updated by
   `run_job`; `job_errors` are reported. Fails, naming the fix, when a policy is missing (run `db_policy_setup`).

Log: `db_maintenance.log` in `log_dir`. The database step runs in the heavy-work pool (1 slot).
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.dag_settings import dag_kwargs, heavy_pool
from tsdb_ops.maintenance import tasks

with DAG(dag_id="db_daily_cleanup", **dag_kwargs(schedule="0 3 * * *", tags=["maintenance"], doc_md=__doc__)):
    prune_docker_system = task(tasks.prune_docker_system)()
    run_policies = task(tasks.run_retention_and_compression_policies, pool=heavy_pool())()

    chain(prune_docker_system, run_policies)
