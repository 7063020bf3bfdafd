"""# db_point_in_time_restore

Manual (no schedule). Recovers the database as it was at a given second (the maintenance guide's "Point-in-Time
Recovery"), beside the running one: the running database is never touched. A dry run (the default) validates and
logs the plan.

1. `validate_params`: `target_time` in the past; exactly one of `new_container` (a new container on a new volume
   `<name>_pgdata`, neither may exist) and `target_directory` (an empty host directory); a real run needs `confirm`
   and `confirm_again` both equal to that target.
2. `recover_to_target_time`: archives what the `barman` service has streamed (skipped when the database is down:
   the segment being streamed is used), then `barman recover --target-time` of the newest base backup before it.
   A target that is not empty is refused.
3. `start_recovered_database`: with `new_container`, starts it (the production image, no network, TimescaleDB
   jobs off), waits until it reached the target and promoted, and reports its rows, newest bar, chunks and jobs.
   Then it logs the switch-over steps: stop the writers, stop the database container, mount the recovered data
   as its data directory, start it, new base backup.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_point_in_time_restore as tasks
from tsdb_ops.tasks.containers import RecoverToTimeOperator
from tsdb_ops.tasks.manual_runs import dry_run_param

with DAG(
    params={
        "target_time": Param(None, type=["null", "string"], title="Target time", section="Target",
                             description="Recover the database as it was at this time: ISO 8601, e.g. "
                                         "2026-03-02T11:59:59+00:00 (without an offset: the configured time zone)"),
        "new_container": Param(None, type=["null", "string"], title="New container", section="Target",
                               description="Start the recovered database in this new container, on a new volume "
                                           "<name>_pgdata (or give target_directory)"),
        "target_directory": Param(None, type=["null", "string"], title="Target directory", section="Target",
                                  description="Recover the data files into this empty host directory instead"),
        "confirm": Param(None, type=["null", "string"], title="Confirm: the target", section="Run",
                         description="Repeat new_container (or target_directory) to recover for real"),
        "confirm_again": Param(None, type=["null", "string"], title="Confirm again: the target", section="Run",
                               description="Repeat it once more: a restore writes a whole database"),
        "dry_run": dry_run_param("Only validate and log the plan. Set to false (with both confirmations) to recover."),
    },
    **dag_kwargs("db_point_in_time_restore", description="Recover the database to a point in time, beside the running one",
                 tags=["manual", "recovery", "pitr"], doc_md=__doc__),
):
    validated = task(tasks.validate_params)()
    recovered = RecoverToTimeOperator(task_id="recover_to_target_time", upstream=validated, pool=heavy_pool())
    started = task(tasks.start_recovered_database)(recovered.output)

    chain(validated, recovered, started)
