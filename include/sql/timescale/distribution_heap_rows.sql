-- Exact rows, oldest and newest per symbol and timeframe of the rows of one chunk that are not compressed: the
-- whole chunk when it is uncompressed (the recent ones), the rows inserted after compression otherwise. FROM ONLY
-- reads the chunk's own heap, not its compressed companion.
-- Guide section: "Check Data Distribution": its GROUP BY over every row of market_data; here only rows not
-- compressed are counted.
-- Parameters (composed by the caller with psycopg sql): {chunk}, {symbol}, {timeframe}, {time} (identifiers).
-- Safe to re-run: read-only.
SELECT {symbol}::text AS symbol, {timeframe}::text AS timeframe, count(*) AS row_count,
       min({time}) AS oldest, max({time}) AS newest
FROM ONLY {chunk}
GROUP BY 1, 2
