"""# db_nightly_backup

Runs `0 2 * * *` in the configured time zone: nightly backup (maintenance guide). Tasks land with their issue.
"""

from __future__ import annotations

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG
from tsdb_ops.dag_settings import dag_kwargs

with DAG(dag_id="db_nightly_backup", **dag_kwargs(schedule="0 2 * * *", tags=["backup"], doc_md=__doc__)):
    EmptyOperator(task_id="start")
