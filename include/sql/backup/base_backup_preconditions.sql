-- What the physical base backup (pg_basebackup) needs of the connection's role and the cluster: the REPLICATION
-- attribute (or superuser), and no user tablespace (pg_basebackup -Ft writes one more tar per tablespace, which the
-- backup's verification does not unpack).
-- Guide: Backup and Recovery Procedures, "Physical backup" (the guide runs pg_basebackup as trader and checks nothing).
-- Parameters: none. Safe to re-run (read-only).
SELECT r.rolname AS role,
       r.rolsuper OR r.rolreplication AS can_replicate,
       ARRAY(SELECT spcname::text FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')
             ORDER BY spcname) AS tablespaces
FROM pg_roles r
WHERE r.rolname = current_user
