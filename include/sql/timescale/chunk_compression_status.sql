-- Per chunk: time range, compressed or not, bytes before/after compression and size now.
-- Guide sections: "Monitor Chunk Distribution", "Identify Uncompressed Chunks", "Compression timeline". The guide
-- read a view that does not exist (compression_chunk_size: the function is chunk_compression_stats()), cast
-- unqualified chunk names to regclass and used pg_relation_size, about 0 for a compressed chunk; its "by
-- timeframe" query joined every row of market_data to the chunks. This reads catalog and stats functions only.
-- Parameters: hypertable (regclass text), schema, table.
-- Safe to re-run: read-only.
SELECT c.chunk_schema, c.chunk_name, c.range_start, c.range_end, c.is_compressed,
       s.before_compression_total_bytes, s.after_compression_total_bytes, d.total_bytes
FROM timescaledb_information.chunks c
LEFT JOIN chunk_compression_stats(%(hypertable)s::regclass) s
       ON s.chunk_schema = c.chunk_schema AND s.chunk_name = c.chunk_name
LEFT JOIN chunks_detailed_size(%(hypertable)s::regclass) d
       ON d.chunk_schema = c.chunk_schema AND d.chunk_name = c.chunk_name
WHERE c.hypertable_schema = %(schema)s AND c.hypertable_name = %(table)s
ORDER BY c.range_start, c.chunk_name
