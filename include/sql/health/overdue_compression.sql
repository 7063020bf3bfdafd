-- Uncompressed chunks whose whole range is older than the compression policy's compress_after (or, without a
-- policy, the configured days), with their size now.
-- Guide section: "Recovery After System Crash: Recompress any uncompressed chunks" and "Compression timeline".
-- The guide compared regclass values with unqualified chunk names (NOT IN never matched) and sized chunks with
-- pg_relation_size, about 0 for a compressed chunk; chunks_detailed_size() counts a chunk's real bytes.
-- Parameters: hypertable (regclass text), schema, table, default_days (float).
-- Safe to re-run: read-only.
WITH policy AS (
    SELECT (j.config ->> 'compress_after')::interval AS compress_after, j.job_id
    FROM timescaledb_information.jobs j
    WHERE j.hypertable_schema = %(schema)s AND j.hypertable_name = %(table)s
      AND j.proc_name IN ('policy_compression', 'policy_columnstore')
    ORDER BY j.job_id
    LIMIT 1
), age AS (
    SELECT coalesce((SELECT compress_after FROM policy), make_interval(secs => %(default_days)s * 86400)) AS compress_after,
           (SELECT job_id FROM policy) AS policy_job_id
)
-- One row per overdue chunk; one row with a NULL chunk when there is none, so the age used is always known.
SELECT extract(epoch FROM a.compress_after)::float / 86400 AS compress_after_days, a.policy_job_id, o.chunk, o.range_start, o.range_end, o.total_bytes
FROM age a
LEFT JOIN LATERAL (
    SELECT c.chunk_schema || '.' || c.chunk_name AS chunk, c.range_start, c.range_end, d.total_bytes
    FROM timescaledb_information.chunks c
    LEFT JOIN chunks_detailed_size(%(hypertable)s::regclass) d
           ON d.chunk_schema = c.chunk_schema AND d.chunk_name = c.chunk_name
    WHERE c.hypertable_schema = %(schema)s AND c.hypertable_name = %(table)s
      AND NOT c.is_compressed
      AND c.range_end <= now() - a.compress_after
) o ON true
ORDER BY o.range_start
