-- List the chunks of one hypertable, oldest first, optionally only those older than N days.
-- Guide sections: "Identify Uncompressed Chunks", "Recovery After System Crash". The guide cast the bare
-- chunk_name to regclass, which fails outside the chunk's schema; here each chunk is schema-qualified, and
-- "older than" is TimescaleDB's own show_chunks(older_than => ...) selection (chunk range end before the cutoff).
-- Parameters: hypertable (regclass text), schema, table, older_than_days (number, or NULL for all chunks).
-- Safe to re-run: read-only, catalog only.
SELECT c.chunk_schema, c.chunk_name, c.range_start, c.range_end, c.is_compressed
FROM timescaledb_information.chunks c
WHERE c.hypertable_schema = %(schema)s
  AND c.hypertable_name = %(table)s
  AND (%(older_than_days)s::float8 IS NULL
       OR format('%%I.%%I', c.chunk_schema, c.chunk_name)::regclass IN (
            SELECT show_chunks(%(hypertable)s::regclass,
                               older_than => make_interval(secs => coalesce(%(older_than_days)s::float8, 0) * 86400))))
ORDER BY c.range_start, c.chunk_name
