-- Remove the reorder policy (before re-adding it on another index).
-- Guide section: "TimescaleDB Policies: Reorder Policy".
-- Parameters: hypertable (regclass text).
-- Safe to re-run: yes (if_exists).
SELECT remove_reorder_policy(%(hypertable)s::regclass, if_exists => true)
