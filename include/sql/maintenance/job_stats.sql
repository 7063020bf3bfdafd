-- Last run status and failure counts of the given jobs.
-- Guide section: "Troubleshooting: Check failed jobs". The guide filtered last_run_status = 'ERROR' (the values
-- are Success and Failed) and selected application_name, which job_stats does not have.
-- Parameters: job_ids (integer array).
-- A job that never ran reports -infinity timestamps, which Python cannot represent: they become NULL.
-- Safe to re-run: read-only.
SELECT job_id, last_run_status,
       nullif(last_run_started_at, '-infinity') AS last_run_started_at,
       nullif(last_successful_finish, '-infinity') AS last_successful_finish,
       total_runs, total_failures,
       nullif(next_start, '-infinity') AS next_start
FROM timescaledb_information.job_stats
WHERE job_id = ANY(%(job_ids)s::int[])
ORDER BY job_id
