-- Whether this session's database is in TimescaleDB's restore mode (timescaledb_pre_restore() sets
-- timescaledb.restoring for the database; timescaledb_post_restore() resets it and starts its scheduler).
-- Guide: Full Database Restore (the guide has no restore procedure).
-- Parameters: none. Safe to re-run (read-only).
SELECT coalesce(current_setting('timescaledb.restoring', true), 'off') = 'on' AS restoring
