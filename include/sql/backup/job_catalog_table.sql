-- Where TimescaleDB keeps its job table: _timescaledb_config.bgw_job up to 2.24, _timescaledb_catalog.bgw_job from
-- 2.25 (where _timescaledb_config.bgw_job is a compatibility view, announced as temporary).
-- Guide: none (support for unscheduling the restored jobs before timescaledb_post_restore()).
-- Parameters: none. Safe to re-run (read-only, catalog only).
SELECT n.nspname AS table_schema, c.relname AS table_name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname = 'bgw_job' AND c.relkind = 'r' AND n.nspname IN ('_timescaledb_catalog', '_timescaledb_config')
