-- The TimescaleDB jobs a dump carries (ids from 1000: the extension's own jobs are created by CREATE EXTENSION and
-- never dumped), with the state the restore needs to put them back: scheduled, next start, schedule interval, and
-- how often each has run (a dump carries no run history, so a restored job with runs ran after the restore).
-- Guide: Backup and Recovery Procedures (the guide records nothing about jobs; a restored database then runs every
-- policy at once, and retention drops restored chunks).
-- next_start can be -infinity (altered before it ever ran) or infinity: psycopg cannot load either into a
-- datetime, so a finite next start comes as timestamptz and an infinite one as text.
-- Parameters: none. Run only when TimescaleDB is installed. Safe to re-run (read-only, catalog only).
SELECT j.job_id,
       format('%s.%s', j.proc_schema, j.proc_name) AS proc,
       CASE WHEN j.hypertable_name IS NOT NULL THEN format('%s.%s', j.hypertable_schema, j.hypertable_name) END AS hypertable,
       j.scheduled,
       extract(epoch FROM j.schedule_interval)::float8 AS schedule_interval_seconds,
       CASE WHEN isfinite(stat.next_start) THEN stat.next_start END AS next_start,
       CASE WHEN NOT isfinite(stat.next_start) THEN stat.next_start::text END AS next_start_infinite,
       coalesce(stat.total_runs, 0) AS total_runs
FROM timescaledb_information.jobs j
LEFT JOIN timescaledb_information.job_stats stat ON stat.job_id = j.job_id
WHERE j.job_id >= 1000
ORDER BY j.job_id
