-- Drop the recovery table of a selective recovery (also after a failed recovery: the DAG's teardown).
-- Guide: Selective Data Recovery ("DROP TABLE market_data_recovery", which the guide never reaches when the
-- INSERT fails).
-- Placeholder: {recovery_table}, composed with psycopg's sql.Identifier (the run's own table name). Safe to re-run.
DROP TABLE IF EXISTS {recovery_table}
