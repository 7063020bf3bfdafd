-- Job errors recorded since a moment, newest first, for the given jobs or all of them, including the
-- scheduler's "out of background workers" (a job that could not even start).
-- Guide section: "Troubleshooting: Job history". The guide read _timescaledb_internal.bgw_job_stat (an internal
-- table without error texts) and a job_stats.application_name column that does not exist; the public view is
-- timescaledb_information.job_errors.
-- Parameters: since (timestamptz), job_ids (integer array, or NULL: every job).
-- Times that are not finite (-infinity) are read as NULL: Python cannot represent them.
-- Safe to re-run: read-only.
SELECT e.job_id,
       e.proc_schema || '.' || e.proc_name AS procedure,
       CASE WHEN isfinite(e.start_time) THEN e.start_time END AS start_time,
       CASE WHEN isfinite(e.finish_time) THEN e.finish_time END AS finish_time,
       e.sqlerrcode,
       coalesce(e.err_message, '') AS message
FROM timescaledb_information.job_errors e
WHERE coalesce(e.finish_time, e.start_time) >= %(since)s::timestamptz
  AND (%(job_ids)s::int[] IS NULL OR e.job_id = ANY(%(job_ids)s::int[]))
ORDER BY coalesce(e.finish_time, e.start_time) DESC
LIMIT 200
