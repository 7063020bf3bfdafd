-- Rows of one symbol in a time range of a table: what the target holds now (dry run) and what the recovery
-- table offers (before the insert), so the report can say how many rows were inserted and how many existed.
-- Guide: Selective Data Recovery (the guide reports nothing).
-- Placeholders: {table}, {time_column}, {symbol_column}, composed with psycopg sql.Identifier.
-- Parameters: %(symbol)s, %(start)s, %(end)s (start <= time < end). Safe to re-run (read-only).
SELECT count(*) AS row_count FROM {table}
WHERE {symbol_column} = %(symbol)s AND {time_column} >= %(start)s AND {time_column} < %(end)s
