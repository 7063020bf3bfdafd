-- The oids of a hypertable's chunks, the relations its statistics are summed over.
-- Guide section: "System Health" read pg_stat_user_tables for market_data itself: a hypertable's parent is
-- empty, its rows and dead tuples live in the chunks, so every statistic is summed over show_chunks().
-- Parameters: hypertable (regclass text).
-- Safe to re-run: read-only. Run only for a hypertable.
SELECT coalesce((SELECT array_agg(ch::oid::bigint) FROM show_chunks(%(hypertable)s::regclass) ch), '{}') AS chunk_relids
