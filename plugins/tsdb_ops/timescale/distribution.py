"""Data distribution per symbol and timeframe (rows, oldest, newest, bytes) from TimescaleDB's own metadata.

The guide's "Check Data Distribution" groups every row of the hypertable by symbol and timeframe, decompressing
every compressed chunk. Here:

- **compressed chunks**: the compressed companion table keeps, per batch of up to 1000 rows of one segment, the
  row count (``_ts_meta_count``) and the min/max of the time column. Compression is segmented by symbol, so their
  rows, oldest and newest **per symbol are exact** without reading a compressed value;
- **uncompressed chunks** (the recent ones) are not read row by row. Per candidate series (symbol x timeframe)
  the chunk's unique index gives its newest time, and for a series with few bars in the chunk (a coarse timeframe:
  H1, D1 in a 7-day chunk) its exact count and oldest time. A series of a fine timeframe (M1, M5) is **estimated**
  as the bars of its timeframe's grid from where its symbol's counted series start (its oldest: a bound) to its
  newest, times the share of the grid the symbol's densest counted series filled (a market closed at weekends
  fills 120 of 168 hourly bars, and so of the minute grid). The estimates are taken, scaled to PostgreSQL's row
  count of the chunk (``reltuples`` per page at its last VACUUM or ANALYZE times its pages now, as the planner
  reckons it), only when they add up to it within ``ESTIMATE_TOLERANCE`` and the last ``TAIL_BARS`` bars of time
  of every estimated series hold all but that share of their bars (a timeframe missing bars of its own, such as
  minutes without ticks, would be over-counted). Otherwise the chunk is **counted exactly** per symbol and
  timeframe (``FROM ONLY`` the chunk's heap), as are a chunk never analyzed, one smaller than
  ``exact_below_rows``, and the rows inserted into a compressed chunk later;
- **per timeframe inside compressed chunks** the metadata has no count (timeframe is not a segmentby column, and
  compression settings are not this module's to change). Where the chunk has bloom filters on the timeframe
  column (TimescaleDB 2.20+ adds them for the unique index), a timeframe they rule out is absent (no false
  negatives), and a symbol whose batches admit only one timeframe is exact. Otherwise a symbol's compressed rows
  are split over the timeframes the filters admit in the proportions of its recent rows (or of all symbols'
  recent rows, or evenly): an **estimate**, labelled as such in every line;
- **bytes** are each chunk's size now (table, indexes and TOAST with its compressed companion's) shared out by row
  count: always an estimate.

Cost: at most four statements in one transaction whatever the number of chunks (the per-chunk queries are joined
with UNION ALL): the catalog, the metadata of about rows/1000 compressed batches (each bloom filter asked once per
symbol and distinct filter), index probes and short index ranges per series of the uncompressed chunks, and the
rows counted one by one (partly compressed chunks, and the uncompressed chunks the estimate does not fit). JIT
compilation is off for them: it cost more than their work.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from tsdb_ops.files import read_sql
from tsdb_ops.timescale.chunks import Chunk
from tsdb_ops.timescale.table import Table

CHUNKS_SQL = "timescale/distribution_chunks.sql"
SEGMENTS_SQL = "timescale/distribution_segments.sql"
BLOOM_ADMITTED_SQL = "timescale/distribution_bloom_admitted.sql"
HEAP_ROWS_SQL = "timescale/distribution_heap_rows.sql"
HEAP_SERIES_SQL = "timescale/distribution_heap_series.sql"
WITHOUT_JIT_SQL = "timescale/distribution_without_jit.sql"
# The uncompressed chunks lying within [start, end): the chunks a time-range compression takes (a SQL step).
CHUNKS_IN_RANGE_SQL = "timescale/uncompressed_chunks_in_range.sql"

# MetaTrader 5's timeframes: candidates the bloom filters are asked about, besides every value counted exactly.
MT5_TIMEFRAMES = ("M1", "M2", "M3", "M4", "M5", "M6", "M10", "M12", "M15", "M20", "M30",
                  "H1", "H2", "H3", "H4", "H6", "H8", "H12", "D1", "W1", "MN1")
ALL = None  # the timeframe of a per-symbol line (every timeframe of the symbol)
# A series with at most this many bars of its timeframe's grid in a chunk is counted exactly (a short index range).
COUNTED_GRID_BARS = 200
# An uncompressed chunk's series estimates must add up to PostgreSQL's row count of it within this share, and the
# last TAIL_BARS bars of time of every estimated series must hold their bars within it.
ESTIMATE_TOLERANCE = 0.01
TAIL_BARS = 100
# An uncompressed chunk with fewer rows than this (PostgreSQL's count) is counted one by one: it costs little.
EXACT_BELOW_ROWS = 100_000
_TIMEFRAME = re.compile(r"^(M|H|D|W|MN)([1-9][0-9]*)$")
_UNIT_SECONDS = {"M": 60, "H": 3600, "D": 86400, "W": 7 * 86400, "MN": 2_629_746}  # MN: a mean Gregorian month


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
    rows_read: int              # rows counted exactly (not compressed): one by one, or a series in its index
    rows_from_metadata: int     # rows known from compressed batches' metadata
    batches_read: int
    rows_estimated: int = 0     # rows of uncompressed chunks estimated from their index and statistics
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


@dataclass(slots=True)
class _Part:
    """Rows of one symbol (and timeframe), in one chunk or over all: exact or estimated; its oldest and newest, each
    exact when every contribution holding it is."""

    rows: float = 0.0
    exact: bool = True
    oldest: datetime | None = None
    newest: datetime | None = None
    oldest_exact: bool = True
    newest_exact: bool = True
    compressed_rows: float = 0.0
    bytes_estimate: float = 0.0

    def add(self, rows: float, oldest: datetime | None, newest: datetime | None, *, exact: bool, oldest_exact: bool,
            newest_exact: bool, compressed_rows: float = 0.0, bytes_estimate: float = 0.0) -> None:
        self.rows += rows
        self.exact &= exact
        self.compressed_rows += compressed_rows
        self.bytes_estimate += bytes_estimate
        if oldest is not None:
            if self.oldest is None or oldest < self.oldest:
                self.oldest, self.oldest_exact = oldest, oldest_exact
            elif oldest == self.oldest:
                self.oldest_exact &= oldest_exact
        if newest is not None:
            if self.newest is None or newest > self.newest:
                self.newest, self.newest_exact = newest, newest_exact
            elif newest == self.newest:
                self.newest_exact &= newest_exact


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


@functools.cache
def timeframe_seconds(timeframe: str | None) -> float | None:
    """The bar length of an MT5 timeframe name (M1, M5, H1, D1, W1, MN1, ...); None for any other value."""
    match = _TIMEFRAME.match(timeframe or "")
    return float(_UNIT_SECONDS[match.group(1)] * int(match.group(2))) if match else None


def heap_rows_estimate(reltuples: float | None, relpages: int | None, pages: int | None) -> float | None:
    """PostgreSQL's count of a heap's rows as its planner reckons it: tuples per page at the last VACUUM or ANALYZE
    times the pages now. None when the heap was never analyzed."""
    if reltuples is None or reltuples < 0 or not relpages or pages is None:
        return None
    return reltuples / relpages * pages


def grid_bars(oldest: datetime, newest: datetime, seconds: float) -> float:
    """The bars of a timeframe's grid from ``oldest`` to ``newest``, both included."""
    return (newest - oldest).total_seconds() / seconds + 1


