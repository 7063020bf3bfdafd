-- The table of the weekly PITR verification's markers: one row written before the target time (the recovered copy
-- must have it) and one after (it must not). A few rows a week. Guide: none. Safe to re-run.
CREATE TABLE IF NOT EXISTS public.tsdb_ops_pitr_markers (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('before', 'after')),
    run_id text NOT NULL,
    written_at timestamptz NOT NULL DEFAULT clock_timestamp()
)
