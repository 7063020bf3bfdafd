"""# db_weekly_maintenance

Runs `15 4 * * 0` in the configured time zone: weekly maintenance (maintenance guide). Tasks land with their issue.
"""

from __future__ import annotations

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG
from tsdb_ops.dag_settings import dag_kwargs

with DAG(dag_id="db_weekly_maintenance", **dag_kwargs(schedule="15 4 * * 0", tags=["maintenance"], doc_md=__doc__)):
    EmptyOperator(task_id="start")