# symbol, timeframe, oldest (of a counted series; else the time of the first of its last TAIL_BARS rows), newest,
# row count (of a counted series), number of its last rows (of another series: TAIL_BARS, or fewer)
HeapSeries = tuple[str, str, datetime | None, datetime, int | None, int | None]


def estimate_heap_series(chunk_rows: float, chunk_start: datetime, series: Sequence[HeapSeries],
                         tolerance: float = ESTIMATE_TOLERANCE) -> list[tuple[str, str, float, datetime]] | None:
    """Rows and oldest per series of one uncompressed chunk holding ``chunk_rows`` rows starting at ``chunk_start``.

    ``series``: symbol, timeframe, oldest, newest and exact row count of a counted series; of the others their
    newest and their last TAIL_BARS rows (time of the first, number). Returns (symbol, timeframe, rows, oldest).
    A counted series keeps its count and oldest. Another one starts where its symbol's counted series start (or at
    ``chunk_start``): a bound of its oldest. Its rows are its timeframe's grid bars from there to its newest, times
    the share of the grid its symbol's densest counted series filled (1 without one); these estimates are scaled so
    that all add up to ``chunk_rows``. None when the model does not fit, so count the chunk instead: the estimates
    do not add up within ``tolerance``, the last rows of an estimated series span more than ``tolerance`` more bars
    than they are (bars its timeframe misses on its own, such as minutes without ticks), or a series has no
    timeframe grid."""
    starts: dict[str, datetime] = {}
    filled: dict[str, tuple[float, float]] = {}  # symbol -> (grid bars, share filled) of its densest counted series
    for symbol, timeframe, oldest, newest, count, _ in series:
        seconds = timeframe_seconds(timeframe)
        if seconds is None:
            return None
        if count is not None and oldest is not None:
            starts[symbol] = min(oldest, starts.get(symbol, oldest))
            bars = grid_bars(oldest, newest, seconds)
            if bars > filled.get(symbol, (0.0, 1.0))[0]:
                filled[symbol] = (bars, min(1.0, count / bars))
    counted = sum(count for *_, count, _ in series if count is not None)
    estimated: dict[tuple[str, str], float] = {}
    for symbol, timeframe, tail_start, newest, count, tail in series:
        if count is None:
            seconds = timeframe_seconds(timeframe) or 1.0
            if tail_start is None or (tail or 0) < (1 - tolerance) * grid_bars(tail_start, newest, seconds):
                return None
            estimated[symbol, timeframe] = (grid_bars(starts.get(symbol, chunk_start), newest, seconds)
                                            * filled.get(symbol, (0.0, 1.0))[1])
    if abs(counted + sum(estimated.values()) - chunk_rows) > tolerance * chunk_rows:
        return None
    scale = (chunk_rows - counted) / sum(estimated.values()) if estimated else 1.0
    return [(symbol, timeframe, float(count), oldest) if count is not None and oldest is not None
            else (symbol, timeframe, estimated[symbol, timeframe] * scale, starts.get(symbol, chunk_start))
            for symbol, timeframe, oldest, _, count, _ in series]


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
                      timeframe_column: str, exact_below_rows: float = EXACT_BELOW_ROWS) -> Distribution:
    """Rows, oldest, newest and bytes per symbol, per timeframe and per pair, each labelled exact or estimated; read
    in one transaction."""
    with conn.transaction():
        conn.execute(read_sql(WITHOUT_JIT_SQL))
        return _data_distribution(conn, hypertable, time_column=time_column, symbol_column=symbol_column,
                                  timeframe_column=timeframe_column, exact_below_rows=exact_below_rows)


