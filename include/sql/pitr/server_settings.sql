-- What point-in-time recovery needs of the server, and whether Barman's role and slot exist (db_pitr_setup); the
-- settings a recovered copy takes over (db_pitr_verification, db_point_in_time_restore).
-- Guide: none (its "Point-in-Time Recovery" calls functions that do not exist: timescaledb_experimental.restore_point).
-- Parameters: %(role)s, %(slot)s. Read-only, safe to re-run.
SELECT current_setting('server_version') AS server_version,
       current_setting('wal_level') AS wal_level,
       current_setting('max_wal_senders')::int AS max_wal_senders,
       (SELECT count(*) FROM pg_stat_replication)::int AS wal_senders_used,
       current_setting('max_replication_slots')::int AS max_replication_slots,
       (SELECT count(*) FROM pg_replication_slots)::int AS slots_used,
       current_setting('shared_preload_libraries') AS shared_preload_libraries,
       current_setting('max_connections') AS max_connections,
       current_setting('max_worker_processes') AS max_worker_processes,
       current_setting('max_locks_per_transaction') AS max_locks_per_transaction,
       current_setting('max_prepared_transactions') AS max_prepared_transactions,
       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %(role)s) AS role_exists,
       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %(role)s AND rolreplication AND rolcanlogin) AS role_can_replicate,
       EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = %(slot)s) AS slot_exists
