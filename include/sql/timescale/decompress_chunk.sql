-- Decompress one chunk (the first half of a recompression; the caller compresses it again in the same
-- transaction with maintenance/compress_chunk.sql, so the chunk is never left decompressed).
-- Guide section: "Advanced Maintenance: Recompress Inefficient Chunks". The guide read the non-existent view
-- timescaledb_information.compression_chunk_size and cast unqualified chunk names to regclass.
-- Parameters: chunk (schema-qualified regclass text).
-- Safe to re-run: yes (if_compressed).
SELECT decompress_chunk(%(chunk)s::regclass, if_compressed => true)
