-- Schema and name of the configured market-data table and whether it has the configured time column; no row
-- when the table does not exist. Covers plain PostgreSQL, where there are no hypertables.
-- Guide: Database Backup Verification.
-- Parameters: %(table)s (optionally schema-qualified name), %(time_column)s. Safe to re-run (read-only).
SELECT n.nspname AS table_schema, c.relname AS table_name, a.attname AS time_column
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = %(time_column)s AND NOT a.attisdropped
WHERE c.oid = to_regclass(%(table)s)
