-- The physical replication slot Barman's pg_receivewal streams through; it reserves WAL from now on, so nothing
-- written after the setup is recycled before the receiver has it. Guide: none.
-- Parameters: %(slot)s. Run only when the slot does not exist (slot_exists of pitr/server_settings.sql).
SELECT slot_name FROM pg_create_physical_replication_slot(%(slot)s, true)
