-- The chunks of one hypertable older than N days, oldest first, and whether each uncompressed one holds a row of
-- one symbol (NULL for a compressed chunk: it is left as it is).
-- Guide section: "Manual Maintenance: Compress Specific Symbol Data". The guide filtered on a min_value column
-- that timescaledb_information.chunks does not have. A chunk is a time range holding every symbol, so the closest
-- honest meaning of "compress EURUSD data" is "compress the chunks whose range holds EURUSD rows". "Older than" is
-- TimescaleDB's own show_chunks(older_than => ...) selection (chunk range end before the cutoff). Each range is
-- half-open (>= start AND < end, as TimescaleDB's chunk ranges are; BETWEEN counts boundary rows in two chunks),
-- and the unique index (symbol, timeframe, timestamp) of the chunk answers the EXISTS at its first entry.
-- Parameters: hypertable (regclass text), schema, table, older_than_days (number), symbol (bind parameters);
-- {hypertable}, {symbol_column}, {time_column} are identifiers composed with psycopg's sql.Identifier after the
-- hypertable was resolved in the catalog.
-- Safe to re-run: read-only.
SELECT c.chunk_schema, c.chunk_name, c.range_start, c.range_end, c.is_compressed,
       CASE WHEN NOT c.is_compressed THEN EXISTS (
           SELECT 1 FROM {hypertable} AS m
           WHERE m.{symbol_column} = %(symbol)s
             AND m.{time_column} >= c.range_start
             AND m.{time_column} < c.range_end)
       END AS holds_symbol
FROM timescaledb_information.chunks c
WHERE c.hypertable_schema = %(schema)s
  AND c.hypertable_name = %(table)s
  AND format('%%I.%%I', c.chunk_schema, c.chunk_name)::regclass IN (
        SELECT show_chunks(%(hypertable)s::regclass,
                           older_than => make_interval(secs => %(older_than_days)s::float8 * 86400)))
ORDER BY c.range_start, c.chunk_name
