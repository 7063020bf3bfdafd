-- The candidate timeframes a compressed batch's bloom filter admits (a fragment of distribution_segments.sql).
-- Guide section: "Optimize Specific Timeframes" / "Check Data Distribution": timeframe is not a segmentby column,
-- so this is all the per-segment metadata says about it.
-- Parameters: timeframes (text array); composed by the caller: {bloom} (the bloom filter column),
-- {timeframe_type} (the timeframe column's type, from the catalog).
-- Safe to re-run: read-only.
SELECT coalesce(array_agg(tf ORDER BY tf), ARRAY[]::text[]) FROM unnest(%(timeframes)s::text[]) AS tf
WHERE _timescaledb_functions.bloom1_contains({bloom}, CAST(tf AS {timeframe_type}))
