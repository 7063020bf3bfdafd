-- Set lock_timeout and statement_timeout for the session, before a statement that cannot run in a transaction
-- (VACUUM), so SET LOCAL is not available.
-- Guide section: none; the guide's maintenance ran VACUUM without limits: a VACUUM FULL waiting for its exclusive
-- lock queues every insert behind it. Now it gives up after lock_timeout instead.
-- Parameters: lock_timeout, statement_timeout (text such as '5000ms').
-- Safe to re-run: yes; the session resets both when it closes (db/reset_timeouts.sql).
SELECT set_config('lock_timeout', %(lock_timeout)s, false),
       set_config('statement_timeout', %(statement_timeout)s, false)
