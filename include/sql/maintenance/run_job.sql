-- Run one policy job now, in this session.
-- Guide section: "Daily Tasks: TimescaleDB retention policy execution, Automatic compression of old chunks".
-- CALL takes no subquery and no bind parameter as argument: the caller composes the looked-up integer id as a
-- literal with psycopg sql.Literal.
-- Parameters: job_id (integer literal).
-- Safe to re-run: yes; the policies only act on chunks still past their age.
CALL run_job({job_id})
