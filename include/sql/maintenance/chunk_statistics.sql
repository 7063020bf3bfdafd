-- Per chunk of one hypertable: when its planner statistics were last refreshed, and its live/dead tuples.
-- Guide sections: "Weekly Tasks: Update of chunk statistics" and "System Health: Check for dead tuples". The
-- guide read pg_stat_user_tables for the parent table, which describes an empty parent: the rows live in the
-- chunks, so the statistics are read per chunk (schema-qualified regclass).
-- Parameters: schema, table (the hypertable).
-- Safe to re-run: read-only.
SELECT c.chunk_schema, c.chunk_name, c.range_start, c.range_end, c.is_compressed,
       greatest(s.last_analyze, s.last_autoanalyze) AS last_analyzed,
       s.n_live_tup, s.n_dead_tup
FROM timescaledb_information.chunks c
LEFT JOIN pg_stat_user_tables s ON s.relid = format('%%I.%%I', c.chunk_schema, c.chunk_name)::regclass
WHERE c.hypertable_schema = %(schema)s AND c.hypertable_name = %(table)s
ORDER BY c.range_start, c.chunk_name
