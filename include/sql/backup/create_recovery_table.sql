-- Create the recovery table of a selective recovery: the target's columns and NOT NULL constraints, no indexes
-- (a plain table, also when the target is a hypertable).
-- Guide: Selective Data Recovery ("CREATE TABLE market_data_recovery (LIKE market_data)"; the guide's fixed name
-- collides with a second recovery, so the name here is unique per run).
-- Placeholders: {recovery_table} and {table}, composed with psycopg sql.Identifier. Run after
-- drop_recovery_table.sql (a retry starts from an empty table); together safe to re-run.
CREATE TABLE {recovery_table} (LIKE {table})
