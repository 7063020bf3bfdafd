-- Pause (scheduled => false) or resume (scheduled => true) one TimescaleDB job.
-- Guide section: "Manual Policy Control", which hard-coded job id 1004; the id here is one of the hypertable's
-- jobs, looked up in timescaledb_information.jobs and checked by the caller.
-- Parameters: job_id (integer), scheduled (boolean).
-- Safe to re-run: yes; setting the same state twice changes nothing.
SELECT job_id, scheduled FROM alter_job(%(job_id)s::int, scheduled => %(scheduled)s::boolean)
