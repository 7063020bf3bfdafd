-- Resolve a validated table name (optionally schema-qualified; search_path applies) to its oid, schema and name,
-- with the installed TimescaleDB version. No row when there is no such table (to_regclass never raises).
-- Guide section: none directly; the guide assumed 'market_data' in the search path everywhere. Every step that
-- names a table from config or params starts here, on plain PostgreSQL too (pg_catalog only).
-- Parameters: table_name (quoted identifier text).
-- Safe to re-run: read-only.
SELECT c.oid::bigint AS relid, n.nspname AS schema_name, c.relname AS table_name,
       (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS timescaledb_version
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = to_regclass(%(table_name)s) AND c.relkind IN ('r', 'p')
