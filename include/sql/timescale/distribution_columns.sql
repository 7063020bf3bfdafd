-- The columns of the given tables with their types: which per-segment metadata columns a compressed chunk
-- has (their names differ across TimescaleDB versions: _ts_meta_count; _ts_meta_min_1/_ts_meta_max_1 for the
-- first orderby column or _ts_meta_v2_min_<column>/_ts_meta_v2_max_<column>; _ts_meta_v2_bloom*_<column> bloom
-- filters on 2.20+), and the type of the hypertable's timeframe column.
-- Guide section: "Check Data Distribution" (support: the metadata read instead of the rows).
-- Parameters: tables (text array of quoted regclass texts).
-- Safe to re-run: read-only, pg_catalog only.
SELECT t.name AS table_name, a.attname::text AS column_name, format_type(a.atttypid, a.atttypmod) AS column_type
FROM unnest(%(tables)s::text[]) AS t(name)
JOIN pg_attribute a ON a.attrelid = t.name::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY t.name, a.attnum
