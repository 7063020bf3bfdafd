-- Create the database a backup set is restored into when it does not exist yet (db_restore's target_database).
-- Guide: Full Database Restore (which only restores into the existing mt5_trading database).
-- Placeholder: {database}, composed with psycopg's sql.Identifier after the name was validated. Autocommit (CREATE
-- DATABASE cannot run in a transaction). CREATE DATABASE has no IF NOT EXISTS: the step is skipped when the
-- target existed at validation or exists by the time it runs (an earlier try of the step created it).
CREATE DATABASE {database}
