-- Convert an interval of a policy's config (drop_after, compress_after) to days, as the server reads it.
-- Guide section: "TimescaleDB Policies" (the configured ages are checked against the chunks after a run).
-- Parameters: interval (text such as '90 days').
-- Safe to re-run: read-only.
SELECT extract(epoch FROM %(interval)s::interval) / 86400.0 AS days
