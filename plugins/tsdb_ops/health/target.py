"""What the database checks look at: the server's capabilities and the configured table with its chunks."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row

from tsdb_ops.paths import read_sql
from tsdb_ops.timescale.hypertables import parse_table_name, quote_identifier


class HealthTargetError(ValueError):
    """The configured table does not exist in the checked database."""


@dataclass(frozen=True)
class HealthTarget:
    database: str
    server_version: str
    timescaledb_version: str | None
    pg_stat_statements_schema: str | None   # schema of the extension, None when not created in this database
    pg_stat_statements_loaded: bool         # in shared_preload_libraries
    relid: int
    schema: str
    table: str
    is_hypertable: bool
    compression_enabled: bool
    relids: list[int]                       # the chunks of a hypertable, else the table itself

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def params(self) -> dict[str, str]:
        return {"hypertable": f"{quote_identifier(self.schema)}.{quote_identifier(self.table)}",
                "schema": self.schema, "table": self.table}


def resolve_health_target(conn: psycopg.Connection, table_name: str) -> HealthTarget:
    """Capabilities, the table (plain or hypertable) and the relations its statistics are summed over."""
    schema, table = parse_table_name(table_name)
    text = f"{quote_identifier(schema)}.{quote_identifier(table)}" if schema else quote_identifier(table)
    with conn.cursor(row_factory=dict_row) as cur:
        caps = cur.execute(read_sql("health/capabilities.sql")).fetchone()
        found = cur.execute(read_sql("health/resolve_table.sql"), {"table_name": text}).fetchone()
        if found is None:
            raise HealthTargetError(
                f"table {table_name!r} does not exist in database {caps['database']}; check the setting 'hypertable'"
            )
        hyper = None
        if caps["timescaledb_version"]:
            hyper = cur.execute(read_sql("health/hypertable_chunks.sql"), {
                "hypertable": f"{quote_identifier(found['schema_name'])}.{quote_identifier(found['table_name'])}",
                "schema": found["schema_name"], "table": found["table_name"],
            }).fetchone()
    return HealthTarget(
        database=caps["database"],
        server_version=caps["server_version"],
        timescaledb_version=caps["timescaledb_version"],
        pg_stat_statements_schema=caps["pg_stat_statements_schema"],
        pg_stat_statements_loaded=bool(caps["pg_stat_statements_loaded"]),
        relid=found["relid"],
        schema=found["schema_name"],
        table=found["table_name"],
        is_hypertable=hyper is not None,
        compression_enabled=bool(hyper and hyper["compression_enabled"]),
        relids=list(hyper["chunk_relids"]) if hyper else [found["relid"]],
    )
