-- Whether one chunk's time range holds a row of one symbol.
-- Guide section: "Manual Maintenance: Compress Specific Symbol Data". The guide filtered on a min_value column
-- that timescaledb_information.chunks does not have. A chunk is a time range holding every symbol, so the closest
-- honest meaning of "compress EURUSD data" is "compress the chunks whose range holds EURUSD rows". The range is
-- half-open (>= start AND < end, as TimescaleDB's chunk ranges are; BETWEEN counts boundary rows in two chunks)
-- so chunk exclusion reads this one chunk, and its unique index (symbol, timeframe, timestamp) answers the EXISTS.
-- Parameters: symbol, range_start, range_end (bind parameters); {hypertable}, {symbol_column}, {time_column}
-- are identifiers composed by the caller with psycopg sql.Identifier.
-- Safe to re-run: read-only.
SELECT EXISTS (
    SELECT 1 FROM {hypertable}
    WHERE {symbol_column} = %(symbol)s
      AND {time_column} >= %(range_start)s
      AND {time_column} < %(range_end)s
)
