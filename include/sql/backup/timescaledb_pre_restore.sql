-- Put TimescaleDB of the scratch database into restore mode before pg_restore (stops background workers,
-- lets the catalog be restored).
-- Guide: Full Database Restore (missing there; without it pg_restore of a TimescaleDB dump fails).
-- Parameters: none. Safe to re-run.
SELECT timescaledb_pre_restore()
