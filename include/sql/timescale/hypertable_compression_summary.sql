-- Compression totals of one hypertable: chunk counts, bytes before/after compression, size now, row estimate.
-- Guide section: "Compression Status". The guide read timescaledb_information.hypertable_compression_stats,
-- which does not exist: hypertable_compression_stats() is a function. Sizes now come from
-- hypertable_detailed_size() (pg_relation_size of a compressed chunk is about 0), rows from approximate_row_count().
-- Parameters: hypertable (regclass text), schema, table.
-- Safe to re-run: read-only, catalog and statistics only (no row of the hypertable is read).
SELECT now() AS taken_at,
       (SELECT count(*) FROM timescaledb_information.chunks
         WHERE hypertable_schema = %(schema)s AND hypertable_name = %(table)s) AS total_chunks,
       (SELECT count(*) FROM timescaledb_information.chunks
         WHERE hypertable_schema = %(schema)s AND hypertable_name = %(table)s AND is_compressed) AS compressed_chunks,
       s.before_compression_total_bytes,
       s.after_compression_total_bytes,
       (SELECT coalesce(sum(total_bytes), 0) FROM hypertable_detailed_size(%(hypertable)s::regclass)) AS total_bytes,
       approximate_row_count(%(hypertable)s::regclass) AS approximate_rows
FROM (SELECT sum(before_compression_total_bytes)::bigint AS before_compression_total_bytes,
             sum(after_compression_total_bytes)::bigint AS after_compression_total_bytes
      FROM hypertable_compression_stats(%(hypertable)s::regclass)) s
