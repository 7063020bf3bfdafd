-- Set the schedule interval of one policy job (looked up by proc_name, never a hard-coded id).
-- Guide section: "TimescaleDB Policies" schedules and "Manual Policy Control" (alter_job on job 1004).
-- Parameters: job_id (integer), hours, start (next run, staggered against the other policies). Without next_start,
-- alter_job on a job that never ran stores next_start = -infinity: due at once, together with the others.
-- Safe to re-run: yes.
SELECT job_id, schedule_interval
FROM alter_job(%(job_id)s::int, schedule_interval => make_interval(secs => %(hours)s::float8 * 3600),
               next_start => %(start)s::timestamptz)
