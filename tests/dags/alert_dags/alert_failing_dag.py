"""# alert_failing_dag

Test-only DAG: three tasks that fail, built with the project's shared DAG arguments (so with its failure alert).
`fail_with_dsn_in_error` fails at once with the database DSN (password included) in its error;
`fail_after_one_retry` fails twice (one retry): only its final failure may alert;
`refuse_a_bad_param` has two retries but a bad param fails it at once (fail_fast_on_bad_params).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Connection, task

from tsdb_ops.dag_defaults import dag_kwargs
from tsdb_ops.params import ParamError
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params


@fail_fast_on_bad_params
def refuse_a_bad_param() -> None:
    raise ParamError("hypertable 'market_dta' is not a hypertable: give one of market_data")


with DAG(**dag_kwargs("alert_failing_dag", description="Test: a task that fails", tags=["test"], doc_md=__doc__)):

    @task(retries=0)
    def fail_with_dsn_in_error() -> None:
        dsn = Connection.get("tsdb_postgres").get_uri()
        raise ConnectionError(f"could not connect to {dsn}")

    @task(retries=1, retry_delay=timedelta(seconds=0), retry_exponential_backoff=False)
    def fail_after_one_retry() -> None:
        raise RuntimeError("the disk is full")

    fail_with_dsn_in_error()
    fail_after_one_retry()
    task(refuse_a_bad_param, retries=2)()
