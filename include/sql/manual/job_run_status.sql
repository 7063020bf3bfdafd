-- Last run status and failure counts of the given jobs, for the after-crash check.
-- Guide section: "Recovery After System Crash: Check policy status" (SELECT * FROM job_stats). A job that has
-- not run yet reports '-infinity' as its last start and finish, which no client datetime type can hold: those
-- become NULL ("no run yet") here.
-- Parameters: job_ids (integer array).
-- Safe to re-run: read-only.
SELECT job_id, last_run_status,
       nullif(last_run_started_at, '-infinity') AS last_run_started_at,
       nullif(last_successful_finish, '-infinity') AS last_successful_finish,
       total_runs, total_failures,
       nullif(next_start, '-infinity') AS next_start
FROM timescaledb_information.job_stats
WHERE job_id = ANY(%(job_ids)s::int[])
ORDER BY job_id
