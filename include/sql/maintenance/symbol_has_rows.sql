-- Whether the hypertable holds any row of one symbol (params check of db_compress_symbol).
-- Guide section: "Manual Maintenance: Compress Specific Symbol Data". A misspelt symbol would silently select no
-- chunk; this lets the plan say so. Index-backed: the unique index (symbol, timeframe, timestamp) of each chunk
-- answers the EXISTS at its first entry.
-- Parameters: symbol (bind parameter); {hypertable} and {symbol_column} are identifiers composed with psycopg's
-- sql.Identifier after the hypertable was resolved in the catalog.
-- Safe to re-run: read-only.
SELECT EXISTS (SELECT 1 FROM {hypertable} WHERE {symbol_column} = %(symbol)s) AS symbol_has_rows
