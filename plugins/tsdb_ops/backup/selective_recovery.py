"""db_selective_recovery: put back the rows of one symbol and time range that a table lost, from a time-range export.

Guide: Recovery Procedures, "Selective Data Recovery". The guide creates ``market_data_recovery (LIKE
market_data)``, then ``pg_restore -t market_data_recovery`` from a dump that holds no such table (and, for a
hypertable, no rows under market_data at all: they are in chunk tables, compressed ones in compressed form), then
a plain ``INSERT ... SELECT * ... BETWEEN`` that fails on the first row still present. Here the source is a
time-range export of db_selective_backup (to recover from a full backup: restore it into a new database with
db_restore, export the range there, recover from that export); it is loaded into a recovery table with a name
unique to the run, the missing rows are inserted with ``ON CONFLICT DO NOTHING`` (a unique index must exist),
the report says how many were inserted and how many were already there, and the table is dropped (also on failure).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pendulum

from tsdb_ops.backup.catalog import resolve_param_table
from tsdb_ops.backup.exports import ExportManifest, compose_sql, copy_export_into, newest_export, read_export
from tsdb_ops.config import load_config
from tsdb_ops.db import db_session
from tsdb_ops.logfiles import BACKUP_LOG, append_log_line
from tsdb_ops.params import (
    ParamError,
    TimeRange,
    check_export_path,
    check_flag,
    check_symbol,
    check_table_name,
    optional_symbol,
    parse_time_range,
    text_param,
)

log = logging.getLogger(__name__)

# The SQL steps of the recovery, run as SQLExecuteQueryOperators with the validation's identifiers and sql_params.
UNIQUE_INDEXES_SQL = "backup/unique_indexes.sql"
ROWS_PRESENT_SQL = "backup/count_rows_of_symbol.sql"
CREATE_RECOVERY_TABLE_SQL = "backup/create_recovery_table.sql"
INSERT_MISSING_ROWS_SQL = "backup/insert_missing_rows.sql"
DROP_RECOVERY_TABLE_SQL = "backup/drop_recovery_table.sql"
# The steps that change the database, each skipped in a dry run (by the run's validation, also when cleared alone).
ACTING_STEPS = {"create_recovery_table": "create the recovery table", "insert_missing_rows": "insert the missing rows",
                "drop_recovery_table": "drop the recovery table"}


def recovery_table_name(table: str, run_after: datetime, timezone: str) -> str:
    """``<table>_recovery_<YYYYMMDDHHMMSS>`` (run time), within the 63-character identifier limit."""
    return f"{table[:30]}_recovery_{pendulum.instance(run_after).in_timezone(timezone).strftime('%Y%m%d%H%M%S')}"


def column_differences(export_columns: list[list[str]], table_columns: list[tuple[str, str]]) -> list[str]:
    """What keeps an export from loading into a table of the given columns (pure); empty when they match."""
    want = [tuple(c) for c in export_columns]
    have = [tuple(c) for c in table_columns]
    if want == have:
        return []
    problems = [f"column {n} {t} of the export is missing from the table" for n, t in want if (n, t) not in have]
    problems += [f"column {n} {t} of the table is not in the export" for n, t in have if (n, t) not in want]
    return problems or ["the columns are in a different order"]


def choose_symbol_and_range(export: ExportManifest, symbol_param: Any, start: Any, end: Any,
                            timezone: str) -> tuple[str, TimeRange]:
    """The symbol and range to recover: the params, else the export's; both must lie within the export (pure)."""
    symbol = optional_symbol(symbol_param) or export.symbol
    if symbol is None:
        raise ParamError("param symbol is empty and the export holds every symbol: give the symbol to recover, e.g. EURUSD")
    check_symbol(symbol)
    if export.symbol is not None and symbol != export.symbol:
        raise ParamError(f"param symbol={symbol!r}: the export holds only {export.symbol!r}")
    exported = export.time_range
    if exported is None and (start in (None, "") or end in (None, "")):
        raise ParamError("the export holds every time: give start and end of the range to recover")
    time_range = parse_time_range(start or (exported.start.isoformat() if exported else ""),
                                  end or (exported.end.isoformat() if exported else ""), timezone)
    if exported is not None and not exported.covers(time_range):
        raise ParamError(f"params start/end [{time_range.start.isoformat()}, {time_range.end.isoformat()}) reach outside "
                         f"the export's range [{exported.start.isoformat()}, {exported.end.isoformat()}): it holds no "
                         "rows there; narrow the range or use another export")
    return symbol, time_range


