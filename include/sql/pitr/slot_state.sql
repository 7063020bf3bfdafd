-- The WAL stream to Barman as the database sees it (db_backup_monitor): the slot, the walsender serving it, how
-- far behind the receiver is (write_lag: pg_receivewal reports what it wrote every 10 s, and fsyncs only at the
-- end of a segment, so its flush_lag can be minutes on a quiet server), and how much WAL the slot holds back.
-- No row of pg_replication_slots: slot_name NULL.
-- Guide: none. Parameters: %(slot)s. Read-only; needs pg_read_all_stats (or superuser) for pg_stat_replication.
SELECT s.slot_name, coalesce(s.active, false) AS active, s.wal_status,
       pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint AS retained_bytes,
       r.state, extract(epoch FROM r.write_lag)::float8 AS write_lag_seconds,
       current_setting('data_directory') AS data_directory
FROM (SELECT %(slot)s::name AS wanted) w
LEFT JOIN pg_replication_slots s ON s.slot_name = w.wanted
LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
