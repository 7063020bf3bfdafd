-- Facts of a recovered copy, run by psql inside its container (pitr/recovered_copy.py): TimescaleDB's version, the
-- hypertable's rows and time range, chunks, compressed chunks and jobs, and whether the verification's markers are
-- there (a database without the markers' table: false, read through query_to_xml so the query still parses).
-- Guide: none. psql variables: :schema, :table (the hypertable), :time_column, :marker_before,
-- :marker_after (marker ids; 0 when there are none). Read-only; prints one JSON line.
SELECT json_build_object(
    'timescaledb', (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'),
    'rows', (SELECT count(*) FROM :"schema".:"table"),
    'newest', (SELECT max(:"time_column") FROM :"schema".:"table"),
    'chunks', (SELECT count(*) FROM timescaledb_information.chunks
               WHERE hypertable_schema = :'schema' AND hypertable_name = :'table'),
    'compressed_chunks', (SELECT count(*) FROM timescaledb_information.chunks
                          WHERE hypertable_schema = :'schema' AND hypertable_name = :'table' AND is_compressed),
    'jobs', (SELECT count(*) FROM timescaledb_information.jobs
             WHERE hypertable_schema = :'schema' AND hypertable_name = :'table'),
    'marker_before', CASE WHEN to_regclass('public.tsdb_ops_pitr_markers') IS NULL THEN false
                     ELSE (xpath('/row/n/text()', query_to_xml(format(
                         'SELECT count(*) AS n FROM public.tsdb_ops_pitr_markers WHERE id = %s', :'marker_before'::bigint),
                         false, true, '')))[1]::text::int > 0 END,
    'marker_after', CASE WHEN to_regclass('public.tsdb_ops_pitr_markers') IS NULL THEN false
                    ELSE (xpath('/row/n/text()', query_to_xml(format(
                        'SELECT count(*) AS n FROM public.tsdb_ops_pitr_markers WHERE id = %s', :'marker_after'::bigint),
                        false, true, '')))[1]::text::int > 0 END
)
