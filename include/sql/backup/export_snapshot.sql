-- Export the snapshot of this REPEATABLE READ transaction, so pg_dump (--snapshot) and the manifest's row
-- counts see exactly the same data.
-- Guide: Automated Backup Script. The guide counts rows only after a test restore and compares them with the
-- live table, which keeps changing while the market-data feed writes; counting in the dump's snapshot makes the
-- comparison exact.
-- Parameters: none. Safe to re-run (read-only); must be the first statement of the transaction.
SELECT pg_export_snapshot() AS snapshot
