-- Per chunk of one hypertable: time range, compressed or not, its compressed companion table (where the
-- per-segment metadata lives) with its columns and their types (the metadata columns' names differ across
-- TimescaleDB versions: _ts_meta_count; _ts_meta_min_1/_ts_meta_max_1 for the first orderby column or
-- _ts_meta_v2_min_<column>/_ts_meta_v2_max_<column>; _ts_meta_v2_bloom*_<column> bloom filters on 2.20+), its
-- size now (table, indexes and TOAST with its companion's: what chunks_detailed_size() sums, without its cost per
-- call), the hypertable's first orderby column and the types of its symbol and timeframe columns, the chunk's
-- status bits (2 unordered, 8 partial: rows inserted after compression wait in the chunk's own heap), and its
-- heap's statistics in PostgreSQL: reltuples and relpages from the last VACUUM or ANALYZE, its pages now, and the
-- most common symbol and timeframe values of its sample (candidates for the series looked up in its index).
-- Guide section: "Check Data Distribution", which counted every row of market_data (GROUP BY symbol, timeframe)
-- and summed pg_column_size over whole rows, decompressing every compressed chunk. The distribution is built from
-- this list: compressed segments' metadata for compressed chunks, the heap's statistics and index for the others.
-- Parameters: hypertable (regclass text), schema, table (the hypertable), symbol_column, timeframe_column.
-- Safe to re-run: read-only, catalog only (the compressed table's name comes from _timescaledb_catalog.chunk).
SELECT c.chunk_schema, c.chunk_name, c.range_start, c.range_end, c.is_compressed,
       cc.schema_name::text AS compressed_schema, cc.table_name::text AS compressed_name,
       CASE WHEN cc.id IS NOT NULL THEN (
           SELECT jsonb_object_agg(a.attname, format_type(a.atttypid, a.atttypmod)) FROM pg_attribute a
           WHERE a.attrelid = format('%%I.%%I', cc.schema_name, cc.table_name)::regclass
             AND a.attnum > 0 AND NOT a.attisdropped)
       END AS compressed_columns,
       pg_total_relation_size(r.oid) + CASE WHEN cc.id IS NOT NULL THEN
           pg_total_relation_size(format('%%I.%%I', cc.schema_name, cc.table_name)::regclass) ELSE 0 END AS total_bytes,
       (SELECT s.attname::text FROM timescaledb_information.compression_settings s
         WHERE s.hypertable_schema = %(schema)s AND s.hypertable_name = %(table)s AND s.orderby_column_index = 1
       ) AS first_orderby_column,
       (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
         WHERE a.attrelid = %(hypertable)s::regclass AND a.attname = %(symbol_column)s AND NOT a.attisdropped
       ) AS symbol_type,
       (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
         WHERE a.attrelid = %(hypertable)s::regclass AND a.attname = %(timeframe_column)s AND NOT a.attisdropped
       ) AS timeframe_type,
       ch.status,
       r.reltuples::float8 AS reltuples, r.relpages::bigint AS relpages,
       pg_relation_size(r.oid) / current_setting('block_size')::bigint AS pages,
       (SELECT st.most_common_vals::text::text[] FROM pg_stats st
         WHERE st.schemaname = c.chunk_schema AND st.tablename = c.chunk_name AND st.attname = %(symbol_column)s
       ) AS common_symbols,
       (SELECT st.most_common_vals::text::text[] FROM pg_stats st
         WHERE st.schemaname = c.chunk_schema AND st.tablename = c.chunk_name AND st.attname = %(timeframe_column)s
       ) AS common_timeframes
FROM timescaledb_information.chunks c
JOIN _timescaledb_catalog.chunk ch ON ch.schema_name = c.chunk_schema AND ch.table_name = c.chunk_name
JOIN pg_class r ON r.oid = format('%%I.%%I', c.chunk_schema, c.chunk_name)::regclass
LEFT JOIN _timescaledb_catalog.chunk cc ON cc.id = ch.compressed_chunk_id
WHERE c.hypertable_schema = %(schema)s AND c.hypertable_name = %(table)s
ORDER BY c.range_start, c.chunk_name
