"""Time-range exports: rows of a table in [start, end) (optionally one symbol) as gzip'd CSV, with a manifest.

Layout under ``backup_root``::

    selective/<schema>.<table>_<YYYYMMDDTHHMMSS>.csv.gz   COPY (SELECT ...) TO STDOUT (FORMAT csv), gzip'd
    selective/<schema>.<table>_<YYYYMMDDTHHMMSS>.json     this module's manifest, written last

The data file is written under a ``.partial`` name, read back (gzip CRC) and renamed; the manifest (table,
columns with types, time column, range, symbol, rows, sha256) is written atomically after it, so an export
without a manifest is not one. db_selective_recovery reads only exports whose file matches the manifest.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pendulum
import psycopg
from psycopg import sql

from tsdb_ops.backup.artefacts import publish, sha256_of
from tsdb_ops.backup.layout import partial_path
from tsdb_ops.files import read_sql, write_atomically
from tsdb_ops.params import EXPORT_DIR, ParamError, TimeRange

EXPORT_KIND = "time_range_export"
EXPORT_FORMAT_VERSION = 1
# An export of a whole table (tables mode) spans every time: these bounds are bound as timestamptz text.
ALL_TIME = ("-infinity", "infinity")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ExportManifest:
    database: str
    table: str                        # schema.table
    columns: list[list[str]]          # [name, type] in table order
    time_column: str
    range: dict[str, str] | None      # {"start", "end"} ISO 8601, start <= time < end; None: every row
    symbol_column: str | None
    symbol: str | None
    rows: int
    file: str                         # relative to backup_root
    size_bytes: int
    sha256: str
    created_at: str
    duration_seconds: float
    kind: str = EXPORT_KIND
    format_version: int = EXPORT_FORMAT_VERSION

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def time_range(self) -> TimeRange | None:
        return TimeRange.from_dict(self.range) if self.range else None


def export_paths(schema: str, table: str, run_after: datetime, timezone: str) -> tuple[str, str]:
    """(data file, manifest) of an export, relative to backup_root, named by the run's time."""
    stem = f"{EXPORT_DIR}/{schema}.{table}_{pendulum.instance(run_after).in_timezone(timezone).strftime('%Y%m%dT%H%M%S')}"
    return f"{stem}.csv.gz", f"{stem}.json"


def compose_sql(template: str, **identifiers: Any) -> sql.Composed:
    """An SQL file of this area with its ``{placeholders}`` composed: names as identifiers, lists comma-joined."""
    parts = {name: sql.SQL(", ").join(map(sql.Identifier, value)) if isinstance(value, list)
             else sql.Identifier(*value) if isinstance(value, tuple) else sql.Identifier(value)
             for name, value in identifiers.items()}
    return sql.SQL(read_sql(f"backup/{template}.sql")).format(**parts)


def _write_copy_out(conn: psycopg.Connection, statement: sql.Composed, params: dict[str, Any], partial: Path) -> int:
    """COPY ... TO STDOUT into a gzip file; rows copied. The file is removed when anything fails."""
    partial.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(partial, "wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed, conn.cursor() as cur:
                with conn.transaction():
                    cur.execute(read_sql("backup/set_copy_session.sql"))
                    with cur.copy(statement, params) as copy:
                        for data in copy:
                            packed.write(data)
                    rows = cur.rowcount
            raw.flush()
            os.fsync(raw.fileno())
        with gzip.open(partial, "rb") as check:  # read back: a truncated or corrupt file fails its CRC here
            while check.read(_CHUNK):
                pass
        return rows
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_range_export(conn: psycopg.Connection, backup_root: str, *, data_file: str, manifest_file: str, table: str,
                       columns: list[list[str]], time_column: str, time_range: TimeRange | None,
                       symbol_column: str | None, symbol: str | None) -> ExportManifest:
    """Export the rows of ``table`` in ``time_range`` (None: all) and of ``symbol`` (None: all); data, then manifest."""
    started = time.monotonic()
    schema, name = table.split(".", 1)
    names = [column for column, _ in columns]
    bounds = (time_range.start, time_range.end) if time_range else ALL_TIME
    params: dict[str, Any] = {"start": bounds[0], "end": bounds[1]}
    if symbol is None:
        statement = compose_sql("export_time_range", columns=names, table=(schema, name), time_column=time_column)
    else:
        statement = compose_sql("export_time_range_of_symbol", columns=names, table=(schema, name),
                                   time_column=time_column, symbol_column=symbol_column)
        params["symbol"] = symbol
    rows = _write_copy_out(conn, statement, params, Path(backup_root) / partial_path(data_file))
    seconds = time.monotonic() - started
    artefact = publish(backup_root, "time_range_export", data_file, duration_seconds=seconds,
                       verification=f"gzip read back: {rows} rows")
    manifest = ExportManifest(
        database=conn.info.dbname, table=table, columns=columns, time_column=time_column,
        range=time_range.as_dict() if time_range else None, symbol_column=symbol_column if symbol else None,
        symbol=symbol, rows=rows, file=data_file, size_bytes=artefact.size_bytes, sha256=artefact.sha256,
        created_at=pendulum.now("UTC").isoformat(), duration_seconds=round(seconds, 3),
    )
    write_atomically(Path(backup_root) / manifest_file, json.dumps(asdict(manifest), indent=2).encode())
    return manifest


def read_export(backup_root: str, manifest_file: str) -> ExportManifest:
    """The export described by ``manifest_file``, with its data file checked (size and sha256)."""
    path = Path(backup_root) / manifest_file
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ParamError(f"param export={manifest_file!r}: cannot read {path} ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != EXPORT_KIND or data.get("format_version") != EXPORT_FORMAT_VERSION:
        raise ParamError(f"param export={manifest_file!r} is not a time-range export manifest (a pg_dump of tables is "
                         "restored with pg_restore, not by db_selective_recovery); give a .json written by "
                         "db_selective_backup in mode time_range")
    try:
        manifest = ExportManifest(**data)
    except TypeError as exc:
        raise ParamError(f"param export={manifest_file!r}: unreadable export manifest ({exc})") from None
    file = Path(backup_root) / manifest.file
    if not file.is_file() or file.stat().st_size != manifest.size_bytes or sha256_of(file) != manifest.sha256:
        raise ParamError(f"param export={manifest_file!r}: {manifest.file} is missing or differs from its manifest (size "
                         "or sha256): the export is damaged; choose another export")
    return manifest


def newest_export(backup_root: str, table: str) -> str:
    """The newest export manifest (by its run time in the name) of ``table`` (schema.table)."""
    folder = Path(backup_root) / EXPORT_DIR
    candidates = []
    for path in sorted(folder.glob(f"{table}_*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and data.get("kind") == EXPORT_KIND and data.get("table") == table:
            candidates.append(f"{EXPORT_DIR}/{path.name}")
    if not candidates:
        raise ParamError(f"No time-range export of {table} under {folder}: run db_selective_backup (mode time_range) "
                         "first, or give param export")
    return candidates[-1]


def copy_export_into(conn: psycopg.Connection, backup_root: str, export: ExportManifest, statement: sql.Composed) -> int:
    """Stream the export's CSV into ``statement`` (a COPY ... FROM STDIN) in one transaction; rows loaded."""
    with conn.transaction(), conn.cursor() as cur, gzip.open(Path(backup_root) / export.file, "rb") as source:
        cur.execute(read_sql("backup/set_copy_session.sql"))
        with cur.copy(statement) as copy:
            while data := source.read(_CHUNK):
                copy.write(data)
        return cur.rowcount
