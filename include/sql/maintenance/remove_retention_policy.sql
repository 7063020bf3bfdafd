-- Remove the retention policy (before re-adding it with a different age).
-- Guide section: "TimescaleDB Policies: Retention Policy".
-- Parameters: hypertable (regclass text).
-- Safe to re-run: yes (if_exists).
SELECT remove_retention_policy(%(hypertable)s::regclass, if_exists => true)