def _data_distribution(conn: psycopg.Connection, hypertable: Table, *, time_column: str, symbol_column: str,
                       timeframe_column: str, exact_below_rows: float) -> Distribution:
    with conn.cursor(row_factory=dict_row) as cur:
        chunk_rows = cur.execute(read_sql(CHUNKS_SQL), {**hypertable.params, "symbol_column": symbol_column,
                                                        "timeframe_column": timeframe_column}).fetchall()
    types = {"timeframe_type": sql.SQL(chunk_rows[0]["timeframe_type"] if chunk_rows else "text"),
             "symbol_type": sql.SQL(chunk_rows[0]["symbol_type"] if chunk_rows else "text")}
    notes: list[str] = []
    names = {"symbol": sql.Identifier(symbol_column), "timeframe": sql.Identifier(timeframe_column),
             "time": sql.Identifier(time_column)}
    segments, batches = _segments(conn, chunk_rows, types, notes, time_column=time_column,
                                  symbol_column=symbol_column, timeframe_column=timeframe_column)
    # Uncompressed chunks of a time range, large enough to be worth it, are estimated from their index and
    # statistics; the rest of the rows not compressed (small chunks, rows inserted into compressed chunks later)
    # are counted one by one.
    estimable = {index: rows for index, row in enumerate(chunk_rows)
                 if not row["is_compressed"] and not row["compressed_name"] and row["range_start"] and row["range_end"]
                 and (rows := heap_rows_estimate(row["reltuples"], row["relpages"], row["pages"])) is not None
                 and rows >= exact_below_rows}
    heap = _estimated_heap(conn, chunk_rows, estimable, segments, types, names)
    estimated = {h[0] for h in heap}
    counted = [index for index, row in enumerate(chunk_rows)
               if (not row["is_compressed"] or not row["compressed_name"] or (row["status"] or 0) & 10)
               and index not in estimated]
    heap += [(int(index), *rest, True, True) for index, *rest in _union(conn, HEAP_ROWS_SQL, [
        (index, {"chunk": _chunk(chunk_rows[index]), **names}) for index in counted])]
    if any(s[1] is None for s in segments):
        notes.append(f"{symbol_column} is not a segmentby column of some compressed chunks: their rows are shown "
                     "under no symbol")
    return build_distribution(str(hypertable), chunk_rows, heap, segments, batches, notes)


