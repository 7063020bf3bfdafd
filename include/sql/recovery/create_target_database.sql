-- Create the database a backup set is restored into, when it does not exist yet.
-- Guide: Full Database Restore (the guide only restores into the existing mt5_trading database).
-- Placeholder: {database}, composed with psycopg sql.Identifier after the name was validated and found missing
-- from pg_database. Autocommit. Not re-run blindly: the caller creates it only when pg_database lacks it.
CREATE DATABASE {database}
