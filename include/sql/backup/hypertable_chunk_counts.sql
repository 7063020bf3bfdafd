-- Chunks and compressed chunks of every hypertable, recorded in the manifest and compared after a restore: a
-- restore that lost chunks (a retention policy ran) or their compression shows here, from the catalog only.
-- Guide: Database Backup Verification (the guide compares only record counts).
-- Parameters: none. Run only when TimescaleDB is installed. Safe to re-run (read-only, catalog only).
SELECT hypertable_schema, hypertable_name, count(*) AS chunks, count(*) FILTER (WHERE is_compressed) AS compressed_chunks
FROM timescaledb_information.chunks
GROUP BY hypertable_schema, hypertable_name
ORDER BY hypertable_schema, hypertable_name
