"""# db_policy_setup

Manual trigger. Maintenance guide: "TimescaleDB Policies / Current Configuration". Idempotently ensures:

- compression settings: segmentby `symbol_column`, orderby `time_column`;
- compression policy: chunks older than `compress_after_days` (7), every `policy_schedule_hours` (12);
- reorder policy on `reorder_index` (ux_market_data_sym_tf_ts), every `policy_schedule_hours` (via alter_job);
- retention policy: `retention_days` (90), every `retention_schedule_hours` (24).

By default a **dry run**: the task log and `db_maintenance.log` show the drift between configured and actual.
Trigger with `{"apply": true}` to change the database; a missing policy (the retention policy can delete the
reorder job) is re-added. TimescaleDB's advice that `timeframe` (in the unique index) should be segmented or
ordered is reported, never applied silently. Note: a 90-day retention makes the weekly 5-year drop a no-op;
both ages stay configurable.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_policy_setup as tasks

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
    task(tasks.ensure_policies, pool=heavy_pool())()
