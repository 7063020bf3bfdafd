-- Rows of one symbol in a time range of the table a selective recovery writes: what it holds before the recovery,
-- shown in the plan (a dry run too) beside the export's rows.
-- Guide: Selective Data Recovery (the guide reports nothing).
-- Placeholders: {table}, {time_column}, {symbol_column}, composed with psycopg's sql.Identifier.
-- Parameters: symbol, start, end (start <= time < end). Safe to re-run (read-only).
SELECT count(*) AS row_count FROM {table}
WHERE {symbol_column} = %(symbol)s AND {time_column} >= %(start)s AND {time_column} < %(end)s
