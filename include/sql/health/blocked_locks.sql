-- Sessions waiting for a lock, one row per (blocked, blocking) pair, with how long the blocked one has waited.
-- Guide section: "Troubleshooting: Lock Monitoring". The guide self-joined pg_locks on ten columns, which misses
-- waits behind a lock that is only requested ahead in the queue and reports pairs that do not block each other;
-- pg_blocking_pids() (PostgreSQL 9.6+) gives exactly the sessions that block a pid.
-- Parameters: none. Statement texts are returned in full; the caller masks literals before showing them.
-- Safe to re-run: read-only.
SELECT blocked.pid AS blocked_pid,
       blocked.usename AS blocked_user,
       blocked.application_name AS blocked_application,
       blocked.datname AS database,
       extract(epoch FROM clock_timestamp() - coalesce(blocked.query_start, blocked.state_change))::float AS waiting_seconds,
       blocked.query AS blocked_query,
       blocking.pid AS blocking_pid,
       blocking.usename AS blocking_user,
       blocking.application_name AS blocking_application,
       blocking.state AS blocking_state,
       extract(epoch FROM clock_timestamp() - blocking.xact_start)::float AS blocking_transaction_seconds,
       blocking.query AS blocking_query
FROM pg_stat_activity blocked
CROSS JOIN LATERAL unnest(pg_blocking_pids(blocked.pid)) AS b(pid)
LEFT JOIN pg_stat_activity blocking ON blocking.pid = b.pid
ORDER BY waiting_seconds DESC, blocked.pid, blocking.pid
