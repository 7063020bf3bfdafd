"""db_compress_symbol: the uncompressed chunks older than N days whose time range holds rows of one symbol.

A chunk is a time range holding every symbol: compressing it compresses all symbols in that range. "Compress
EURUSD data" therefore means "compress the chunks that hold EURUSD rows"; a chunk without any row of the symbol
(a range before the symbol was traded, or a gap) is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from tsdb_ops.config import OpsConfig
from tsdb_ops.files import read_sql
from tsdb_ops.maintenance.chunk_plan import describe_chunk
from tsdb_ops.params import ParamError
from tsdb_ops.timescale.chunks import Chunk, list_chunks
from tsdb_ops.timescale.table import Table


@dataclass(frozen=True)
class SymbolChunkPlan:
    hypertable: str
    symbol: str
    older_than_days: int
    to_compress: list[Chunk]
    already_compressed: int
    without_symbol: list[Chunk]

    def lines(self) -> list[str]:
        head = (f"{self.hypertable}: {len(self.to_compress)} uncompressed chunks older than {self.older_than_days} days "
                f"hold rows of {self.symbol} ({self.already_compressed} chunks that old are already compressed, "
                f"{len(self.without_symbol)} uncompressed old chunks hold no {self.symbol} row and are left alone)")
        return [head, *(f"  compress {describe_chunk(c)}" for c in self.to_compress)]

    def as_dict(self) -> dict[str, Any]:
        return {"hypertable": self.hypertable, "symbol": self.symbol, "older_than_days": self.older_than_days,
                "to_compress": [c.as_dict() for c in self.to_compress]}


def _composed(name: str, hypertable: Table, config: OpsConfig) -> sql.Composed:
    return sql.SQL(read_sql(f"maintenance/{name}.sql")).format(
        hypertable=hypertable.identifier, symbol_column=sql.Identifier(config.symbol_column),
        time_column=sql.Identifier(config.time_column))


def require_symbol_rows(conn: psycopg.Connection, hypertable: Table, config: OpsConfig, symbol: str) -> None:
    """Fail when no row of ``symbol`` exists: a misspelt symbol would otherwise select nothing in silence."""
    if not conn.execute(_composed("symbol_has_rows", hypertable, config), {"symbol": symbol}).fetchone()[0]:
        raise ParamError(f"param symbol={symbol!r}: {hypertable} holds no row of this symbol; check its spelling")


def chunk_holds_symbol(conn: psycopg.Connection, hypertable: Table, config: OpsConfig, chunk: Chunk,
                       symbol: str) -> bool:
    row = conn.execute(_composed("chunk_holds_symbol", hypertable, config),
                       {"symbol": symbol, "range_start": chunk.range_start, "range_end": chunk.range_end}).fetchone()
    return bool(row[0])


def plan_symbol_compression(conn: psycopg.Connection, hypertable: Table, config: OpsConfig, symbol: str,
                            older_than_days: int) -> SymbolChunkPlan:
    """Old uncompressed chunks (show_chunks(older_than)) split by whether their range holds a row of ``symbol``."""
    old = list_chunks(conn, hypertable, older_than_days=older_than_days)
    pending = [c for c in old if not c.is_compressed]
    holding = [c for c in pending if chunk_holds_symbol(conn, hypertable, config, c, symbol)]
    return SymbolChunkPlan(str(hypertable), symbol, older_than_days, holding,
                           already_compressed=len(old) - len(pending),
                           without_symbol=[c for c in pending if c not in holding])
