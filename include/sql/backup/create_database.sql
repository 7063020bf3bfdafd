-- Create the database a backup set is restored into: the scratch database of the weekly test restore, or a
-- db_restore target that does not exist yet.
-- Guide: Database Backup Verification ("createdb mt5_trading_test") and Full Database Restore (which only restores
-- into the existing mt5_trading database).
-- Placeholder: {database}, composed with psycopg sql.Identifier after the name was validated (and, for the scratch
-- database, refused when it is the connection's own database). Autocommit. Not re-run blindly: a database that
-- exists already (an earlier try of the same run) fails with duplicate_database, which the caller accepts.
CREATE DATABASE {database}
