-- Errors of the given jobs since a point in time.
-- Guide section: "Troubleshooting: Job history", which read _timescaledb_internal.bgw_job_stat and a
-- job_stats.application_name column that does not exist; the public view is timescaledb_information.job_errors.
-- Parameters: job_ids (integer array), since (timestamptz).
-- Times that are not finite (-infinity) are read as NULL: Python cannot represent them.
-- Safe to re-run: read-only.
SELECT job_id,
       CASE WHEN isfinite(start_time) THEN start_time END AS start_time,
       CASE WHEN isfinite(finish_time) THEN finish_time END AS finish_time,
       sqlerrcode, coalesce(err_message, '') AS message
FROM timescaledb_information.job_errors
WHERE job_id = ANY(%(job_ids)s::int[])
  AND coalesce(finish_time, start_time) >= %(since)s::timestamptz
ORDER BY start_time
