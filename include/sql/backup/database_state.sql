-- Whether a database exists, whether the connected role may create databases, and how many other sessions are
-- connected to it: the facts a full restore is planned from.
-- Guide: Full Database Restore (the guide restores with `pg_restore -c` into whatever is there, after stopping
-- the stack by hand; here the plan shows what exists and who is still connected before anything is changed).
-- Parameters: %(database)s (a database name, compared as text). Safe to re-run (read-only, catalog only).
SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = %(database)s) AS database_exists,
       (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user) AS can_create_database,
       (SELECT count(*) FROM pg_stat_activity WHERE datname = %(database)s AND pid <> pg_backend_pid()) AS other_sessions
