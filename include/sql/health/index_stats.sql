-- Per index of each relation (the hypertable's chunks, or the plain table): the index of the parent it belongs
-- to, scans since the statistics reset, size, and the key width that the btree bloat estimate needs.
-- Guide section: "Performance Monitoring: Index usage statistics". The guide filtered pg_stat_user_indexes on
-- tablename (the column is relname) and on the parent table, whose indexes are empty and never scanned: the
-- scans happen on the chunks' indexes, matched here to the parent's index by access method, uniqueness and
-- key columns (chunk indexes are not attached to the parent's index in pg_inherits).
-- Parameters: parent_relid (bigint, the table's oid), relids (bigint array of the chunks' or the table's oid).
-- Safe to re-run: read-only.
WITH index_keys AS (
    SELECT i.indexrelid, i.indrelid, i.indisunique, i.indisprimary, am.amname,
           0 = ANY (i.indkey::int2[]) OR i.indexprs IS NOT NULL AS has_expressions,
           (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS key_columns
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
    WHERE i.indrelid = ANY (%(relids)s::bigint[]::oid[]) OR i.indrelid = %(parent_relid)s::bigint::oid
)
SELECT DISTINCT ON (k.indexrelid)
       pn.nspname || '.' || pc.relname AS parent_index,
       n.nspname || '.' || c.relname AS relation_name,
       ic.relname AS index_name,
       k.amname AS access_method,
       k.indisunique AS is_unique,
       k.indisprimary AS is_primary,
       k.has_expressions,
       coalesce(s.idx_scan, 0) AS scans,
       coalesce(s.idx_tup_read, 0) AS tuples_read,
       pg_relation_size(k.indexrelid) AS index_bytes,
       greatest(c.reltuples, 0)::bigint AS planner_rows,
       (SELECT sum(st.avg_width) FROM pg_stats st
        WHERE st.schemaname = n.nspname AND st.tablename = c.relname AND st.attname = ANY (k.key_columns)
          AND NOT st.inherited)::int AS key_width_bytes,
       cardinality(k.key_columns) AS key_column_count,
       current_setting('block_size')::int AS block_size
FROM index_keys k
JOIN pg_class ic ON ic.oid = k.indexrelid
JOIN pg_class c ON c.oid = k.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN index_keys p ON p.indrelid = %(parent_relid)s::bigint::oid AND p.amname = k.amname
                 AND p.indisunique = k.indisunique AND p.key_columns IS NOT DISTINCT FROM k.key_columns
                 AND p.has_expressions = k.has_expressions
JOIN pg_class pc ON pc.oid = p.indexrelid
JOIN pg_namespace pn ON pn.oid = pc.relnamespace
LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = k.indexrelid
WHERE k.indrelid = ANY (%(relids)s::bigint[]::oid[])
-- A chunk index matching two identical parent indexes counts once; a plain table's index maps to itself.
ORDER BY k.indexrelid, p.indexrelid <> k.indexrelid, p.indexrelid
