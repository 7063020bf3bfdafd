-- The columns of a table in their order, with their types: the column list of a time-range export and the
-- check that an export still fits the table it is recovered into.
-- Guide: Selective Data Recovery (the guide's `INSERT INTO market_data SELECT * ...` relies on equal columns).
-- Parameters: %(table)s (quoted regclass text of a table found by resolve_table.sql). Safe to re-run (read-only).
SELECT a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS column_type
FROM pg_attribute a
WHERE a.attrelid = %(table)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
