-- Remove the compression policy (before re-adding it with a different age).
-- Guide section: "TimescaleDB Policies: Compression Policy".
-- Parameters: hypertable (regclass text).
-- Safe to re-run: yes (if_exists).
SELECT remove_compression_policy(%(hypertable)s::regclass, if_exists => true)