def _chunk(row: dict[str, Any]) -> sql.Identifier:
    return sql.Identifier(row["chunk_schema"], row["chunk_name"])


def _segments(conn: psycopg.Connection, chunk_rows: Sequence[dict[str, Any]], types: dict[str, sql.Composable],
              notes: list[str], *, time_column: str, symbol_column: str,
              timeframe_column: str) -> tuple[list[tuple[int, str | None, list[str] | None, int, datetime | None,
                                                        datetime | None, int]], int]:
    """The compressed chunks' batches per symbol and set of admitted timeframes (SEGMENTS_SQL), and their number."""
    parts = []
    for index, row in enumerate(chunk_rows):
        if not (row["is_compressed"] and row["compressed_name"]):
            continue
        columns = row["compressed_columns"] or {}
        meta = segment_columns(columns, time_column=time_column, symbol_column=symbol_column,
                               timeframe_column=timeframe_column, first_orderby=row["first_orderby_column"])
        if meta.count is None or meta.min_time is None:
            notes.append(f"{row['chunk_schema']}.{row['chunk_name']}: its compressed table has no row-count or time "
                         "metadata this code knows; its rows are not in the distribution")
            continue
        bloom_key = sql.SQL("CAST({} AS text)").format(sql.Identifier(meta.bloom)) if meta.bloom else sql.SQL("NULL")
        admitted = sql.SQL(_body(BLOOM_ADMITTED_SQL)).format(
            bloom_type=sql.SQL(columns[meta.bloom]), timeframe_type=types["timeframe_type"]
        ) if meta.bloom else sql.SQL("SELECT NULL::text[]")
        parts.append((index, {"segment_table": sql.Identifier(row["compressed_schema"], row["compressed_name"]),
                              "symbol": _ident_or_null(meta.symbol),
                              "count": sql.Identifier(meta.count), "min_time": sql.Identifier(meta.min_time),
                              "max_time": sql.Identifier(meta.max_time), "bloom_key": bloom_key,
                              "admitted": admitted}))
    segments = [(int(index), symbol, admitted, int(rows), oldest, newest, int(batch_count))
                for index, symbol, admitted, rows, oldest, newest, batch_count in _union(
                    conn, SEGMENTS_SQL, parts, {"timeframes": list(MT5_TIMEFRAMES)})]
    return segments, sum(s[6] for s in segments)


HeapLine = tuple[int, str | None, str | None, float, datetime | None, datetime | None, bool, bool]


