-- A hypertable's time column (primary dimension) and whether compression is enabled; no row for a plain table.
-- Guide section: none directly ("TimescaleDB Policies" assumed market_data is a hypertable with compression).
-- Parameters: schema, table (names as resolved from the catalog).
-- Safe to re-run: read-only. Run only when TimescaleDB is installed.
SELECT d.column_name AS time_column, h.compression_enabled
FROM timescaledb_information.hypertables h
JOIN timescaledb_information.dimensions d
  ON d.hypertable_schema = h.hypertable_schema AND d.hypertable_name = h.hypertable_name AND d.dimension_number = 1
WHERE h.hypertable_schema = %(schema)s AND h.hypertable_name = %(table)s
