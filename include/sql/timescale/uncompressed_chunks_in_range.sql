-- The uncompressed chunks of one hypertable whose whole time range lies within [start, end), oldest first.
-- Guide section: "Optimize Specific Timeframes", which joined every market_data row to the chunks
-- (BETWEEN range_start AND range_end: a full scan that also matched boundary rows twice) to "compress H1 chunks".
-- A chunk is a time range holding every symbol and timeframe, so what can be compressed is the chunks of a time
-- range: chosen here from the catalog alone (a chunk only partly inside the range is left out).
-- Parameters: schema, table (the hypertable), start, end (timestamptz text, or NULL for no bound).
-- Safe to re-run: read-only, catalog only.
SELECT c.chunk_schema, c.chunk_name, c.range_start, c.range_end, c.is_compressed
FROM timescaledb_information.chunks c
WHERE c.hypertable_schema = %(schema)s
  AND c.hypertable_name = %(table)s
  AND NOT c.is_compressed
  AND (%(start)s::timestamptz IS NULL OR c.range_start >= %(start)s::timestamptz)
  AND (%(end)s::timestamptz IS NULL OR c.range_end <= %(end)s::timestamptz)
ORDER BY c.range_start, c.chunk_name
