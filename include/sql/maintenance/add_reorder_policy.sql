-- Add the reorder policy on the configured index.
-- Guide section: "TimescaleDB Policies: Reorder Policy (every 12 hours, index ux_market_data_sym_tf_ts)".
-- add_reorder_policy has no schedule argument: the schedule is set afterwards with set_job_schedule.sql.
-- Parameters: hypertable (regclass text), index_name (text), start (first run, staggered against the other policies).
-- Safe to re-run: yes (if_not_exists).
SELECT add_reorder_policy(%(hypertable)s::regclass, %(index_name)s::name, if_not_exists => true,
                          initial_start => %(start)s::timestamptz)
