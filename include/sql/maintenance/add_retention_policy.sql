-- Add the retention policy: drop chunks older than N days, every H hours.
-- Guide section: "TimescaleDB Policies: Retention Policy (daily, 90 days)". With 90 days the weekly 5-year
-- drop_chunks finds nothing to drop.
-- Parameters: hypertable (regclass text), days, hours, start (first run: staggered against the other policies,
-- so no two policy jobs are due together; simultaneous jobs can deadlock each other).
-- Safe to re-run: yes (if_not_exists).
SELECT add_retention_policy(%(hypertable)s::regclass,
                            drop_after => make_interval(secs => %(days)s::float8 * 86400),
                            schedule_interval => make_interval(secs => %(hours)s::float8 * 3600),
                            initial_start => %(start)s::timestamptz,
                            if_not_exists => true)
