"""# db_crash_recovery_check

Manual trigger, after the database server or host crashed. Maintenance guide: "Recovery After System Crash".

1. `validate_params`: hypertable in the catalog; the compression age from the compression policy's
   `compress_after` (or the param, or `compress_after_days` when there is no policy).
2. `check_job_stats`: every policy job with `job_stats` and the last 7 days of `job_errors`; an empty
   `job_stats` is reported as "no run recorded", not as healthy.
3. `check_chunk_health`: every chunk with its size from `chunks_detailed_size()`; a catalog chunk without a
   size (its table is gone) fails the run before anything changes.
4. `list_uncompressed_chunks_past_policy`, 5. `compress_chunks_past_policy`: one chunk per transaction.
6. `decide_weekly_maintenance_handoff`, 7. `trigger_weekly_maintenance`: triggers `db_weekly_maintenance`
   (VACUUM ANALYZE, chunk statistics, compression report) instead of the guide's `db_maintenance.sh`.

**Dry run by default**: steps 5-7 are skipped and the log says what they would do.
"""

from __future__ import annotations

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_crash_recovery_check as tasks
from tsdb_ops.tasks.manual_runs import dry_run_param, hypertable_param
from tsdb_ops.tasks.sql_steps import sql_step
from tsdb_ops.timescale.compression_stats import CHUNKS_SQL, SUMMARY_SQL

with DAG(
    params={
        "hypertable": hypertable_param("Hypertable to check"),
        "compress_after_days": Param(
            None,
            title="Compress chunks older than (days)",
            section="Chunks",
            type=["null", "integer", "string"],
            description="Compress uncompressed chunks older than this (empty: the policy's age)",
        ),
        "trigger_weekly_maintenance": Param(
            True,
            title="Hand off to weekly maintenance",
            section="Run",
            type="boolean",
            description="Hand off to db_weekly_maintenance",
        ),
        "dry_run": dry_run_param("Only check and list (set false to compress and hand off)"),
    },
    **dag_kwargs(
        "db_crash_recovery_check",
        description="After a crash: job status, chunk health, compression of overdue chunks, hand-off",
        tags=["manual", "recovery"],
        doc_md=__doc__,
    ),
):
    validated = task(tasks.validate_crash_recovery_params, task_id="validate_params", multiple_outputs=True)()
    job_status = task(tasks.check_job_stats)(validated)
    summary = sql_step("read_compression_summary", SUMMARY_SQL, parameters=validated["sql_params"])
    chunks = sql_step("read_chunk_compression", CHUNKS_SQL, parameters=validated["sql_params"])
    chunk_health = task(tasks.check_chunk_health)(validated, summary.output, chunks.output)
    plan = task(tasks.list_uncompressed_chunks_past_policy)(validated)
    compressed = task(tasks.compress_chunks_past_policy, pool=heavy_pool())(validated, plan)
    handoff = task.short_circuit(tasks.decide_weekly_maintenance_handoff)(validated)
    weekly = TriggerDagRunOperator(
        task_id="trigger_weekly_maintenance",
        trigger_dag_id="db_weekly_maintenance",
        trigger_run_id="after_crash_recovery__{{ run_id }}",
        skip_when_already_exists=True,
    )

    chain(validated, job_status, [summary, chunks], chunk_health, plan, compressed, handoff, weekly)
