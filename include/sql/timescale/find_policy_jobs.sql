-- Policy jobs of one hypertable, looked up by procedure name.
-- Guide section: "Monitoring Policies" and "Manual Policy Control", which hard-coded job id 1004; ids differ
-- per database, so they are always looked up here. Also "TimescaleDB Policies / Current Configuration": the
-- schedule in hours, the policy's age (compress_after / drop_after) in days as the server reads the interval, and
-- a reorder policy's index, which db_policy_setup compares with the configuration.
-- Parameters: schema, table (the hypertable), proc_names (text array, e.g. policy_compression, policy_retention).
-- next_start is -infinity for a job that never ran after alter_job (and infinity is possible): Python cannot load
-- either into a datetime, so they are read as NULL (no finite next start). An age that is not an interval (an
-- integer-time hypertable's) is NULL.
-- Safe to re-run: read-only.
SELECT job_id, proc_name, schedule_interval, config, scheduled,
       CASE WHEN isfinite(next_start) THEN next_start END AS next_start,
       extract(epoch FROM schedule_interval)::float8 / 3600 AS schedule_hours,
       CASE WHEN jsonb_typeof(coalesce(config -> 'compress_after', config -> 'drop_after')) = 'string'
            THEN extract(epoch FROM coalesce(config ->> 'compress_after', config ->> 'drop_after')::interval)::float8
                 / 86400
       END AS age_days,
       config ->> 'index_name' AS index_name
FROM timescaledb_information.jobs
WHERE hypertable_schema = %(schema)s
  AND hypertable_name = %(table)s
  AND proc_name = ANY(%(proc_names)s::text[])
ORDER BY job_id
