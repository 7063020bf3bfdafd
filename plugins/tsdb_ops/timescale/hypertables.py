"""A hypertable named in config or params: validated, quoted, and resolved against the database."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from tsdb_ops.config import qualified_identifier
from tsdb_ops.paths import read_sql


class HypertableError(ValueError):
    """The name is not a valid table name, or the table is not a TimescaleDB hypertable."""


def quote_identifier(name: str) -> str:
    """Double-quote one identifier (as PostgreSQL's quote_ident would, but always quoting)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Hypertable:
    schema: str
    name: str

    @property
    def regclass_text(self) -> str:
        """Text for a ``%(hypertable)s::regclass`` parameter: quoted, so case and keywords are kept."""
        return f"{quote_identifier(self.schema)}.{quote_identifier(self.name)}"

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)

    @property
    def params(self) -> dict[str, str]:
        """The bind parameters the SQL files use to name the hypertable."""
        return {"hypertable": self.regclass_text, "schema": self.schema, "table": self.name}

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


def parse_table_name(name: str) -> tuple[str | None, str]:
    """Split ``schema.table`` or ``table`` after validating it as SQL identifiers (never formatted into SQL)."""
    problem = qualified_identifier(name)
    if problem:
        raise HypertableError(f"hypertable name {name!r} must be {problem}; fix the setting 'hypertable'")
    schema, _, table = name.rpartition(".")
    return (schema or None), table


def resolve_hypertable(conn: psycopg.Connection, name: str) -> Hypertable:
    """Find the hypertable ``name`` (unqualified names follow the session's search_path) or fail clearly."""
    schema, table = parse_table_name(name)
    text = f"{quote_identifier(schema)}.{quote_identifier(table)}" if schema else quote_identifier(table)
    row = conn.execute(read_sql("maintenance/resolve_hypertable.sql"), {"table_name": text}).fetchone()
    if row is None or row[0] is None:
        raise HypertableError(f"table {name!r} does not exist in this database; check the setting 'hypertable'")
    if not row[2]:
        raise HypertableError(
            f"table {row[0]}.{row[1]} is not a TimescaleDB hypertable; create it with create_hypertable() first"
        )
    return Hypertable(row[0], row[1])
