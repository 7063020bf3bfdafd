-- Set lock_timeout and statement_timeout for the current transaction (is_local) or the session.
-- Guide section: none; the guide's maintenance script ran unbounded statements that could queue behind (and
-- block) the ingest. Each maintenance statement now gives up instead of waiting without end.
-- Parameters: lock_timeout, statement_timeout (text such as '5000ms'), is_local (boolean).
-- Safe to re-run: yes; local settings end with the transaction, session settings are reset when it closes.
SELECT set_config('lock_timeout', %(lock_timeout)s, %(is_local)s::boolean),
       set_config('statement_timeout', %(statement_timeout)s, %(is_local)s::boolean)
