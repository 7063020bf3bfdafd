-- Schema and name of a table given as table or schema.table (search_path applies); no row when there is no such
-- table. Used to check every table param against the catalog before it is composed into a statement.
-- Guide: Selective Backup / Selective Data Recovery (the guide names market_data and ml_predictions directly).
-- Parameters: %(table)s (text, already checked to be made of SQL identifiers). Safe to re-run (read-only).
SELECT n.nspname AS table_schema, c.relname AS table_name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = to_regclass(%(table)s) AND c.relkind IN ('r', 'p')
