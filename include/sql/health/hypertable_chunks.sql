-- Whether the table is a hypertable with compression enabled, and the oids of its chunks.
-- Guide section: "System Health" read pg_stat_user_tables for market_data itself: a hypertable's parent is
-- empty, its rows and dead tuples live in the chunks, so every statistic is summed over show_chunks().
-- Parameters: schema, table (names as resolved from the catalog), hypertable (regclass text).
-- Safe to re-run: read-only. Run only when TimescaleDB is installed.
SELECT h.compression_enabled,
       coalesce((SELECT array_agg(ch::oid::bigint) FROM show_chunks(%(hypertable)s::regclass) ch), '{}') AS chunk_relids
FROM timescaledb_information.hypertables h
WHERE h.hypertable_schema = %(schema)s AND h.hypertable_name = %(table)s
