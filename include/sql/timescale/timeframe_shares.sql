-- Share of each timeframe among the hypertable's rows, from the planner statistics ANALYZE gathered.
-- Guide section: "Compression Efficiency: Overall compression stats by timeframe", which joined every row of
-- market_data to the chunks (a full scan that also counted boundary rows twice). A chunk is a time range holding
-- every timeframe, so chunk-level compression cannot be split by timeframe; the row shares come from pg_stats
-- (the inherited statistics of the hypertable) at O(1).
-- Parameters: schema, table (the hypertable), column (the timeframe column name, as a value).
-- Safe to re-run: read-only.
SELECT v.value, v.share
FROM pg_stats s,
     LATERAL unnest(s.most_common_vals::text::text[], s.most_common_freqs) AS v(value, share)
WHERE s.schemaname = %(schema)s AND s.tablename = %(table)s AND s.attname = %(column)s AND s.inherited
ORDER BY v.share DESC
