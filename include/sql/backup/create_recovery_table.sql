-- Create the recovery table of a selective recovery: the target's columns in its order and NOT NULL constraints,
-- no indexes (a plain table, also when the target is a hypertable).
-- Guide: Selective Data Recovery ("CREATE TABLE market_data_recovery (LIKE market_data)"; the guide's fixed name
-- collides with a second recovery, so the name here is unique per run).
-- Placeholders: {recovery_table} and {table}, composed with psycopg's sql.Identifier. Safe to re-run: a table an
-- earlier try of the run created is kept (the load empties it before it copies).
CREATE TABLE IF NOT EXISTS {recovery_table} (LIKE {table})
