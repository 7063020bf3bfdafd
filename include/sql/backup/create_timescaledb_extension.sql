-- Install TimescaleDB in the scratch database at the version recorded in the manifest (TimescaleDB restores
-- need the same extension version as the dumped database).
-- Guide: Full Database Restore (the guide restores into an existing database without TimescaleDB's procedure).
-- Placeholder: {version}, composed with psycopg sql.Literal (utility statements take no bind parameters).
-- Safe to re-run on a fresh scratch database.
CREATE EXTENSION IF NOT EXISTS timescaledb VERSION {version}
