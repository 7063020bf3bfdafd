-- Put TimescaleDB of the database being restored into restore mode before pg_restore (stops its background
-- workers, lets the catalog be restored; the scheduler stays off until timescaledb_post_restore()).
-- Guide: Full Database Restore (missing there; without it pg_restore of a TimescaleDB dump fails).
-- Parameters: none. Safe to re-run.
SELECT timescaledb_pre_restore()
