-- Add the compression policy: compress chunks older than N days, every H hours.
-- Guide section: "TimescaleDB Policies: Compression Policy (every 12 hours, data older than 7 days)".
-- Parameters: hypertable (regclass text), days, hours, start (first run: staggered against the other policies,
-- so no two policy jobs are due together; simultaneous jobs can deadlock each other).
-- Safe to re-run: yes (if_not_exists).
SELECT add_compression_policy(%(hypertable)s::regclass,
                              compress_after => make_interval(secs => %(days)s::float8 * 86400),
                              schedule_interval => make_interval(secs => %(hours)s::float8 * 3600),
                              initial_start => %(start)s::timestamptz,
                              if_not_exists => true)
