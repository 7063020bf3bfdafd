-- Every TimescaleDB job with its last run: policies and custom jobs (add_job) alike.
-- Guide section: "Troubleshooting: Check failed jobs". The guide selected application_name from job_stats
-- (the name is in timescaledb_information.jobs) and filtered last_run_status = 'ERROR' (the values are
-- 'Success' and 'Failed'). job_stats stores -infinity for a job that never finished a run: shown as NULL.
-- Parameters: none.
-- Safe to re-run: read-only.
SELECT j.job_id,
       j.application_name,
       j.proc_schema || '.' || j.proc_name AS procedure,
       CASE WHEN j.hypertable_name IS NOT NULL THEN j.hypertable_schema || '.' || j.hypertable_name END AS hypertable,
       j.scheduled,
       s.last_run_status,
       CASE WHEN isfinite(s.last_run_started_at) THEN s.last_run_started_at END AS last_run_started_at,
       CASE WHEN isfinite(s.last_successful_finish) THEN s.last_successful_finish END AS last_successful_finish,
       coalesce(s.total_runs, 0) AS total_runs,
       coalesce(s.total_failures, 0) AS total_failures,
       CASE WHEN isfinite(s.next_start) THEN s.next_start END AS next_start
FROM timescaledb_information.jobs j
LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
ORDER BY j.job_id
