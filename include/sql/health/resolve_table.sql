-- Resolve the configured table to its oid, schema and name with the PostgreSQL catalog only (works with or
-- without TimescaleDB, so the checks also run on a plain PostgreSQL table).
-- Guide section: "System Health" assumed market_data in the search path (pg_tables WHERE tablename = ...).
-- Parameters: table_name (quoted identifier text, optionally schema-qualified; to_regclass never raises).
-- Safe to re-run: read-only.
SELECT c.oid::bigint AS relid, n.nspname AS schema_name, c.relname AS table_name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = to_regclass(%(table_name)s)
