"""# db_pitr_setup

Manual (no schedule). Sets up point-in-time recovery with Barman in streaming mode (the maintenance guide's
"Point-in-Time Recovery", whose SQL does not exist in PostgreSQL/TimescaleDB): a base backup plus the continuous
WAL stream restore to any second. A dry run (the default) changes nothing and logs what a real run does.

1. `read_server_settings`: `wal_level`, `max_wal_senders`, `max_replication_slots` and whether Barman's role
   (`pitr_replication_role`) and slot (`pitr_slot_name`) exist.
2. `plan_setup`: fails on a setting that needs postgresql.conf and a restart (`wal_level = replica`, 2 free WAL
   senders, a free slot); logs what it will do and the `pg_hba.conf` lines Barman needs (replication and the
   database, from the Docker network's subnet).
3. `create_role_and_slot`: the role with LOGIN REPLICATION and the password of the connection `pitr_conn_id`
   (sent as a SCRAM verifier), the backup functions, `pg_read_all_settings`, `pg_read_all_stats`, `pg_checkpoint`;
   the physical slot, reserving WAL from now on.
4. `write_barman_configuration`: Barman's configuration and `.pgpass` (0600) into the catalogue (`pitr_catalogue`),
   then `barman check`; when this run created the slot (a lost slot brought back included), `barman receive-wal
   --reset` first, so the receiver starts at the new slot instead of asking for WAL the server no longer has.
5. `judge_barman_check`: fails on a check the setup does not explain (connection, pg_hba, privileges), naming the
   pg_hba lines; the WAL receiver starts in the `barman` service within a minute; then run `db_base_backup`.
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.dag_defaults import dag_kwargs
from tsdb_ops.tasks import db_pitr_setup as tasks
from tsdb_ops.tasks.containers import ConfigureBarmanOperator
from tsdb_ops.tasks.manual_runs import dry_run_param
from tsdb_ops.tasks.sql_steps import sql_step

with DAG(
    params={"dry_run": dry_run_param("Only check the server and log what the setup would do. Set to false to set up.")},
    **dag_kwargs("db_pitr_setup", description="Replication role, slot and Barman configuration for point-in-time recovery",
                 tags=["manual", "pitr"], doc_md=__doc__),
):
    settings = sql_step("read_server_settings", "pitr/server_settings.sql",
                        parameters={"role": "{{ tsdb_config().pitr_replication_role }}",
                                    "slot": "{{ tsdb_config().pitr_slot_name }}"})
    plan = task(tasks.plan_setup)(settings.output)
    created = task(tasks.create_role_and_slot)(plan)
    configured = ConfigureBarmanOperator(task_id="write_barman_configuration", upstream=plan)
    judged = task(tasks.judge_barman_check)(plan, configured.output)

    chain(settings, plan, created, configured, judged)
