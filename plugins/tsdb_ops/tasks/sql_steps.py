"""SQL steps as ``SQLExecuteQueryOperator`` tasks, so the UI's Rendered Template tab shows the SQL that ran.

The SQL file comes from ``include/sql`` through the DAG's ``template_searchpath`` (its subject package names it);
the connection, ``lock_timeout`` and ``statement_timeout`` come from the configuration at run time (the
``tsdb_config()`` macro of ``dag_defaults``), never at parse time; values travel as bind parameters (an upstream
task's result, e.g. the resolved table's ``params``). The rows are handed on as a list of dicts, one per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.common.sql.hooks.handlers import fetch_all_handler
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

CONN_ID = "{{ tsdb_config().postgres_conn_id }}"
TIMEOUTS = ("-c lock_timeout={{ tsdb_config().lock_timeout_ms }}ms"
            " -c statement_timeout={{ tsdb_config().statement_timeout_ms }}ms")


def rows_as_dicts(results: list[Any], descriptions: list[Sequence[Sequence] | None]) -> list[Any]:
    """Each statement's rows as dicts keyed by column name (statements without a result stay as they are)."""
    return [
        [dict(zip([column[0] for column in description], row, strict=True)) for row in rows]
        if description and rows is not None else rows
        for rows, description in zip(results, descriptions, strict=False)
    ]


def sql_step(task_id: str, sql_file: str, *, parameters: Any = None, autocommit: bool = False,
             database: str | None = None, **kwargs: Any) -> SQLExecuteQueryOperator:
    """One SQL file run on the tsdb connection (``database``: another database of it) with the maintenance
    timeouts. ``autocommit`` for statements that cannot run in a transaction (VACUUM, CREATE DATABASE)."""
    return SQLExecuteQueryOperator(
        task_id=task_id,
        conn_id=CONN_ID,
        sql=sql_file,
        parameters=parameters,
        autocommit=autocommit,
        database=database,
        hook_params={"options": TIMEOUTS},
        handler=fetch_all_handler,
        output_processor=rows_as_dicts,
        **kwargs,
    )
