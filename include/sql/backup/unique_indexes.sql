-- The valid unique indexes (and primary key) of a table with their columns. A selective recovery inserts with
-- ON CONFLICT DO NOTHING, which only skips rows that already exist when such an index exists.
-- Guide: Selective Data Recovery (the guide's plain INSERT fails on the first row that already exists; without a
-- unique index ON CONFLICT DO NOTHING would silently insert duplicates instead).
-- Parameters: %(table)s (schema.table text of a resolved table). Safe to re-run (read-only, catalog only).
SELECT i.indexrelid::regclass::text AS index_name,
       array_agg(a.attname::text ORDER BY k.ord) AS index_columns
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %(table)s::regclass AND i.indisunique AND i.indisvalid
GROUP BY i.indexrelid
ORDER BY 1
