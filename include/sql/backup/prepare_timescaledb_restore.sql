-- Prepare the database a TimescaleDB backup set is restored into, in one transaction: install TimescaleDB at the
-- version recorded in the manifest (a TimescaleDB restore needs the same extension version as the dumped database),
-- then enter restore mode (timescaledb_pre_restore() stops the database's background workers and lets pg_restore
-- write the catalog; the scheduler stays off until timescaledb_post_restore()).
-- Guide: Full Database Restore and Database Backup Verification (the guide restores without TimescaleDB's
-- procedure: pg_restore of a TimescaleDB dump then fails with hundreds of errors).
-- Runs in the restored database. Placeholder: {version}, the manifest's version composed as a quoted name with
-- psycopg's sql.Identifier (CREATE EXTENSION takes a name or a string there; a utility statement takes no bind
-- parameters). Safe to re-run: IF NOT EXISTS leaves an existing extension alone (db_restore refuses a target
-- whose version differs from the dump's), and pre_restore can be repeated.
CREATE EXTENSION IF NOT EXISTS timescaledb VERSION {version};
SELECT timescaledb_pre_restore();
