"""db_compress_symbol: the uncompressed chunks older than N days whose time range holds rows of one symbol.

A chunk is a time range holding every symbol: compressing it compresses all symbols in that range. "Compress
EURUSD data" therefore means "compress the chunks that hold EURUSD rows"; a chunk without any row of the symbol
(a range before the symbol was traded, or a gap) is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tsdb_ops.config import OpsConfig
from tsdb_ops.maintenance.chunk_plan import describe_chunk
from tsdb_ops.params import ParamError
from tsdb_ops.timescale.chunks import Chunk
from tsdb_ops.timescale.table import Table

# The DAG's SQL steps: whether the symbol has any row, and the old chunks with whether each holds one. Their table
# and columns are identifiers (symbol_step_identifiers), composed by the SQL step with psycopg's sql.Identifier.
SYMBOL_HAS_ROWS_SQL = "maintenance/symbol_has_rows.sql"
OLD_CHUNKS_HOLDING_SYMBOL_SQL = "maintenance/old_chunks_holding_symbol.sql"


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


def symbol_step_identifiers(hypertable: Table, config: OpsConfig) -> dict[str, list[str]]:
    """The identifiers of the two SQL files: the hypertable and its symbol and time columns."""
    return {"hypertable": [hypertable.schema, hypertable.name], "symbol_column": [config.symbol_column],
            "time_column": [config.time_column]}


def require_symbol_rows(rows: Sequence[Mapping[str, Any]], hypertable: str, symbol: str) -> None:
    """Fail when SYMBOL_HAS_ROWS_SQL found no row of ``symbol``: a misspelt symbol would otherwise select nothing
    in silence."""
    if not rows[0]["symbol_has_rows"]:
        raise ParamError(f"param symbol={symbol!r}: {hypertable} holds no row of this symbol; check its spelling")


def plan_symbol_compression(hypertable: str, symbol: str, older_than_days: int,
                            rows: Sequence[Mapping[str, Any]]) -> SymbolChunkPlan:
    """The old chunks of OLD_CHUNKS_HOLDING_SYMBOL_SQL (TimescaleDB's show_chunks(older_than)) split into already
    compressed, uncompressed holding a row of ``symbol``, and uncompressed without one."""
    old = [(Chunk(r["chunk_schema"], r["chunk_name"], r["range_start"], r["range_end"], r["is_compressed"]),
            r["holds_symbol"]) for r in rows]
    pending = [(chunk, holds) for chunk, holds in old if not chunk.is_compressed]
    return SymbolChunkPlan(hypertable, symbol, older_than_days, [c for c, holds in pending if holds],
                           already_compressed=len(old) - len(pending),
                           without_symbol=[c for c, holds in pending if not holds])
