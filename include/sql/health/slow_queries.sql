-- Statements of this database slower on average than the threshold, most total time first.
-- Guide section: "Performance Monitoring: Query Performance". The guide kept only statements mentioning
-- market_data (ILIKE) and sorted by total time without a threshold; this keeps every statement of the current
-- database above the mean-time threshold. Run only when pg_stat_statements is installed and loaded; the
-- view's schema (where the extension was created) is composed as an identifier.
-- Parameters: min_mean_ms (float), row_limit (int).
-- Safe to re-run: read-only. Texts are normalised by pg_stat_statements (constants replaced by $n).
SELECT s.queryid,
       s.calls,
       round(s.total_exec_time::numeric, 1)::float AS total_ms,
       round(s.mean_exec_time::numeric, 1)::float AS mean_ms,
       round((100 * s.total_exec_time / nullif(sum(s.total_exec_time) OVER (), 0))::numeric, 1)::float AS percent_of_total,
       s.rows,
       left(regexp_replace(s.query, '\s+', ' ', 'g'), 200) AS query_preview
FROM {schema}.pg_stat_statements s
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND s.mean_exec_time >= %(min_mean_ms)s
ORDER BY s.total_exec_time DESC
LIMIT %(row_limit)s
