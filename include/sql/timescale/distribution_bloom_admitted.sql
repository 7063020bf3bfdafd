-- The candidate timeframes a distinct bloom filter of compressed batches admits (a fragment of
-- distribution_segments.sql, evaluated once per distinct filter of a chunk: d.bloom_key is the filter as text).
-- Guide section: "Optimize Specific Timeframes" / "Check Data Distribution": timeframe is not a segmentby column,
-- so this is all the per-segment metadata says about it.
-- Parameters: timeframes (text array); composed by the caller: {bloom_type} (the bloom filter column's type),
-- {timeframe_type} (the timeframe column's type), both from the catalog.
-- Safe to re-run: read-only.
SELECT coalesce(array_agg(tf ORDER BY tf), ARRAY[]::text[]) FROM unnest(%(timeframes)s::text[]) AS tf
WHERE _timescaledb_functions.bloom1_contains(CAST(d.bloom_key AS {bloom_type}), CAST(tf AS {timeframe_type}))
