-- Create the role Barman connects as: login and replication (pg_basebackup, pg_receivewal).
-- Guide: none. Placeholders: {role} (sql.Identifier of pitr_replication_role), {password} (sql.Literal of the
-- SCRAM-SHA-256 verifier computed by libpq on the client: the password itself never reaches the server's log).
-- Run when the role does not exist (role_exists of pitr/server_settings.sql); pitr/alter_role.sql otherwise.
CREATE ROLE {role} WITH LOGIN REPLICATION PASSWORD {password}
