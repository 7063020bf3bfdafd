"""# db_daily_cleanup

Runs `0 3 * * *` in the configured time zone: daily cleanup (maintenance guide). Tasks land with their issue.
"""

from __future__ import annotations

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG
from tsdb_ops.dag_settings import dag_kwargs

with DAG(dag_id="db_daily_cleanup", **dag_kwargs(schedule="0 3 * * *", tags=["maintenance"], doc_md=__doc__)):
    EmptyOperator(task_id="start")
