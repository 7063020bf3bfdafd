-- Empty the recovery table before loading the export, so a retried load does not load the rows twice.
-- Guide: Selective Data Recovery.
-- Placeholder: {recovery_table}, composed with psycopg sql.Identifier. Safe to re-run.
TRUNCATE {recovery_table}
