-- Set the schedule interval of one policy job (looked up by proc_name, never a hard-coded id).
-- Guide section: "TimescaleDB Policies" schedules and "Manual Policy Control" (alter_job on job 1004).
-- Parameters: job_id (integer), hours.
-- Safe to re-run: yes.
SELECT job_id, schedule_interval
FROM alter_job(%(job_id)s::int, schedule_interval => make_interval(secs => %(hours)s::float8 * 3600))
