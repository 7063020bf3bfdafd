"""Catalog lookups of the recovery DAGs: databases, tables, their columns and time columns.

Every database or table name from a param is looked up here before it is composed (``sql.Identifier``) into a
statement; a name the catalog does not know fails the validation with a message naming the param.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from tsdb_ops.files import read_sql
from tsdb_ops.params import ParamError
from tsdb_ops.timescale.table import Table, TableError, resolve_table


@dataclass(frozen=True)
class DatabaseState:
    exists: bool
    can_create: bool
    other_sessions: int


def database_state(conn: psycopg.Connection, database: str) -> DatabaseState:
    exists, can_create, sessions = conn.execute(read_sql("backup/database_state.sql"), {"database": database}).fetchone()
    return DatabaseState(bool(exists), bool(can_create), int(sessions))


def resolve_param_table(conn: psycopg.Connection, name: str, param: str, default_time_column: str) -> Table:
    """The table ``name`` of param ``param`` (table or schema.table, already checked as identifiers) from the
    catalog, with its columns; a name the catalog does not know fails naming the param."""
    try:
        return resolve_table(conn, name, setting=param, require_hypertable=False, with_columns=True,
                             default_time_column=default_time_column)
    except TableError:
        raise ParamError(f"param {param}: there is no table {name!r} in database {conn.info.dbname!r}; check the name "
                         "(schema.table for a table outside the search_path)") from None
