"""db_selective_backup: pg_dump of chosen tables, and time-range exports of a table (the input of a recovery).

Guide: Backup and Recovery Procedures, "Selective Backup". ``pg_dump -t market_data -t ml_predictions`` is right
for plain tables, but of a hypertable it dumps the definition and ZERO rows (the rows live in its chunks), and
``pg_dump --table='(SELECT ... WHERE timestamp > NOW() - INTERVAL '30 days')'`` matches no table at all. Here:
plain tables go to one ``pg_dump -Fc -t`` file, hypertables and time ranges are exported with ``COPY (SELECT ...)``
(exports.py). Everything lands under ``backup_root/selective/``, named by the run's time, with a manifest.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from typing import Any

import pendulum

from tsdb_ops.backup.catalog import database_state, resolve_param_table
from tsdb_ops.backup.exports import export_paths, write_range_export
from tsdb_ops.config import OpsConfig, identifier, load_config
from tsdb_ops.db import database_login, db_session
from tsdb_ops.logfiles import BACKUP_LOG, append_log_line
from tsdb_ops.params import (
    EXPORT_DIR,
    ParamError,
    TimeRange,
    check_database_name,
    check_flag,
    check_table_name,
    check_table_names,
    optional_symbol,
    parse_time_range,
    text_param,
)
from tsdb_ops.timescale.table import Table

log = logging.getLogger(__name__)

MODES = ("time_range", "tables")
DEFAULT_RANGE_DAYS = 30  # the guide's "NOW() - INTERVAL '30 days'"

def _export(table: Table, run_after: datetime, config: OpsConfig, time_range: TimeRange | None,
            symbol: str | None, time_column: str) -> dict[str, Any]:
    data_file, manifest_file = export_paths(table.schema, table.name, run_after, config.timezone)
    return {"table": table.qualified, "columns": [list(c) for c in table.columns], "time_column": time_column,
            "range": time_range.as_dict() if time_range else None, "symbol": symbol,
            "symbol_column": config.symbol_column if symbol else None, "data_file": data_file, "manifest_file": manifest_file}


def _time_range_export(conn, params: dict[str, Any], run_after: datetime, config: OpsConfig) -> dict[str, Any]:
    table = resolve_param_table(conn, check_table_name(params.get("table"), "table"), "table", config.time_column)
    column = text_param(params, "time_column") or table.time_column
    if not column or identifier(column) is not None or not table.has_column(column):
        raise ParamError(f"param time_column={text_param(params, 'time_column')!r}: {table.qualified} has no time column "
                         f"{column!r}; name one of its columns {table.column_names}")
    time_range = parse_time_range(params.get("start"), params.get("end"), config.timezone,
                                  default_end=pendulum.instance(run_after), default_days=DEFAULT_RANGE_DAYS)
    symbol = optional_symbol(params.get("symbol"))
    if symbol and not table.has_column(config.symbol_column):
        raise ParamError(f"param symbol={symbol!r}: {table.qualified} has no column {config.symbol_column!r} "
                         "(symbol_column); leave symbol empty")
    return _export(table, run_after, config, time_range, symbol, column)


def validate_selective_backup_params(params: dict[str, Any], run_after: datetime) -> dict[str, Any]:
    """Every param checked (names in the catalog, the range parsed), the files to write logged."""
    config = load_config()
    dry_run = check_flag(params.get("dry_run"), "dry_run")
    mode = params.get("mode")
    if mode not in MODES:
        raise ParamError(f"param mode={mode!r} must be one of {list(MODES)}")
    database = check_database_name(text_param(params, "database") or database_login(config.postgres_conn_id).dbname,
                                   "database")
    with db_session(config.postgres_conn_id) as conn:
        if not database_state(conn, database).exists:
            raise ParamError(f"param database={database!r}: there is no such database; check the name")
    exports: list[dict[str, Any]] = []
    plain: list[Table] = []
    with db_session(config.postgres_conn_id, database) as conn:
        if mode == "time_range":
            exports.append(_time_range_export(conn, params, run_after, config))
        else:
            extra = [name for name in ("start", "end", "symbol", "time_column") if text_param(params, name)]
            if extra:
                raise ParamError(f"params {extra} apply to mode time_range only; clear them or set mode=time_range")
            for name in check_table_names(params.get("tables"), "tables"):
                table = resolve_param_table(conn, name, "tables", config.time_column)
                if table.is_hypertable:
                    exports.append(_export(table, run_after, config, None, None, table.time_column))
                else:
                    plain.append(table)
    stamp = pendulum.instance(run_after).in_timezone(config.timezone).strftime("%Y%m%dT%H%M%S")
    tables_dump = f"{EXPORT_DIR}/tables_{stamp}.backup"
    if plain:
        log.info("pg_dump -Fc -t %s of database %s to %s/%s (verified with pg_restore -l; manifest %s.json)",
                 " -t ".join(t.qualified for t in plain), database, config.backup_root, tables_dump,
                 tables_dump.removesuffix(".backup"))
    for export in exports:
        what = "every row" if export["range"] is None else \
            f"rows with {export['range']['start']} <= {export['time_column']} < {export['range']['end']}"
        hypertable = " (a hypertable: pg_dump -t would dump zero rows of it)" if mode == "tables" else ""
        log.info("COPY %s of %s%s%s from database %s to %s/%s (gzip'd CSV, manifest %s)", what, export["table"], hypertable,
                 f" and {export['symbol_column']} = {export['symbol']!r}" if export["symbol"] else "", database,
                 config.backup_root, export["data_file"], export["manifest_file"])
    if dry_run:
        log.info("Dry run: nothing written. Trigger again with dry_run=false to write exactly these files")
    return {"dry_run": dry_run, "mode": mode, "database": database, "exports": exports, "tables_dump": tables_dump,
            "plain_tables": [[t.schema, t.name] for t in plain]}


def export_time_ranges(validated: dict[str, Any]) -> list[dict[str, Any]]:
    """Write the planned exports (data file, then manifest); a re-run of the same run rewrites the same files."""
    config = load_config()
    written = []
    for export in validated["exports"]:
        with db_session(config.postgres_conn_id, validated["database"]) as conn:
            manifest = write_range_export(
                conn, config.backup_root, data_file=export["data_file"], manifest_file=export["manifest_file"],
                table=export["table"], columns=export["columns"], time_column=export["time_column"],
                time_range=TimeRange.from_dict(export["range"]) if export["range"] else None,
                symbol_column=export["symbol_column"], symbol=export["symbol"],
            )
        log.info("Export written: %s (%d rows, %d bytes), manifest %s", manifest.file, manifest.rows, manifest.size_bytes,
                 export["manifest_file"])
        append_log_line(config, BACKUP_LOG, f"Selective backup written: {manifest.file} ({manifest.rows} rows of "
                                            f"{manifest.table}, {manifest.size_bytes} bytes)")
        written.append({**asdict(manifest), "manifest_file": export["manifest_file"]})
    return written
