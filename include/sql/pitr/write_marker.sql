-- One marker of the PITR verification and, in the same transaction, the counts the recovered copy is compared
-- with: rows of the hypertable, its chunks, compressed chunks and jobs. Guide: none.
-- Placeholder: {table} (sql.Identifier pair of the hypertable). Parameters: %(kind)s, %(run_id)s, %(schema)s,
-- %(name)s. Writes a row: run once per marker.
WITH marker AS (
    INSERT INTO public.tsdb_ops_pitr_markers (kind, run_id) VALUES (%(kind)s, %(run_id)s)
    RETURNING id, written_at
)
SELECT marker.id, marker.written_at,
       (SELECT count(*) FROM {table}) AS rows,
       (SELECT count(*) FROM timescaledb_information.chunks
        WHERE hypertable_schema = %(schema)s AND hypertable_name = %(name)s) AS chunks,
       (SELECT count(*) FROM timescaledb_information.chunks
        WHERE hypertable_schema = %(schema)s AND hypertable_name = %(name)s AND is_compressed) AS compressed_chunks,
       (SELECT count(*) FROM timescaledb_information.jobs
        WHERE hypertable_schema = %(schema)s AND hypertable_name = %(name)s) AS jobs
FROM marker
