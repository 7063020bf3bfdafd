-- Per candidate series (symbol x timeframe) of one uncompressed chunk: for a series with few bars in the chunk
-- (a coarse timeframe such as H1 or D1 in a 7-day chunk) its exact row count, oldest and newest time; for the
-- others their newest time, and the time and number of their last {tail_bars} rows (a check of the estimate: they
-- span as many bars of their timeframe when none is missing; 1 row, the newest, where no check is wanted). Each
-- is a short range of the unique index (symbol, timeframe, timestamp), read from the index alone once VACUUM has
-- marked the pages all-visible; no other row is read. The caller estimates the rows of the other series from
-- these and PostgreSQL's row count of the chunk (reltuples), and counts the chunk one by one instead when the
-- estimates do not add up to it or a tail misses bars.
-- Guide section: "Check Data Distribution": its GROUP BY over every row of market_data.
-- Parameters: symbols (text array of candidate values); composed by the caller with psycopg sql: {chunk},
-- {symbol}, {timeframe}, {time} (identifiers), {symbol_type}, {timeframe_type} (column types from the catalog),
-- {counted}, {probed} (text array literals: the candidate timeframes counted and those only probed), {tail_bars}
-- (an integer literal).
-- Safe to re-run: read-only.
SELECT s.symbol, t.timeframe, r.oldest, r.newest, r.row_count, NULL::bigint AS tail_count
FROM unnest(%(symbols)s::text[]) AS s(symbol)
CROSS JOIN unnest({counted}::text[]) AS t(timeframe)
CROSS JOIN LATERAL (
    SELECT min(c.{time}) AS oldest, max(c.{time}) AS newest, count(*) AS row_count FROM ONLY {chunk} AS c
    WHERE c.{symbol} = CAST(s.symbol AS {symbol_type}) AND c.{timeframe} = CAST(t.timeframe AS {timeframe_type})
) AS r
WHERE r.row_count > 0
UNION ALL
SELECT s.symbol, t.timeframe, r.tail_start, r.newest, NULL, r.tail_count
FROM unnest(%(symbols)s::text[]) AS s(symbol)
CROSS JOIN unnest({probed}::text[]) AS t(timeframe)
CROSS JOIN LATERAL (
    SELECT min(tail.{time}) AS tail_start, max(tail.{time}) AS newest, count(*) AS tail_count
    FROM (SELECT c.{time} FROM ONLY {chunk} AS c
          WHERE c.{symbol} = CAST(s.symbol AS {symbol_type})
            AND c.{timeframe} = CAST(t.timeframe AS {timeframe_type})
          ORDER BY c.{time} DESC LIMIT {tail_bars}) AS tail
) AS r
WHERE r.tail_count > 0