def _estimated_heap(conn: psycopg.Connection, chunk_rows: Sequence[dict[str, Any]], estimable: dict[int, float],
                    segments: Sequence[tuple[Any, ...]], types: dict[str, sql.Composable],
                    names: dict[str, sql.Composable]) -> list[HeapLine]:
    """Per series of the ``estimable`` uncompressed chunks (index -> PostgreSQL's row count): rows and oldest as
    estimate_heap_series gives them, newest (exact). A chunk whose estimates do not fit is left out (counted by
    the caller). The candidate series: the symbols of the compressed batches and of the chunks' statistics, times
    the timeframes the bloom filters admit and those of the chunks' statistics."""
    if not estimable:
        return []
    symbols = sorted({s[1] for s in segments if s[1] is not None}
                     | {v for i in estimable for v in chunk_rows[i]["common_symbols"] or ()})
    timeframes = sorted({tf for s in segments for tf in s[2] or ()}
                        | {v for i in estimable for v in chunk_rows[i]["common_timeframes"] or ()})
    if not symbols or not timeframes:
        return []
    # The tails are checked in the newest chunk (a series missing bars of its own misses them there too): if it
    # does not fit, none is estimated.
    newest_first = sorted(estimable, key=lambda i: chunk_rows[i]["range_start"], reverse=True)
    parts = []
    for index in newest_first:
        seconds = (chunk_rows[index]["range_end"] - chunk_rows[index]["range_start"]).total_seconds()
        counted = [tf for tf in timeframes if (timeframe_seconds(tf) or 0.0) * COUNTED_GRID_BARS >= seconds]
        parts.append((index, {"chunk": _chunk(chunk_rows[index]), **names, **types, "counted": sql.Literal(counted),
                              "probed": sql.Literal([tf for tf in timeframes if tf not in counted]),
                              "tail_bars": sql.Literal(TAIL_BARS if index == newest_first[0] else 1)}))
    series: dict[int, list[HeapSeries]] = defaultdict(list)
    for index, symbol, timeframe, oldest, newest, count, tail in _union(conn, HEAP_SERIES_SQL, parts,
                                                                         {"symbols": symbols}):
        series[int(index)].append((symbol, timeframe, oldest, newest, None if count is None else int(count),
                                   None if tail is None else int(tail)))
    heap: list[HeapLine] = []
    for index in newest_first:
        counts = {(symbol, timeframe): (newest, count) for symbol, timeframe, _, newest, count, _ in series[index]}
        estimates = estimate_heap_series(estimable[index], chunk_rows[index]["range_start"], series[index])
        if estimates is None and index == newest_first[0]:
            return []
        for symbol, timeframe, estimate, oldest in estimates or ():
            newest, count = counts[symbol, timeframe]
            heap.append((index, symbol, timeframe, estimate, oldest, newest, count is not None, count is not None))
    return heap


