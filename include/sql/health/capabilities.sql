-- What this server offers the health checks: TimescaleDB and pg_stat_statements (installed, and loaded).
-- Guide section: "Performance Monitoring: Query Performance" queried pg_stat_statements unconditionally; the view
-- exists only after CREATE EXTENSION and answers only when the library is in shared_preload_libraries, so the
-- check asks first and reports a note instead of failing.
-- Parameters: none.
-- Safe to re-run: read-only.
SELECT current_database() AS database,
       current_setting('server_version') AS server_version,
       (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS timescaledb_version,
       (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_stat_statements') AS pg_stat_statements_schema,
       'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))
           AS pg_stat_statements_loaded
