-- Whether compression is enabled on one hypertable, and its segmentby and orderby columns in order.
-- Guide section: "TimescaleDB Policies: Compression settings". Read from the public views (stable across 2.x).
-- Parameters: schema, table (the hypertable).
-- Safe to re-run: read-only.
SELECT h.compression_enabled,
       (SELECT array_agg(s.attname::text ORDER BY s.segmentby_column_index)
          FROM timescaledb_information.compression_settings s
         WHERE s.hypertable_schema = h.hypertable_schema AND s.hypertable_name = h.hypertable_name
           AND s.segmentby_column_index IS NOT NULL) AS segmentby,
       (SELECT array_agg(s.attname::text ORDER BY s.orderby_column_index)
          FROM timescaledb_information.compression_settings s
         WHERE s.hypertable_schema = h.hypertable_schema AND s.hypertable_name = h.hypertable_name
           AND s.orderby_column_index IS NOT NULL) AS orderby
FROM timescaledb_information.hypertables h
WHERE h.hypertable_schema = %(schema)s AND h.hypertable_name = %(table)s
