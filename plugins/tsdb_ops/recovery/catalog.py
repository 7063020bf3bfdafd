"""Catalog lookups of the recovery DAGs: databases, tables, their columns, time columns and unique indexes.

Every database or table name from a param is looked up here before it is composed (``sql.Identifier``) into a
statement; a name the catalog does not know fails the validation with a message naming the param.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from tsdb_ops.backup.database import database_facts
from tsdb_ops.manual.params import ParamError
from tsdb_ops.paths import read_sql


@dataclass(frozen=True)
class DatabaseState:
    exists: bool
    can_create: bool
    other_sessions: int


@dataclass(frozen=True)
class TableInfo:
    schema: str
    name: str
    columns: list[tuple[str, str]]   # (name, type) in table order
    is_hypertable: bool
    time_column: str | None          # a hypertable's time dimension, or the configured column when the table has it

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def has_column(self, column: str) -> bool:
        return column in self.column_names


def database_state(conn: psycopg.Connection, database: str) -> DatabaseState:
    exists, can_create, sessions = conn.execute(read_sql("recovery/database_state.sql"), {"database": database}).fetchone()
    return DatabaseState(bool(exists), bool(can_create), int(sessions))


def hypertable_time_columns(conn: psycopg.Connection) -> dict[str, str]:
    """schema.table -> time column of every hypertable; empty without TimescaleDB."""
    if database_facts(conn).timescaledb_version is None:
        return {}
    rows = conn.execute(read_sql("backup/hypertable_time_columns.sql")).fetchall()
    return {f"{schema}.{table}": column for schema, table, column in rows}


def resolve_table(conn: psycopg.Connection, name: str, param: str, default_time_column: str) -> TableInfo:
    """The table ``name`` (table or schema.table, already checked as identifiers) from the catalog."""
    row = conn.execute(read_sql("recovery/resolve_table.sql"), {"table": name}).fetchone()
    if row is None:
        database = conn.info.dbname
        raise ParamError(f"param {param}: there is no table {name!r} in database {database!r}; check the name "
                         "(schema.table for a table outside the search_path)")
    schema, table = row
    qualified = sql.Identifier(schema, table).as_string(conn)
    columns = [tuple(r) for r in conn.execute(read_sql("recovery/table_columns.sql"), {"table": qualified}).fetchall()]
    hypertables = hypertable_time_columns(conn)
    is_hypertable = f"{schema}.{table}" in hypertables
    time_column = hypertables.get(f"{schema}.{table}")
    if time_column is None and default_time_column in [c for c, _ in columns]:
        time_column = default_time_column
    return TableInfo(schema, table, columns, is_hypertable, time_column)


def unique_indexes(conn: psycopg.Connection, table: TableInfo) -> dict[str, list[str]]:
    rows = conn.execute(read_sql("recovery/unique_indexes.sql"), {"table": table.identifier.as_string(conn)}).fetchall()
    return {name: list(columns) for name, columns in rows}
