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

from tsdb_ops.backup.catalog import resolve_param_table, unique_indexes
from tsdb_ops.backup.exports import ExportManifest, compose_sql, copy_export_into, newest_export, read_export
from tsdb_ops.config import load_config
from tsdb_ops.db import database_login
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
    """Every param checked (the export against its manifest, the table in the catalog, symbol and range), the
    plan logged with the rows the target holds now."""
    config = load_config()
    login = database_login(config.postgres_conn_id)
    dry_run = check_flag(params.get("dry_run"), "dry_run")
    export_file = check_export_path(params.get("export"))
    symbol_param = optional_symbol(params.get("symbol"))
    with login.connect(prepare_threshold=None) as conn:
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
        indexes = unique_indexes(conn, table)
        if not indexes:
            raise ParamError(f"{table.qualified} has no unique index: ON CONFLICT DO NOTHING could not tell present rows "
                             "from missing ones and would insert duplicates; create the unique index (e.g. "
                             f"{config.reorder_index}) first")
        present = conn.execute(compose_sql("count_rows_of_symbol", table=(table.schema, table.name),
                                              time_column=export.time_column, symbol_column=config.symbol_column),
                               {"symbol": symbol, **time_range.as_dict()}).fetchone()[0]
    recovery_table = recovery_table_name(table.name, run_after, config.timezone)
    validated = {
        "dry_run": dry_run, "export": export_file, "export_rows": export.rows, "table": [table.schema, table.name],
        "columns": export.column_names, "time_column": export.time_column, "symbol_column": config.symbol_column,
        "symbol": symbol, "range": time_range.as_dict(), "recovery_table": [table.schema, recovery_table],
        "present_before": present,
    }
    log.info("Export %s: %d rows of %s (%s, %s), size and sha256 match its manifest", export_file, export.rows,
             export.table, export.symbol or "every symbol", export.range or "every time")
    log.info("%s now holds %d rows with %s = %r and %s <= %s < %s; unique indexes: %s", table.qualified, present,
             config.symbol_column, symbol, time_range.start.isoformat(), export.time_column, time_range.end.isoformat(),
             ", ".join(f"{n} ({', '.join(c)})" for n, c in indexes.items()))
    log.info("Plan 1: CREATE TABLE %s.%s (LIKE %s)", table.schema, recovery_table, table.qualified)
    log.info("Plan 2: load the %d rows of the export into it (COPY FROM STDIN)", export.rows)
    log.info("Plan 3: INSERT INTO %s the rows of %r in that range it lacks, ON CONFLICT DO NOTHING; report the rows "
             "inserted and already present", table.qualified, symbol)
    log.info("Plan 4: DROP TABLE %s.%s (also when a step fails)", table.schema, recovery_table)
    if dry_run:
        log.info("Dry run: nothing changed. Trigger again with dry_run=false, export=%s, symbol=%s, start=%s, end=%s to "
                 "do exactly this", export_file, symbol, time_range.start.isoformat(), time_range.end.isoformat())
    return validated


def _session(validated: dict[str, Any], what: str):
    """A session of the run's database; the acting tasks are skipped in a dry run by their shell (tasks/)."""
    return database_login(load_config().postgres_conn_id).connect(prepare_threshold=None)


def create_recovery_table(validated: dict[str, Any]) -> str:
    with _session(validated, "recovery table not created") as conn:
        names = {"recovery_table": tuple(validated["recovery_table"])}
        conn.execute(compose_sql("drop_recovery_table", **names))
        conn.execute(compose_sql("create_recovery_table", table=tuple(validated["table"]), **names))
    name = ".".join(validated["recovery_table"])
    log.info("Created %s", name)
    return name


def load_export_into_recovery_table(validated: dict[str, Any]) -> int:
    config = load_config()
    export = read_export(config.backup_root, validated["export"])  # checked again: the file may have changed since
    with _session(validated, "export not loaded") as conn:
        recovery = tuple(validated["recovery_table"])
        conn.execute(compose_sql("truncate_recovery_table", recovery_table=recovery))
        rows = copy_export_into(conn, config.backup_root, export,
                                compose_sql("load_recovery_table", recovery_table=recovery, columns=validated["columns"]))
    if rows != export.rows:
        raise RuntimeError(f"Loaded {rows} rows from {validated['export']}, its manifest says {export.rows}: the export is "
                           "inconsistent; nothing was inserted")
    log.info("Loaded %d rows into %s", rows, ".".join(validated["recovery_table"]))
    return rows


def insert_missing_rows(validated: dict[str, Any]) -> dict[str, Any]:
    """Insert the missing rows in one statement; report inserted and already-present rows."""
    parts = {"table": tuple(validated["table"]), "recovery_table": tuple(validated["recovery_table"]),
             "columns": validated["columns"], "time_column": validated["time_column"],
             "symbol_column": validated["symbol_column"]}
    values = {"symbol": validated["symbol"], **validated["range"]}
    with _session(validated, "rows not inserted") as conn:
        with conn.transaction():
            count = compose_sql("count_rows_of_symbol", table=parts["recovery_table"],
                                   time_column=parts["time_column"], symbol_column=parts["symbol_column"])
            candidates = conn.execute(count, values).fetchone()[0]
            inserted = conn.execute(compose_sql("insert_missing_rows", **parts), values).rowcount
    report = {"table": ".".join(validated["table"]), "symbol": validated["symbol"], **validated["range"],
              "rows_in_export_range": candidates, "inserted": inserted, "already_present": candidates - inserted}
    message = (f"Selective recovery of {report['table']} {validated['symbol']} [{report['start']}, {report['end']}) from "
               f"{validated['export']}: {inserted} rows inserted, {candidates - inserted} already present")
    log.info(message)
    append_log_line(load_config(), BACKUP_LOG, message)
    return report


def drop_recovery_table(validated: dict[str, Any]) -> None:
    """Teardown: drop the run's recovery table, whatever happened before (nothing to do in a dry run)."""
    if validated["dry_run"]:
        return
    with database_login(load_config().postgres_conn_id).connect(prepare_threshold=None, autocommit=True) as conn:
        conn.execute(compose_sql("drop_recovery_table", recovery_table=tuple(validated["recovery_table"])))
    log.info("Dropped %s", ".".join(validated["recovery_table"]))
