"""db_vacuum_analyze's task bodies: validate the params and log the plan, then VACUUM (unless a dry run).

Every line is also written to db_maintenance.log, prefixed with the DAG id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tsdb_ops import params as p
from tsdb_ops.config import load_config
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run

if TYPE_CHECKING:
    from tsdb_ops.timescale.table import Table


def _say() -> Callable[[str], None]:
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger

    return maintenance_logger(load_config(), prefix="db_vacuum_analyze: ")


@fail_fast_on_bad_params
def validate_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The table (empty: the whole database) checked as identifiers and found in the catalog, FULL only with its
    confirmation; logs the statement a confirmed run executes. Nothing is changed here."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance import vacuum
    from tsdb_ops.timescale.table import TableError, resolve_table

    params = params or {}
    config = load_config()
    say = _say()
    dry_run = p.check_flag(params.get("dry_run"), "dry_run")
    full = p.check_flag(params.get("full"), "full")
    given = p.text_param(params, "table")
    table: Table | None = None
    with db_session(config.postgres_conn_id) as conn:
        if given:
            name = p.check_table_name(given, "table")
            try:
                table = resolve_table(conn, name, setting="table", require_hypertable=False)
            except TableError as exc:
                raise p.ParamError(f"param table: {exc}") from None
        missing = vacuum.check_full_confirmation(full, params.get("confirm"), vacuum.confirmation_names(given, table),
                                                 dry_run)
        target = vacuum.VacuumTarget(str(table) if table else None, bool(table and table.is_hypertable), full)
        statement = vacuum.statement_text(vacuum.vacuum_statement(table, full), conn)
        facts = vacuum.target_facts(conn, table)
    for number, line in enumerate(vacuum.plan_lines(target, statement, facts, config.lock_timeout_ms, missing), 1):
        say(f"Plan {number}: {line}")
    return {"table": target.table, "is_hypertable": target.is_hypertable, "full": full, "dry_run": dry_run,
            "statement": statement}


def vacuum_analyze(validated: dict[str, Any]) -> dict[str, Any]:
    """Run the validated VACUUM; a Python task, not a SQL step, for two reasons:

    - the table is an identifier, which cannot travel as a bind parameter: it is composed here with psycopg's
      ``sql.Identifier`` from the catalog-resolved name (never formatted into the text);
    - the dry-run rule: the acting task checks the run's ``dry_run`` itself, so clearing this task of a dry run
      does not make it act (a SQL operator cannot).

    Autocommit (VACUUM cannot run in a transaction), with the maintenance lock_timeout and statement_timeout set
    for the session, so a VACUUM FULL waiting for its exclusive lock gives up instead of queueing the ingest."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance import vacuum
    from tsdb_ops.timescale.table import table_from_text

    config = load_config()
    say = _say()
    skip_if_dry_run(validated, say, f"run {validated['statement']}")
    table = table_from_text(validated["table"]) if validated["table"] else None
    with db_session(config.postgres_conn_id) as conn:
        seconds = vacuum.run_vacuum(conn, vacuum.vacuum_statement(table, validated["full"]), config, say)
    return {"statement": validated["statement"], "seconds": round(seconds, 3)}
