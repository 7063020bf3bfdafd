-- Leave TimescaleDB's restore mode after pg_restore (restarts background workers).
-- Guide: Full Database Restore (missing there).
-- Parameters: none. Safe to re-run.
SELECT timescaledb_post_restore()
