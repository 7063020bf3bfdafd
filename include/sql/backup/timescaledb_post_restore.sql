-- Leave TimescaleDB's restore mode after pg_restore: resets timescaledb.restoring and starts the database's job
-- scheduler. Run in the transaction of unschedule_restored_jobs.sql, so the scheduler finds every restored job
-- unscheduled (it waits for this transaction to end before reading the job table).
-- Guide: Full Database Restore (missing there).
-- Parameters: none. Safe to re-run.
SELECT timescaledb_post_restore()