def validate_selective_recovery_params(params: dict[str, Any], run_after: datetime) -> dict[str, Any]:
    """Every param checked (the export against its manifest, the table in the catalog, symbol and range); what the
    recovery's SQL steps need: their ``identifiers`` (tables and columns, composed by psycopg's sql.Identifier),
    their bind parameters (``sql_params``) and, in a dry run, the acting steps to ``skip``."""
    config = load_config()
    dry_run = check_flag(params.get("dry_run"), "dry_run")
    export_file = check_export_path(params.get("export"))
    symbol_param = optional_symbol(params.get("symbol"))
    with db_session(config.postgres_conn_id) as conn:
        if export_file is None:
            hypertable = resolve_param_table(conn, check_table_name(config.hypertable, "hypertable"), "export",
                                             config.time_column)
            export_file = newest_export(config.backup_root, hypertable.qualified)
        export = read_export(config.backup_root, export_file)
        symbol, time_range = choose_symbol_and_range(export, symbol_param, text_param(params, "start"),
                                                     text_param(params, "end"), config.timezone)
        table = resolve_param_table(conn, export.table, "export", config.time_column)
        problems = column_differences(export.columns, table.columns)
        if problems:
            raise ParamError(f"export {export_file} does not fit {table.qualified} any more: {'; '.join(problems)}")
        if not table.has_column(config.symbol_column):
            raise ParamError(f"{table.qualified} has no column {config.symbol_column!r} (symbol_column)")
        table_text = table.identifier.as_string(conn)
    recovery_table = recovery_table_name(table.name, run_after, config.timezone)
    log.info("Export %s: %d rows of %s (%s, %s), size and sha256 match its manifest", export_file, export.rows,
             export.table, export.symbol or "every symbol", export.range or "every time")
    return {
        "dry_run": dry_run, "export": export_file, "export_rows": export.rows, "table": [table.schema, table.name],
        "columns": export.column_names, "time_column": export.time_column, "symbol_column": config.symbol_column,
        "symbol": symbol, "range": time_range.as_dict(), "recovery_table": [table.schema, recovery_table],
        "identifiers": {"table": [table.schema, table.name], "recovery_table": [table.schema, recovery_table],
                        "time_column": export.time_column, "symbol_column": config.symbol_column},
        "sql_params": {"table": table_text, "symbol": symbol, **time_range.as_dict()},
        "skip": {step: f"dry run: {what} not done" for step, what in ACTING_STEPS.items()} if dry_run else {},
    }


def check_recovery_plan(validated: dict[str, Any], unique_indexes: list[dict[str, Any]],
                        rows_present: list[dict[str, Any]]) -> dict[str, Any]:
    """Judge what the SQL steps read (the table's unique indexes, the rows of the range it holds now) and log the
    plan. Without a unique index ON CONFLICT DO NOTHING cannot tell present rows from missing ones."""
    table = ".".join(validated["table"])
    indexes = {row["index_name"]: list(row["index_columns"]) for row in unique_indexes}
    if not indexes:
        raise ParamError(f"{table} has no unique index: ON CONFLICT DO NOTHING could not tell present rows from missing "
                         "ones and would insert duplicates; create the unique index (e.g. "
                         f"{load_config().reorder_index}) first")
    present = int(rows_present[0]["row_count"])
    start, end = validated["range"]["start"], validated["range"]["end"]
    recovery_table = ".".join(validated["recovery_table"])
    log.info("%s now holds %d rows with %s = %r and %s <= %s < %s; unique indexes: %s", table, present,
             validated["symbol_column"], validated["symbol"], start, validated["time_column"], end,
             ", ".join(f"{n} ({', '.join(c)})" for n, c in indexes.items()))
    log.info("Plan 1: CREATE TABLE %s (LIKE %s)", recovery_table, table)
    log.info("Plan 2: load the %d rows of the export into it (COPY FROM STDIN)", validated["export_rows"])
    log.info("Plan 3: INSERT INTO %s the rows of %r in that range it lacks, ON CONFLICT DO NOTHING; report the rows "
             "inserted and already present", table, validated["symbol"])
    log.info("Plan 4: DROP TABLE %s (also when a step fails)", recovery_table)
    if validated["dry_run"]:
        log.info("Dry run: nothing changed. Trigger again with dry_run=false, export=%s, symbol=%s, start=%s, end=%s to "
                 "do exactly this", validated["export"], validated["symbol"], start, end)
    return {"present_before": present, "unique_indexes": indexes}


def load_export_into_recovery_table(validated: dict[str, Any]) -> int:
    config = load_config()
    export = read_export(config.backup_root, validated["export"])  # checked again: the file may have changed since
    with db_session(config.postgres_conn_id) as conn:
        recovery = tuple(validated["recovery_table"])
        conn.execute(compose_sql("truncate_recovery_table", recovery_table=recovery))
        rows = copy_export_into(conn, config.backup_root, export,
                                compose_sql("load_recovery_table", recovery_table=recovery, columns=validated["columns"]))
    if rows != export.rows:
        raise RuntimeError(f"Loaded {rows} rows from {validated['export']}, its manifest says {export.rows}: the export is "
                           "inconsistent; nothing was inserted")
    log.info("Loaded %d rows into %s", rows, ".".join(validated["recovery_table"]))
    return rows


def report_recovered_rows(validated: dict[str, Any], counts: list[dict[str, Any]]) -> dict[str, Any]:
    """The insert's counts (INSERT_MISSING_ROWS_SQL: the export's rows in the range, those inserted) as the run's
    report, in the task log and backup.log."""
    candidates, inserted = int(counts[0]["rows_in_export_range"]), int(counts[0]["inserted"])
    report = {"table": ".".join(validated["table"]), "symbol": validated["symbol"], **validated["range"],
              "rows_in_export_range": candidates, "inserted": inserted, "already_present": candidates - inserted}
    message = (f"Selective recovery of {report['table']} {validated['symbol']} [{report['start']}, {report['end']}) from "
               f"{validated['export']}: {inserted} rows inserted, {candidates - inserted} already present")
    log.info(message)
    append_log_line(load_config(), BACKUP_LOG, message)
    return report
