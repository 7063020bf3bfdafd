-- Stream the rows of one symbol of a table in a time range as CSV: the time-range export of
-- db_selective_backup restricted to a symbol.
-- Guide: Selective Backup ("Backup specific time range"; the guide's pg_dump of a query is not possible, see
-- export_time_range.sql).
-- Placeholders: {columns}, {table}, {time_column}, {symbol_column}, composed with psycopg sql.Identifier.
-- Parameters: %(start)s, %(end)s (start <= time < end), %(symbol)s, bound client-side by psycopg.
-- Safe to re-run (read-only; one statement, so one consistent snapshot).
COPY (
    SELECT {columns} FROM {table}
    WHERE {symbol_column} = %(symbol)s AND {time_column} >= %(start)s AND {time_column} < %(end)s
) TO STDOUT WITH (FORMAT csv)
