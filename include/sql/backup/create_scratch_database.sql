-- A fresh scratch database for the weekly test restore: a leftover of an earlier run (or of an earlier try of this
-- step) is dropped first, ending sessions still connected to it, then the database is created.
-- Guide: Database Backup Verification ("createdb mt5_trading_test"; the guide never drops the copy it restored).
-- Placeholder: {database}, composed with psycopg's sql.Identifier; the name was refused before this runs when it is
-- the connection's own database. Two statements, each in autocommit (neither can run in a transaction).
-- Safe to re-run.
DROP DATABASE IF EXISTS {database} WITH (FORCE);
CREATE DATABASE {database};
