-- Server facts recorded in the backup manifest: PostgreSQL version, TimescaleDB version (a TimescaleDB
-- restore needs the same extension version), database size (for the compression ratio).
-- Guide: Backup and Recovery Procedures (the guide records none of this).
-- Parameters: none. Safe to re-run (read-only).
SELECT current_setting('server_version') AS server_version,
       (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS timescaledb_version,
       pg_database_size(current_database()) AS database_bytes
