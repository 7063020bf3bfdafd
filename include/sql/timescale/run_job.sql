-- Run one job now, in this session.
-- Guide section: "Daily Tasks: TimescaleDB retention policy execution, Automatic compression of old chunks" and
-- "Manual Policy Control" (which hard-coded CALL run_job(1004): ids are always looked up by proc_name).
-- CALL takes no subquery as argument; a bind parameter is fine.
-- Run with autocommit: the compression policy commits inside the procedure (invalid in a transaction block).
-- Parameters: job_id (integer).
-- Safe to re-run: yes; the policies only act on chunks still past their age.
CALL run_job(%(job_id)s::int)
