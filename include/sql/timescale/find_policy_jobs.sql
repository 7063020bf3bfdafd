-- Policy jobs of one hypertable, looked up by procedure name.
-- Guide section: "Monitoring Policies" and "Manual Policy Control", which hard-coded job id 1004; ids differ
-- per database, so they are always looked up here.
-- Parameters: schema, table (the hypertable), proc_names (text array, e.g. policy_compression, policy_retention).
-- next_start is -infinity for a job that never ran after alter_job (and infinity is possible): Python cannot load
-- either into a datetime, so they are read as NULL (no finite next start).
-- Safe to re-run: read-only.
SELECT job_id, proc_name, schedule_interval, config, scheduled,
       CASE WHEN isfinite(next_start) THEN next_start END AS next_start
FROM timescaledb_information.jobs
WHERE hypertable_schema = %(schema)s
  AND hypertable_name = %(table)s
  AND proc_name = ANY(%(proc_names)s::text[])
ORDER BY job_id
