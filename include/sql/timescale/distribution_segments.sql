-- Per symbol of one compressed chunk, grouped by the set of timeframes a batch may hold: rows, oldest and newest
-- time, from the per-segment metadata only. Each compressed batch (up to 1000 rows of one segment) keeps its row
-- count (_ts_meta_count) and the min/max of the time column; where the chunk has a bloom filter on the timeframe
-- column, the candidate timeframes it admits form the batch's set (no false negatives: a timeframe outside the
-- set is absent from the batch; a set of one timeframe means every row of the batch has it). Batches holding the
-- same timeframes have equal filters: the batches are grouped by symbol and filter, and each distinct filter of
-- the chunk is asked once. No compressed value is read (the compressed columns stay in TOAST). Rows and times per
-- symbol are exact; per timeframe they are exact only for batches whose set holds one timeframe.
-- Guide section: "Check Data Distribution": its GROUP BY symbol, timeframe decompressed every row for this.
-- Parameters: timeframes (text array of candidate values); composed by the caller with psycopg sql:
-- {segment_table} (the compressed chunk), {symbol} (the segmentby symbol column, or NULL when symbol is not a
-- segmentby column), {count}, {min_time}, {max_time} (metadata columns), {bloom_key} (the bloom filter as text,
-- or NULL), {admitted} (the query of a filter's set from d.bloom_key, or one returning NULL without a filter).
-- Safe to re-run: read-only.
WITH g AS (
    SELECT {symbol}::text AS symbol, {bloom_key} AS bloom_key, sum({count}) AS row_count,
           min({min_time}) AS oldest, max({max_time}) AS newest, count(*) AS batches
    FROM {segment_table}
    GROUP BY 1, 2
), k AS MATERIALIZED (
    SELECT d.bloom_key, ({admitted}) AS admitted FROM (SELECT DISTINCT g.bloom_key FROM g) AS d
)
SELECT g.symbol, k.admitted, sum(g.row_count)::bigint AS row_count, min(g.oldest) AS oldest,
       max(g.newest) AS newest, sum(g.batches)::bigint AS batches
FROM g JOIN k ON k.bloom_key IS NOT DISTINCT FROM g.bloom_key
GROUP BY 1, 2
