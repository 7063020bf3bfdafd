-- Give the existing Barman role login, replication and the password of the pitr_conn_id connection (a changed
-- password takes effect here). Guide: none. Placeholders as in pitr/create_role.sql. Safe to re-run.
ALTER ROLE {role} WITH LOGIN REPLICATION PASSWORD {password}
