"""Data distribution per symbol and timeframe (rows, oldest, newest, bytes) from TimescaleDB's own metadata.

The guide's "Check Data Distribution" groups every row of the hypertable by symbol and timeframe, decompressing
every compressed chunk. Here:

- **compressed chunks**: the compressed companion table keeps, per batch of up to 1000 rows of one segment, the
  row count (``_ts_meta_count``) and the min/max of the time column. Compression is segmented by symbol, so
  rows, oldest and newest **per symbol are exact** without reading a compressed value;
- **rows not compressed** (the recent, uncompressed chunks, and rows inserted into a compressed chunk later) are
  counted exactly per symbol and timeframe (``FROM ONLY`` the chunk's heap): the only rows read;
- **per timeframe inside compressed chunks** the metadata has no count (timeframe is not a segmentby column, and
  compression settings are not this module's to change). Where the chunk has bloom filters on the timeframe
  column (TimescaleDB 2.20+ adds them for the unique index), a timeframe they rule out is absent (no false
  negatives), and a symbol whose batches admit only one timeframe is exact. Otherwise a symbol's compressed rows
  are split over the timeframes the filters admit in the proportions of its exactly counted recent rows (or of
  all symbols' recent rows, or evenly): an **estimate**, labelled as such in every line;
- **bytes** are each chunk's size now (``chunks_detailed_size``) shared out by row count: always an estimate.

Cost: five statements whatever the number of chunks (the per-chunk aggregates are joined with UNION ALL): the
catalog, the metadata of about rows/1000 compressed batches, and the rows not compressed (chunks with status
bits partial or unordered, and uncompressed chunks).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from tsdb_ops.files import read_sql
from tsdb_ops.timescale.chunks import Chunk
from tsdb_ops.timescale.table import Table, quote_identifier

CHUNKS_SQL = "timescale/distribution_chunks.sql"
COLUMNS_SQL = "timescale/distribution_columns.sql"
SEGMENTS_SQL = "timescale/distribution_segments.sql"
BLOOM_ADMITTED_SQL = "timescale/distribution_bloom_admitted.sql"
HEAP_ROWS_SQL = "timescale/distribution_heap_rows.sql"
# The uncompressed chunks lying within [start, end): the chunks a time-range compression takes (a SQL step).
CHUNKS_IN_RANGE_SQL = "timescale/uncompressed_chunks_in_range.sql"

# MetaTrader 5's timeframes: candidates the bloom filters are asked about, besides every value counted exactly.
MT5_TIMEFRAMES = ("M1", "M2", "M3", "M4", "M5", "M6", "M10", "M12", "M15", "M20", "M30",
                  "H1", "H2", "H3", "H4", "H6", "H8", "H12", "D1", "W1", "MN1")
ALL = None  # the timeframe of a per-symbol line (every timeframe of the symbol)


@dataclass(frozen=True)
class DistributionLine:
    """One symbol (``timeframe`` None: all its timeframes), one timeframe (``symbol`` None) or one pair."""

    symbol: str | None
    timeframe: str | None
    rows: int
    rows_exact: bool            # False: part of the rows is an estimate (compressed rows split by timeframe)
    oldest: datetime | None
    newest: datetime | None
    range_exact: bool           # False: a bound of a compressed batch that may hold the timeframe (bloom filter)
    bytes_estimate: int         # chunk size now shared out by rows: always an estimate
    compressed_rows: int = 0    # rows of this line that are in compressed batches

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("oldest", "newest"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DistributionLine:
        return cls(**{**data, **{k: datetime.fromisoformat(data[k]) if data[k] else None for k in ("oldest", "newest")}})


@dataclass(frozen=True)
class Distribution:
    hypertable: str
    by_symbol: list[DistributionLine]
    by_symbol_timeframe: list[DistributionLine]
    by_timeframe: list[DistributionLine]
    chunks: int
    compressed_chunks: int
    rows_read: int              # rows counted one by one (not compressed)
    rows_from_metadata: int     # rows known from compressed batches' metadata
    batches_read: int
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if not k.startswith("by_")}
        data.update({k: [line.as_dict() for line in getattr(self, k)]
                     for k in ("by_symbol", "by_symbol_timeframe", "by_timeframe")})
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Distribution:
        lines = {k: [DistributionLine.from_dict(d) for d in data[k]]
                 for k in ("by_symbol", "by_symbol_timeframe", "by_timeframe")}
        return cls(**{**data, **lines})


@dataclass
class _Part:
    """Rows of one symbol (and timeframe) in one chunk, exact or estimated."""

    rows: float = 0.0
    exact: bool = True
    oldest: datetime | None = None
    newest: datetime | None = None
    range_exact: bool = True
    compressed_rows: float = 0.0

    def add(self, rows: float, oldest: datetime | None, newest: datetime | None, *, exact: bool, range_exact: bool,
            compressed: bool) -> None:
        self.rows += rows
        self.exact &= exact
        self.compressed_rows += rows if compressed else 0
        if oldest is not None and (self.oldest is None or oldest < self.oldest):
            self.oldest, self.range_exact = oldest, self.range_exact and range_exact
        if newest is not None and (self.newest is None or newest > self.newest):
            self.newest, self.range_exact = newest, self.range_exact and range_exact


def _earliest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def split_by_timeframe(rows: int, admitted: Sequence[str], weights: dict[str, float],
                       fallback: dict[str, float], *, batches: int = 0) -> dict[str, float]:
    """Share ``rows`` over the ``admitted`` timeframes: by ``weights`` (the symbol's exactly counted mix), else
    ``fallback`` (every symbol's mix), else evenly. One admitted timeframe takes every row.

    ``batches``: the number of batches whose bloom filters admitted exactly this set; a timeframe they admit is
    (bar false positives) in each of them, so it gets at least one row per batch: a rare timeframe (D1 among M1
    bars) is present in few batches, and the mix alone would spread it over batches that lack it."""
    if not admitted:
        return {}
    shares: dict[str, float] | None = None
    for mix in (weights, fallback):
        total = sum(mix.get(tf, 0.0) for tf in admitted)
        if total > 0:
            shares = {tf: mix.get(tf, 0.0) / total for tf in admitted}
            break
    if shares is None:
        shares = {tf: 1 / len(admitted) for tf in admitted}
    if batches and len(admitted) > 1 and batches * len(admitted) <= rows:
        floored = {tf for tf, share in shares.items() if rows * share < batches}
        rest = sum(shares[tf] for tf in shares if tf not in floored)
        left = rows - batches * len(floored)
        return {tf: float(batches) if tf in floored else left * shares[tf] / rest for tf in shares}
    return {tf: rows * share for tf, share in shares.items() if share > 0}


@dataclass(frozen=True)
class SegmentColumns:
    """The metadata columns of one compressed chunk (None: absent in this chunk)."""

    count: str | None
    min_time: str | None
    max_time: str | None
    symbol: str | None          # the symbol column when it is a plain (segmentby) column there
    bloom: str | None           # a bloom filter on the timeframe column alone


def segment_columns(columns: dict[str, str], *, time_column: str, symbol_column: str, timeframe_column: str,
                    first_orderby: str | None) -> SegmentColumns:
    """Find the metadata columns by name: ``columns`` maps name -> type of one compressed chunk."""
    min_time = max_time = None
    if f"_ts_meta_v2_min_{time_column}" in columns and f"_ts_meta_v2_max_{time_column}" in columns:
        min_time, max_time = f"_ts_meta_v2_min_{time_column}", f"_ts_meta_v2_max_{time_column}"
    elif first_orderby == time_column and "_ts_meta_min_1" in columns and "_ts_meta_max_1" in columns:
        min_time, max_time = "_ts_meta_min_1", "_ts_meta_max_1"
    symbol = symbol_column if columns.get(symbol_column, "").split(".")[-1] not in ("", "compressed_data") else None
    bloom = next((name for name in (f"_ts_meta_v2_bloomh_{timeframe_column}", f"_ts_meta_v2_bloom1_{timeframe_column}")
                  if name in columns), None)
    return SegmentColumns("_ts_meta_count" if "_ts_meta_count" in columns else None, min_time, max_time, symbol, bloom)


def _ident_or_null(name: str | None) -> sql.Composable:
    return sql.Identifier(name) if name else sql.SQL("NULL")


def _body(name: str) -> str:
    """An SQL file without its comment lines, to be embedded in a larger statement."""
    return "\n".join(line for line in read_sql(name).splitlines() if not line.startswith("--"))


def _union(conn: psycopg.Connection, name: str, parts: Sequence[tuple[int, dict[str, sql.Composable]]],
           params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """One per-chunk query for many chunks in one statement (UNION ALL), each row led by its chunk's index."""
    if not parts:
        return []
    body = _body(name)
    query = sql.SQL("\nUNION ALL\n").join(
        sql.SQL("SELECT {index} AS chunk_index, q.* FROM (\n{body}\n) AS q").format(
            index=sql.Literal(index), body=sql.SQL(body).format(**composed)) for index, composed in parts)
    return conn.execute(query, params).fetchall()


def data_distribution(conn: psycopg.Connection, hypertable: Table, *, time_column: str, symbol_column: str,
                      timeframe_column: str) -> Distribution:
    """Rows, oldest, newest and bytes per symbol, per timeframe and per pair, each labelled exact or estimated."""
    chunk_rows = conn.execute(read_sql(CHUNKS_SQL), hypertable.params).fetchall()
    compressed_tables = [f"{quote_identifier(r[5])}.{quote_identifier(r[6])}" for r in chunk_rows if r[4] and r[6]]
    columns: dict[str, dict[str, str]] = defaultdict(dict)
    for table_name, column, column_type in conn.execute(read_sql(COLUMNS_SQL),
                                                        {"tables": [*compressed_tables, hypertable.regclass_text]}):
        columns[table_name][column] = column_type
    timeframe_type = columns[hypertable.regclass_text].get(timeframe_column, "text")
    notes: list[str] = []
    names = {"symbol": sql.Identifier(symbol_column), "timeframe": sql.Identifier(timeframe_column),
             "time": sql.Identifier(time_column)}
    # Rows not compressed: every uncompressed chunk, and compressed ones with rows inserted later (partial or
    # unordered status bits); a fully compressed chunk's own heap is empty.
    heap = [(int(index), *rest) for index, *rest in _union(conn, HEAP_ROWS_SQL, [
        (index, {"chunk": sql.Identifier(row[0], row[1]), **names})
        for index, row in enumerate(chunk_rows) if not row[4] or not row[6] or (row[9] or 0) & 10])]
    candidates = sorted({r[2] for r in heap if r[2] is not None} | set(MT5_TIMEFRAMES))
    segment_parts = []
    no_bloom = sql.SQL("SELECT NULL::text[]")
    for index, row in enumerate(chunk_rows):
        if not (row[4] and row[6]):
            continue
        table_text = f"{quote_identifier(row[5])}.{quote_identifier(row[6])}"
        meta = segment_columns(columns[table_text], time_column=time_column, symbol_column=symbol_column,
                               timeframe_column=timeframe_column, first_orderby=row[8])
        if meta.count is None or meta.min_time is None:
            notes.append(f"{row[0]}.{row[1]}: its compressed table has no row-count or time metadata this code knows; "
                         "its rows are not in the distribution")
            continue
        admitted = no_bloom if not meta.bloom else sql.SQL(_body(BLOOM_ADMITTED_SQL)).format(
            bloom=sql.Identifier(meta.bloom), timeframe_type=sql.SQL(timeframe_type))
        segment_parts.append((index, {"segment_table": sql.Identifier(row[5], row[6]),
                                      "symbol": _ident_or_null(meta.symbol), "count": sql.Identifier(meta.count),
                                      "min_time": sql.Identifier(meta.min_time),
                                      "max_time": sql.Identifier(meta.max_time), "admitted": admitted}))
    segments: list[tuple[int, str | None, list[str] | None, int, datetime | None, datetime | None, int]] = []
    batches = 0
    for index, symbol, admitted_set, rows, oldest, newest, batch_count in _union(
            conn, SEGMENTS_SQL, segment_parts, {"timeframes": candidates}):
        segments.append((int(index), symbol, admitted_set, int(rows), oldest, newest, int(batch_count)))
        batches += batch_count
    if any(s[1] is None for s in segments):
        notes.append(f"{symbol_column} is not a segmentby column of some compressed chunks: their rows are shown "
                     "under no symbol")
    return build_distribution(str(hypertable), chunk_rows, heap, segments, batches, notes)


def build_distribution(hypertable: str, chunk_rows: Sequence[Sequence[Any]],
                       heap: Iterable[tuple[int, str | None, str | None, int, datetime | None, datetime | None]],
                       segments: Iterable[tuple[int, str | None, list[str] | None, int, datetime | None,
                                                datetime | None, int]],
                       batches: int, notes: list[str]) -> Distribution:
    """Combine exact heap counts and segment metadata per chunk into labelled lines (pure: no database).

    ``segments``: per chunk, symbol and set of timeframes the bloom filters admit (None: no bloom filter): rows,
    oldest, newest, batches."""
    heap, segments = list(heap), list(segments)
    # Mixes of timeframes from the exactly counted rows: per symbol, and over every symbol.
    symbol_mix: dict[str | None, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    all_mix: dict[str, float] = defaultdict(float)
    for _, symbol, timeframe, rows, _, _ in heap:
        symbol_mix[symbol][timeframe] += rows
        all_mix[timeframe] += rows
    # Per chunk and symbol / pair: rows (exact or estimated) and range.
    per_symbol: dict[tuple[int, str | None], _Part] = defaultdict(_Part)
    per_pair: dict[tuple[int, str | None, str | None], _Part] = defaultdict(_Part)
    for index, symbol, timeframe, rows, oldest, newest in heap:
        per_symbol[index, symbol].add(rows, oldest, newest, exact=True, range_exact=True, compressed=False)
        per_pair[index, symbol, timeframe].add(rows, oldest, newest, exact=True, range_exact=True, compressed=False)
    unknown = False
    for index, symbol, admitted, rows, oldest, newest, batch_count in segments:
        per_symbol[index, symbol].add(rows, oldest, newest, exact=True, range_exact=True, compressed=True)
        if admitted is None:   # no bloom filter on this chunk: any timeframe counted exactly
            tfs, exact_split = sorted(symbol_mix.get(symbol) or all_mix), False
        else:
            tfs, exact_split = list(admitted), len(admitted) == 1
        shares = split_by_timeframe(rows, tfs, symbol_mix.get(symbol, {}), all_mix,
                                    batches=batch_count if admitted is not None else 0)
        if not shares:
            unknown = True
            per_pair[index, symbol, None].add(rows, oldest, newest, exact=False, range_exact=False, compressed=True)
            continue
        for tf, share in shares.items():
            per_pair[index, symbol, tf].add(share, oldest, newest, exact=exact_split, range_exact=exact_split,
                                            compressed=True)
    if unknown:
        notes.append("Some compressed rows could not be given a timeframe (no bloom filter and no row counted "
                     "exactly, or a timeframe that is neither counted exactly nor an MT5 one): shown under no "
                     "timeframe")
    chunk_bytes = {i: int(r[7] or 0) for i, r in enumerate(chunk_rows)}
    chunk_total = defaultdict(float)
    for (index, _), part in per_symbol.items():
        chunk_total[index] += part.rows

    def lines(parts: dict[Any, _Part], key: Any) -> list[DistributionLine]:
        grouped: dict[Any, list[tuple[int, _Part]]] = defaultdict(list)
        for k, part in parts.items():
            grouped[key(k)].append((k[0], part))
        result = []
        for (symbol, timeframe), items in grouped.items():
            rows = sum(p.rows for _, p in items)
            oldest = _earliest(*(p.oldest for _, p in items))
            newest = max((p.newest for _, p in items if p.newest is not None), default=None)
            result.append(DistributionLine(
                symbol, timeframe, round(rows), all(p.exact for _, p in items), oldest, newest,
                all(p.range_exact for _, p in items if p.oldest == oldest or p.newest == newest),
                round(sum(chunk_bytes[i] * p.rows / chunk_total[i] for i, p in items if chunk_total[i])),
                round(sum(p.compressed_rows for _, p in items))))
        return sorted(result, key=lambda line: (-line.rows, line.symbol or "", line.timeframe or ""))

    return Distribution(
        hypertable=hypertable,
        by_symbol=lines(per_symbol, lambda k: (k[1], ALL)),
        by_symbol_timeframe=lines(per_pair, lambda k: (k[1], k[2])),
        by_timeframe=lines(per_pair, lambda k: (None, k[2])),
        chunks=len(chunk_rows),
        compressed_chunks=sum(1 for r in chunk_rows if r[4]),
        rows_read=sum(r[3] for r in heap),
        rows_from_metadata=sum(s[3] for s in segments),
        batches_read=batches,
        notes=notes,
    )


def chunks_from_rows(rows: Sequence[Sequence[Any] | dict[str, Any]]) -> list[Chunk]:
    """The chunks of CHUNKS_IN_RANGE_SQL's rows (tuples, or dicts from a SQL step)."""
    return [Chunk(*(row.values() if isinstance(row, dict) else row)) for row in rows]
