-- Every hypertable with the column of its primary (time) dimension. Run only when TimescaleDB is installed.
-- Guide: Database Backup Verification (the guide compares only market_data).
-- Parameters: none. Safe to re-run (read-only, catalog only).
SELECT hypertable_schema AS table_schema, hypertable_name AS table_name, column_name AS time_column
FROM timescaledb_information.dimensions
WHERE dimension_number = 1
ORDER BY hypertable_schema, hypertable_name
