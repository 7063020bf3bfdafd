-- Load a time-range export (CSV, as written by export_time_range.sql) into the recovery table.
-- Guide: Selective Data Recovery (the guide's `pg_restore -t market_data_recovery` restores a table of that name
-- from the dump, which holds none: the dump's table is market_data, and for a hypertable its rows are in chunks).
-- Placeholders: {recovery_table} and {columns} (the export's column list), composed with psycopg sql.Identifier.
-- Parameters: none (data through COPY FROM STDIN). Run into an empty table: the caller truncates it first.
COPY {recovery_table} ({columns}) FROM STDIN WITH (FORMAT csv)
