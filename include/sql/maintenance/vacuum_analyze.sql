-- VACUUM and ANALYZE the whole database (every table, every chunk, the compressed chunks' tables).
-- Guide section: "Weekly Tasks: Full VACUUM ANALYZE". "Full" means the whole database, not VACUUM FULL, which
-- rewrites every table under an exclusive lock and would stop the ingest.
-- Run with autocommit: VACUUM cannot run inside a transaction block.
-- Parameters: none. Safe to re-run: yes.
VACUUM (ANALYZE)
