-- Drop the scratch database of the test restore, ending sessions still connected to it: a leftover of an earlier
-- run before the restore, and the copy itself after it (the DAG's teardown, whatever happened).
-- Guide: Database Backup Verification (the guide leaves mt5_trading_test behind, holding a full copy).
-- Placeholder: {database}, composed with psycopg's sql.Identifier; the name was refused before this runs when it is
-- the connection's own database. Autocommit (DROP DATABASE cannot run in a transaction). Safe to re-run.
DROP DATABASE IF EXISTS {database} WITH (FORCE)
