-- The hypertable's chunk_time_interval, the sizes of the chunks of its two newest time slices (the one being
-- written and the last complete one), its chunk count and the server's shared_buffers: the inputs of the
-- chunk-interval check (TimescaleDB's sizing advice: the indexes of the chunks being written fit in a quarter of memory).
-- Guide section: "Performance Issues" ("Verify chunk time ranges are appropriate") gives no query or measure.
-- Sizes come from chunks_detailed_size() (a compressed chunk's pg_relation_size is about 0); chunks that start in
-- the future (bad timestamps) are left out. One row per chunk of the two newest slices; a hypertable without
-- chunks gives one row with empty chunk columns; a plain table gives no row (it has no chunks to judge).
-- Needs TimescaleDB in the database (the health DAG's target is a hypertable).
-- Parameters: parent_relid (bigint oid of the table, from the health target).
-- Safe to re-run: read-only (catalog views and size functions, no row is read).
WITH hypertable AS (
    SELECT n.nspname AS schema_name, c.relname AS table_name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = %(parent_relid)s::bigint::oid
), dimension AS (
    SELECT d.column_name, d.time_interval, d.integer_interval
    FROM timescaledb_information.dimensions d
    JOIN hypertable h ON d.hypertable_schema = h.schema_name AND d.hypertable_name = h.table_name
    WHERE d.dimension_number = 1
), chunk AS (
    SELECT ch.chunk_schema, ch.chunk_name, ch.range_start, ch.range_end, ch.is_compressed,
           dense_rank() OVER (ORDER BY ch.range_start DESC) AS slice,
           count(*) OVER () AS chunk_count
    FROM timescaledb_information.chunks ch
    JOIN hypertable h ON ch.hypertable_schema = h.schema_name AND ch.hypertable_name = h.table_name
    WHERE ch.range_start <= now()
)
SELECT d.column_name AS time_column,
       extract(epoch FROM d.time_interval)::float8 AS interval_seconds,
       d.integer_interval,
       pg_size_bytes(current_setting('shared_buffers')) AS shared_buffers_bytes,
       coalesce((SELECT max(chunk_count) FROM chunk), 0) AS chunk_count,
       CASE WHEN ch.chunk_name IS NOT NULL THEN format('%%I.%%I', ch.chunk_schema, ch.chunk_name) END AS chunk,
       ch.slice,
       ch.range_start,
       ch.range_end,
       ch.is_compressed,
       s.table_bytes,
       s.index_bytes,
       s.toast_bytes,
       s.total_bytes
FROM dimension d
LEFT JOIN chunk ch ON ch.slice <= 2
LEFT JOIN chunks_detailed_size(%(parent_relid)s::bigint::oid::regclass) s
       ON s.chunk_schema = ch.chunk_schema AND s.chunk_name = ch.chunk_name
ORDER BY ch.slice, ch.chunk_name
