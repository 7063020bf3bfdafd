-- Install TimescaleDB in the database being restored at the version recorded in the manifest (TimescaleDB
-- restores need the same extension version as the dumped database).
-- Guide: Full Database Restore (the guide restores into an existing database without TimescaleDB's procedure).
-- Placeholder: {version}, composed with psycopg sql.Literal (utility statements take no bind parameters).
-- Safe to re-run: IF NOT EXISTS leaves an existing extension alone (db_restore refuses a target whose version
-- differs from the dump's before it gets here).
CREATE EXTENSION IF NOT EXISTS timescaledb VERSION {version}
