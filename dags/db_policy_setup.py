"""# db_policy_setup

Manual trigger. Maintenance guide: "TimescaleDB Policies / Current Configuration". Idempotently ensures:

- compression settings: segmentby `symbol_column`, orderby `time_column`;
- compression policy: chunks older than `compress_after_days` (7), every `policy_schedule_hours` (12);
- reorder policy on `reorder_index` (ux_market_data_sym_tf_ts), every `policy_schedule_hours` (via alter_job);
- retention policy: `retention_days` (90), every `retention_schedule_hours` (24).

1. `resolve_hypertable`: the configured hypertable in the catalog; its names are the SQL steps' parameters.
2. `read_compression_settings`, `read_unique_indexes`, `read_policy_jobs` (SQL, catalog only): the state now.
3. `plan_policy_changes`: the drift between configured and actual, in the task log and `db_maintenance.log`.
4. `apply_policy_changes`: by default a **dry run** (skipped). Trigger with `{"apply": true}` to change the
   database, each change in its own transaction, until no drift is left; a missing policy (the retention policy
   can delete the reorder job) is re-added.

TimescaleDB's advice that `timeframe` (in the unique index) should be segmented or ordered is reported, never
applied silently. Note: a 90-day retention makes the weekly 5-year drop a no-op; both ages stay configurable.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.maintenance.policy_setup import COMPRESSION_SETTINGS_SQL, UNIQUE_INDEX_COLUMNS_SQL
from tsdb_ops.tasks import db_policy_setup as tasks
from tsdb_ops.tasks.sql_steps import sql_step
from tsdb_ops.timescale.jobs import POLICY_JOBS_SQL

with DAG(
    params={
        "apply": Param(
            False,
            title="Apply the changes",
            section="Run",
            type="boolean",
            description="Apply the changes (default: dry run showing the drift)",
        )
    },
    **dag_kwargs(
        "db_policy_setup",
        description="Ensure compression settings and the compression, reorder and retention policies",
        tags=["maintenance", "policies"],
        doc_md=__doc__,
    ),
):
    hypertable = task(tasks.resolve_hypertable)()
    settings = sql_step("read_compression_settings", COMPRESSION_SETTINGS_SQL, parameters=hypertable)
    indexes = sql_step("read_unique_indexes", UNIQUE_INDEX_COLUMNS_SQL, parameters=hypertable)
    jobs = sql_step("read_policy_jobs", POLICY_JOBS_SQL, parameters=hypertable)
    drift = task(tasks.plan_policy_changes)(hypertable, settings.output, indexes.output, jobs.output)
    applied = task(tasks.apply_policy_changes, pool=heavy_pool())(drift)

    chain(hypertable, [settings, indexes, jobs], drift, applied)
