-- Per chunk of one hypertable: time range, compressed or not, its compressed companion table (where the
-- per-segment metadata lives), its size now, the hypertable's first orderby column, and the chunk's status bits
-- (2 unordered, 8 partial: rows inserted after compression wait in the chunk's own heap).
-- Guide section: "Check Data Distribution", which counted every row of market_data (GROUP BY symbol, timeframe)
-- and summed pg_column_size over whole rows, decompressing every compressed chunk. The distribution is built from
-- this list: compressed segments' metadata for compressed chunks, exact counts only of rows not compressed.
-- Parameters: hypertable (regclass text), schema, table.
-- Safe to re-run: read-only, catalog only (the compressed table's name comes from _timescaledb_catalog.chunk).
SELECT c.chunk_schema, c.chunk_name, c.range_start, c.range_end, c.is_compressed,
       cc.schema_name::text AS compressed_schema, cc.table_name::text AS compressed_name,
       d.total_bytes,
       (SELECT s.attname::text FROM timescaledb_information.compression_settings s
         WHERE s.hypertable_schema = %(schema)s AND s.hypertable_name = %(table)s AND s.orderby_column_index = 1
       ) AS first_orderby_column,
       ch.status
FROM timescaledb_information.chunks c
JOIN _timescaledb_catalog.chunk ch ON ch.schema_name = c.chunk_schema AND ch.table_name = c.chunk_name
LEFT JOIN _timescaledb_catalog.chunk cc ON cc.id = ch.compressed_chunk_id
LEFT JOIN chunks_detailed_size(%(hypertable)s::regclass) d
       ON d.chunk_schema = c.chunk_schema AND d.chunk_name = c.chunk_name
WHERE c.hypertable_schema = %(schema)s AND c.hypertable_name = %(table)s
ORDER BY c.range_start, c.chunk_name
