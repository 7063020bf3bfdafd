-- Resolve a validated table name to its schema and name, and tell whether it is a TimescaleDB hypertable.
-- Guide section: none directly; every maintenance step starts here instead of assuming 'market_data' in public.
-- Parameters: table_name (quoted identifier text, optionally schema-qualified; to_regclass never raises).
-- Safe to re-run: read-only.
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       EXISTS (SELECT 1 FROM timescaledb_information.hypertables h
               WHERE h.hypertable_schema = n.nspname AND h.hypertable_name = c.relname) AS is_hypertable
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = to_regclass(%(table_name)s)
