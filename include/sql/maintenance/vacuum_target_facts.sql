-- What a VACUUM of the database or of one table touches: the database's size, the table's row-store size with its
-- inheritance children (a hypertable's uncompressed chunks) and how many children it has.
-- Guide section: "Performance Issues" (manual VACUUM ANALYZE) gives no size; VACUUM FULL needs
-- free disk space for a copy of the largest table it rewrites, so the plan shows the sizes first.
-- Parameters: relid (bigint oid of the catalog-resolved table; 0 for the whole database).
-- Safe to re-run: read-only (size functions and pg_catalog).
SELECT current_database() AS database,
       pg_database_size(current_database()) AS database_bytes,
       coalesce((SELECT sum(pg_total_relation_size(rel))
                 FROM (SELECT %(relid)s::bigint::oid AS rel
                       UNION ALL
                       SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = %(relid)s::bigint::oid) rels
                 WHERE rel <> 0), 0)::bigint AS table_bytes,
       (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = %(relid)s::bigint::oid) AS child_tables
