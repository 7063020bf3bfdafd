-- Unschedule every job the dump restored, returning the scheduled state each had in the dump. Run while the
-- database is still in restore mode, in the transaction that then runs timescaledb_post_restore(): the scheduler
-- that post_restore starts waits for this transaction, so it never sees a restored job scheduled. A dump carries
-- the jobs but not their run times, so without this every policy is due at once after the restore: retention drops
-- restored chunks, compression and reorder take locks that deadlock with the verification.
-- Guide: Full Database Restore (missing there).
-- Placeholder: {bgw_job}, the job table found by job_catalog_table.sql, composed with psycopg sql.Identifier.
-- Safe to re-run: yes (a second run reports every job as unscheduled, which is why the caller runs it once, in
-- restore mode).
WITH dumped AS (
    SELECT id, scheduled FROM {bgw_job} WHERE id >= 1000 FOR UPDATE
)
UPDATE {bgw_job} AS job
SET scheduled = false
FROM dumped
WHERE job.id = dumped.id
RETURNING job.id AS job_id, dumped.scheduled AS dumped_scheduled
