-- Drop the scratch database of the test restore, ending sessions still connected to it.
-- Guide: Database Backup Verification (the guide leaves mt5_trading_test behind, holding a full copy).
-- Placeholder: {database}, composed with psycopg sql.Identifier. Autocommit. Safe to re-run.
DROP DATABASE IF EXISTS {database} WITH (FORCE)
