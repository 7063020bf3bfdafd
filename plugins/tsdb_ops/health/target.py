"""What the database checks look at: the server's capabilities and the configured table with its chunks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from tsdb_ops.files import read_sql
from tsdb_ops.timescale.table import Table, resolve_table


@dataclass(frozen=True)
class HealthTarget:
    database: str
    server_version: str
    timescaledb_version: str | None
    pg_stat_statements_schema: str | None   # schema of the extension, None when not created in this database
    pg_stat_statements_loaded: bool         # in shared_preload_libraries
    table: Table
    relids: list[int]                       # the chunks of a hypertable, else the table itself

    @property
    def name(self) -> str:
        return str(self.table)

    @property
    def sql_params(self) -> dict[str, Any]:
        """Bind parameters of the statistics queries: the table (or its chunks) and the parent's oid."""
        return {"relids": self.relids, "parent_relid": self.table.relid}

    def as_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in self.__dict__.items() if k != "table"}, "table": asdict(self.table),
                "sql_params": self.sql_params}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HealthTarget:
        fields = {k: v for k, v in data.items() if k not in ("table", "sql_params")}
        return cls(**fields, table=Table(**data["table"]))


def resolve_health_target(conn: psycopg.Connection, table_name: str) -> HealthTarget:
    """Capabilities, the table (plain or hypertable) and the relations its statistics are summed over."""
    table = resolve_table(conn, table_name, require_hypertable=False)
    with conn.cursor(row_factory=dict_row) as cur:
        caps = cur.execute(read_sql("health/capabilities.sql")).fetchone()
        relids = [table.relid]
        if table.is_hypertable:
            relids = list(cur.execute(read_sql("health/chunk_relids.sql"), table.params).fetchone()["chunk_relids"])
    return HealthTarget(
        database=caps["database"],
        server_version=caps["server_version"],
        timescaledb_version=caps["timescaledb_version"],
        pg_stat_statements_schema=caps["pg_stat_statements_schema"],
        pg_stat_statements_loaded=bool(caps["pg_stat_statements_loaded"]),
        table=table,
        relids=relids,
    )
