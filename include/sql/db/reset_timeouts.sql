-- Reset the session timeouts a maintenance step may have set (see set_timeouts.sql) before the session closes.
-- Guide section: none (session hygiene; a pooled or shared backend must not keep a maintenance lock_timeout).
-- Parameters: none. Safe to re-run: yes.
SELECT set_config(name, reset_val, false) FROM pg_settings WHERE name IN ('lock_timeout', 'statement_timeout')
