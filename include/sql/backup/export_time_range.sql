-- Stream the rows of a table in a time range as CSV: the time-range export of db_selective_backup.
-- Guide: Selective Backup ("Backup specific time range"). The guide's `pg_dump --table='(SELECT ...)'` matches
-- no table (pg_dump -t takes table name patterns), and `pg_dump -t market_data` dumps zero rows of a hypertable
-- (its rows live in the chunks); COPY of a query is what it meant.
-- Placeholders: {columns} (the table's columns), {table}, {time_column}, composed with psycopg sql.Identifier.
-- Parameters: %(start)s, %(end)s (the range is start <= time < end), bound client-side by psycopg (COPY takes
-- no server-side parameters). Safe to re-run (read-only; one statement, so one consistent snapshot).
COPY (
    SELECT {columns} FROM {table}
    WHERE {time_column} >= %(start)s AND {time_column} < %(end)s
) TO STDOUT WITH (FORMAT csv)
