-- The database server's clock: the scheduler of the restored database compares job starts with it.
-- Guide: none (support for putting restored jobs back on their schedule).
-- Parameters: none. Safe to re-run (read-only).
SELECT now()
