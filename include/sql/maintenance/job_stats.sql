-- Last run status and failure counts of the given jobs.
-- Guide section: "Troubleshooting: Check failed jobs". The guide filtered last_run_status = 'ERROR' (the values
-- are Success and Failed) and selected application_name, which job_stats does not have.
-- Parameters: job_ids (integer array).
-- A job that never ran reports -infinity timestamps (infinity is possible too), which Python cannot represent:
-- they become NULL.
-- Safe to re-run: read-only.
SELECT job_id, last_run_status,
       CASE WHEN isfinite(last_run_started_at) THEN last_run_started_at END AS last_run_started_at,
       CASE WHEN isfinite(last_successful_finish) THEN last_successful_finish END AS last_successful_finish,
       total_runs, total_failures,
       CASE WHEN isfinite(next_start) THEN next_start END AS next_start
FROM timescaledb_information.job_stats
WHERE job_id = ANY(%(job_ids)s::int[])
ORDER BY job_id
