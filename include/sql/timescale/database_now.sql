-- The database server's current time, the clock chunk ages are measured against.
-- Guide section: none (support for "Daily Tasks" and the compression report).
-- Parameters: none.
-- Safe to re-run: read-only.
SELECT now()
