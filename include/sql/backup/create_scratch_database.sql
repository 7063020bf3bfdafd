-- Create the scratch database of the weekly test restore (never the production database: the caller refuses
-- a name equal to the connection's database).
-- Guide: Database Backup Verification ("createdb mt5_trading_test"; the guide never drops it again).
-- Placeholder: {database}, composed with psycopg sql.Identifier. Run after drop_scratch_database.sql, in
-- autocommit; re-running both is safe.
CREATE DATABASE {database}
