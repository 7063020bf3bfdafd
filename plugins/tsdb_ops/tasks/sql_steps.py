"""SQL steps as ``SQLExecuteQueryOperator`` tasks, so the UI's Rendered Template tab shows the SQL that ran.

The SQL file comes from ``include/sql`` through the DAG's ``template_searchpath`` (its subject package names it);
the connection, ``lock_timeout`` and ``statement_timeout`` come from the configuration at run time (the
``tsdb_config()`` macro of ``dag_defaults``), never at parse time; values travel as bind parameters (an upstream
task's result, e.g. the resolved table's ``params``). The rows are handed on as a list of dicts, one per row.
A statement that reads a table named at run time (the hypertable a param or the config names, its columns) has
``{name}`` placeholders that psycopg's ``sql.Identifier`` fills from the step's ``identifiers`` when the task
renders, so the tab shows the statement as it ran: an identifier is quoted, never formatted into the text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from airflow.providers.common.sql.hooks.handlers import fetch_all_handler
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk.exceptions import AirflowSkipException
from psycopg import sql

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


def with_identifiers(text: str, identifiers: Mapping[str, str | Sequence[str]]) -> str:
    """The SQL text with each ``{name}`` placeholder replaced by the quoted identifier ``identifiers[name]`` (a name,
    or its parts such as ``[schema, table]``); bind placeholders (``%(name)s``) are left for the driver."""
    return sql.SQL(text).format(**{
        name: sql.Identifier(*([parts] if isinstance(parts, str) else parts)) for name, parts in identifiers.items()
    }).as_string()


class SQLStep(SQLExecuteQueryOperator):
    """A ``SQLExecuteQueryOperator`` whose rendered SQL also has its ``identifiers`` composed in (``with_identifiers``)."""

    template_fields = (*SQLExecuteQueryOperator.template_fields, "identifiers")

    def __init__(self, *, identifiers: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.identifiers = identifiers

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        super().render_template_fields(context, jinja_env)
        if self.identifiers:
            self.sql = with_identifiers(self.sql, self.identifiers)


def sql_step(task_id: str, sql_file: str, *, parameters: Any = None, identifiers: Any = None,
             autocommit: bool = False, database: str | None = None, **kwargs: Any) -> SQLExecuteQueryOperator:
    """One SQL file run on the tsdb connection (``database``: another database of it) with the maintenance
    timeouts. ``autocommit`` for statements that cannot run in a transaction (VACUUM, CREATE DATABASE);
    ``identifiers`` (e.g. an upstream task's ``{"hypertable": [schema, table]}``) fill the file's ``{name}``
    placeholders."""
    return SQLStep(
        task_id=task_id,
        identifiers=identifiers,
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


def skip_as_planned(planning_task: str, step: str) -> Callable[[Any], None]:
    """A ``pre_execute`` hook of an acting SQL step: skip when the run's plan (the output of ``planning_task``) gives
    a reason under ``skip[step]`` (a dry run, a database that exists, a set without TimescaleDB). The step reads its
    run's plan itself, so clearing it alone in a dry run does not make it act (as skip_if_dry_run for Python tasks)."""

    def skip_if_planned(context: Any) -> None:
        reason = (context["ti"].xcom_pull(task_ids=planning_task) or {}).get("skip", {}).get(step)
        if reason:
            raise AirflowSkipException(reason)

    return skip_if_planned