def build_distribution(hypertable: str, chunk_rows: Sequence[Mapping[str, Any]],
                       heap: Iterable[HeapLine],
                       segments: Iterable[tuple[int, str | None, list[str] | None, int, datetime | None,
                                                datetime | None, int]],
                       batches: int, notes: list[str]) -> Distribution:
    """Combine the rows not compressed and segment metadata per chunk into labelled lines (pure: no database).

    ``heap``: per chunk, symbol and timeframe: rows, oldest, newest, whether the rows are exact (counted, not
    estimated) and whether the oldest is (not a bound). ``segments``: per chunk, symbol and set of timeframes the
    bloom filters admit (None: no bloom filter): rows, oldest, newest, batches."""
    heap, segments = list(heap), list(segments)
    # Mixes of timeframes from the rows not compressed: per symbol, and over every symbol.
    symbol_mix: dict[str | None, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    all_mix: dict[str, float] = defaultdict(float)
    for _, symbol, timeframe, rows, *_ in heap:
        symbol_mix[symbol][timeframe] += rows
        all_mix[timeframe] += rows
    # Each chunk's size now is shared out by rows.
    chunk_total: dict[int, float] = defaultdict(float)
    for index, _, _, rows, *_ in [*heap, *segments]:
        chunk_total[index] += rows
    share = {i: int(r["total_bytes"] or 0) / chunk_total[i] if chunk_total[i] else 0.0
             for i, r in enumerate(chunk_rows)}
    # Per symbol / pair over all chunks: rows (exact or estimated), range and bytes.
    per_symbol: dict[tuple[str | None, None], _Part] = defaultdict(_Part)
    per_pair: dict[tuple[str | None, str | None], _Part] = defaultdict(_Part)
    for index, symbol, timeframe, rows, oldest, newest, exact, oldest_exact in heap:
        for part in (per_symbol[symbol, ALL], per_pair[symbol, timeframe]):
            part.add(rows, oldest, newest, exact=exact, oldest_exact=oldest_exact, newest_exact=True,
                     bytes_estimate=rows * share[index])
    unknown = False
    for index, symbol, admitted, rows, oldest, newest, batch_count in segments:
        per_symbol[symbol, ALL].add(rows, oldest, newest, exact=True, oldest_exact=True, newest_exact=True,
                                    compressed_rows=rows, bytes_estimate=rows * share[index])
        if admitted is None:   # no bloom filter on this chunk: any timeframe counted exactly
            tfs, exact_split = sorted(symbol_mix.get(symbol) or all_mix), False
        else:
            tfs, exact_split = list(admitted), len(admitted) == 1
        shares = split_by_timeframe(rows, tfs, symbol_mix.get(symbol, {}), all_mix,
                                    batches=batch_count if admitted is not None else 0)
        if not shares:
            unknown = True
            shares, exact_split = {None: float(rows)}, False
        for tf, tf_rows in shares.items():
            per_pair[symbol, tf].add(tf_rows, oldest, newest, exact=exact_split, oldest_exact=exact_split,
                                     newest_exact=exact_split, compressed_rows=tf_rows,
                                     bytes_estimate=tf_rows * share[index])
    if unknown:
        notes.append("Some compressed rows could not be given a timeframe (no bloom filter and no row counted "
                     "exactly, or a timeframe that is neither counted exactly nor an MT5 one): shown under no "
                     "timeframe")
    per_timeframe: dict[tuple[None, str | None], _Part] = defaultdict(_Part)
    for (_, timeframe), part in per_pair.items():
        per_timeframe[None, timeframe].add(part.rows, part.oldest, part.newest, exact=part.exact,
                                           oldest_exact=part.oldest_exact, newest_exact=part.newest_exact,
                                           compressed_rows=part.compressed_rows, bytes_estimate=part.bytes_estimate)

    def lines(parts: dict[tuple[str | None, str | None], _Part]) -> list[DistributionLine]:
        result = [DistributionLine(symbol, timeframe, round(t.rows), t.exact, t.oldest, t.newest,
                                   t.oldest_exact and t.newest_exact, round(t.bytes_estimate), round(t.compressed_rows))
                  for (symbol, timeframe), t in parts.items()]
        return sorted(result, key=lambda line: (-line.rows, line.symbol or "", line.timeframe or ""))

    return Distribution(
        hypertable=hypertable,
        by_symbol=lines(per_symbol),
        by_symbol_timeframe=lines(per_pair),
        by_timeframe=lines(per_timeframe),
        chunks=len(chunk_rows),
        compressed_chunks=sum(1 for r in chunk_rows if r["is_compressed"]),
        rows_read=round(sum(r[3] for r in heap if r[6])),
        rows_from_metadata=sum(s[3] for s in segments),
        batches_read=batches,
        rows_estimated=round(sum(r[3] for r in heap if not r[6])),
        notes=notes,
    )


def chunks_from_rows(rows: Sequence[Sequence[Any] | dict[str, Any]]) -> list[Chunk]:
    """The chunks of CHUNKS_IN_RANGE_SQL's rows (tuples, or dicts from a SQL step)."""
    return [Chunk(*(row.values() if isinstance(row, dict) else row)) for row in rows]
