-- Unique indexes of one hypertable and their columns, for TimescaleDB's segmentby/orderby advice.
-- Guide section: "TimescaleDB Policies" (segmentby symbol only: TimescaleDB warns that timeframe, part of
-- ux_market_data_sym_tf_ts, should be segmented or ordered).
-- Parameters: hypertable (regclass text).
-- Safe to re-run: read-only.
SELECT i.indexrelid::regclass::text AS index_name,
       array_agg(a.attname::text ORDER BY k.ord) AS columns
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %(hypertable)s::regclass AND i.indisunique
GROUP BY i.indexrelid
