-- Policy jobs of one hypertable, looked up by procedure name.
-- Guide section: "Monitoring Policies" and "Manual Policy Control", which hard-coded job id 1004; ids differ
-- per database, so they are always looked up here.
-- Parameters: schema, table (the hypertable), proc_names (text array, e.g. policy_compression, policy_retention).
-- Safe to re-run: read-only.
SELECT job_id, proc_name, schedule_interval, config, scheduled, next_start
FROM timescaledb_information.jobs
WHERE hypertable_schema = %(schema)s
  AND hypertable_name = %(table)s
  AND proc_name = ANY(%(proc_names)s::text[])
ORDER BY job_id
