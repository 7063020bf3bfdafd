-- The non-superuser privileges Barman's checks and switch-wal use (Barman's documentation: "PostgreSQL
-- connection"): the backup functions, switching and checkpointing WAL, reading settings and statistics.
-- Guide: none. Placeholder: {role} (sql.Identifier). Safe to re-run (a granted privilege stays granted).
GRANT EXECUTE ON FUNCTION pg_backup_start(text, boolean) TO {role};
GRANT EXECUTE ON FUNCTION pg_backup_stop(boolean) TO {role};
GRANT EXECUTE ON FUNCTION pg_switch_wal() TO {role};
GRANT EXECUTE ON FUNCTION pg_create_restore_point(text) TO {role};
GRANT pg_read_all_settings, pg_read_all_stats, pg_checkpoint TO {role};
