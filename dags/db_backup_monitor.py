"""# db_backup_monitor

Runs `0 * * * *` in the configured time zone: hourly backup monitoring (maintenance guide). Tasks land with their issue.
"""

from __future__ import annotations

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from tsdb_ops.dag_settings import dag_kwargs

with DAG(dag_id="db_backup_monitor", **dag_kwargs(schedule="0 * * * *", tags=["monitoring"], doc_md=__doc__)):
    EmptyOperator(task_id="start")
