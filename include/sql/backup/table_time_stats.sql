-- Row count and time range of one table, recorded in the manifest and compared after a test restore.
-- Guide: Database Backup Verification ("Compare record counts": count, min and max of timestamp).
-- Placeholders: {table} and {time_column}, composed with psycopg sql.Identifier (no parameters).
-- Safe to re-run (read-only; a full scan of the table).
SELECT count(*) AS row_count, min({time_column}) AS min_time, max({time_column}) AS max_time
FROM {table}
