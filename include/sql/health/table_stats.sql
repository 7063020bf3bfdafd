-- Per relation (the hypertable's chunks, or the plain table): live and dead tuples, vacuum times, heap size,
-- planner row count and average row width, the inputs of the dead-tuple and table-bloat decisions.
-- Guide section: "System Health: Check for bloat / Check for dead tuples". The guide read the parent of the
-- hypertable (empty: zero tuples, zero bytes), divided dead by live tuples (infinite on an emptied table) and
-- called sizes "bloat". Here: per chunk, summed by the caller; the bloat estimate compares the heap with the
-- size its live rows need (row width from pg_stats), the statistical estimate used by check_postgres.
-- Parameters: relids (bigint array of table oids).
-- Safe to re-run: read-only (statistics views and size functions, no row is read).
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       coalesce(s.n_live_tup, 0) AS live_tuples,
       coalesce(s.n_dead_tup, 0) AS dead_tuples,
       greatest(s.last_vacuum, s.last_autovacuum) AS last_vacuum,
       greatest(s.last_analyze, s.last_autoanalyze) AS last_analyze,
       pg_relation_size(c.oid) AS heap_bytes,
       pg_indexes_size(c.oid) AS index_bytes,
       greatest(c.reltuples, 0)::bigint AS planner_rows,
       (SELECT sum(st.avg_width) FROM pg_stats st
        WHERE st.schemaname = n.nspname AND st.tablename = c.relname AND NOT st.inherited)::int AS row_width_bytes,
       current_setting('block_size')::int AS block_size
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.oid = ANY (%(relids)s::bigint[]::oid[])
ORDER BY n.nspname, c.relname
