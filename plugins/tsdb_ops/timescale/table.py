"""A table named in config or params: validated, quoted, and resolved against the database catalog.

One type for every subject: the maintenance steps need a hypertable, the health checks and the backups take a
plain table too (plain PostgreSQL, or not converted yet). A name is checked as SQL identifiers before it reaches
the server, and reaches SQL only as quoted regclass text or ``sql.Identifier``.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from tsdb_ops.config import qualified_identifier
from tsdb_ops.files import read_sql


class TableError(ValueError):
    """The name is not a valid table name, the table does not exist, or it is not the hypertable a step needs."""


def quote_identifier(name: str) -> str:
    """Double-quote one identifier (as PostgreSQL's quote_ident would, but always quoting)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    is_hypertable: bool = True
    time_column: str | None = None      # a hypertable's time dimension
    compression_enabled: bool = False
    relid: int = 0                      # 0 when built from a name alone (a validated task result)
    columns: tuple[tuple[str, str], ...] = ()   # (name, type) in table order, when asked for

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def has_column(self, column: str) -> bool:
        return column in self.column_names

    @property
    def regclass_text(self) -> str:
        """Text for a ``%(hypertable)s::regclass`` parameter: quoted, so case and keywords are kept."""
        return f"{quote_identifier(self.schema)}.{quote_identifier(self.name)}"

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)

    @property
    def params(self) -> dict[str, str]:
        """The bind parameters the SQL files use to name the table."""
        return {"hypertable": self.regclass_text, "schema": self.schema, "table": self.name}

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


def parse_table_name(name: str, setting: str = "hypertable") -> tuple[str | None, str]:
    """Split ``schema.table`` or ``table`` after validating it as SQL identifiers (never formatted into SQL)."""
    problem = qualified_identifier(name)
    if problem:
        raise TableError(f"{setting} name {name!r} must be {problem}; fix the setting {setting!r}")
    schema, _, table = name.rpartition(".")
    return (schema or None), table


def table_from_text(text: str) -> Table:
    """The hypertable of a validated task result (``schema.table`` as resolved before)."""
    schema, _, name = text.partition(".")
    return Table(schema, name)


def resolve_table(conn: psycopg.Connection, name: str, *, setting: str = "hypertable", require_hypertable: bool = True,
                  with_columns: bool = False, default_time_column: str | None = None) -> Table:
    """Find the table ``name`` (unqualified names follow the session's search_path) or fail naming ``setting``.

    ``with_columns`` reads its columns too; ``default_time_column`` is the time column of a plain table that has
    it (a hypertable's is its time dimension)."""
    schema, table = parse_table_name(name, setting)
    text = f"{quote_identifier(schema)}.{quote_identifier(table)}" if schema else quote_identifier(table)
    row = conn.execute(read_sql("timescale/resolve_table.sql"), {"table_name": text}).fetchone()
    if row is None:
        raise TableError(f"table {name!r} does not exist in database {conn.info.dbname!r}; check the setting {setting!r}")
    relid, schema_name, table_name, timescaledb_version = row
    facts = None
    if timescaledb_version:
        facts = conn.execute(read_sql("timescale/hypertable_facts.sql"),
                             {"schema": schema_name, "table": table_name}).fetchone()
    if facts is None and require_hypertable:
        raise TableError(f"table {schema_name}.{table_name} is not a TimescaleDB hypertable; create it with "
                         "create_hypertable() first")
    columns: tuple[tuple[str, str], ...] = ()
    if with_columns or default_time_column:
        regclass = f"{quote_identifier(schema_name)}.{quote_identifier(table_name)}"
        columns = tuple(tuple(r) for r in conn.execute(read_sql("timescale/table_columns.sql"), {"table": regclass}))
    time_column = facts[0] if facts else None
    if time_column is None and default_time_column in [c for c, _ in columns]:
        time_column = default_time_column
    return Table(schema_name, table_name, is_hypertable=facts is not None, time_column=time_column,
                 compression_enabled=bool(facts and facts[1]), relid=int(relid), columns=columns if with_columns else ())
