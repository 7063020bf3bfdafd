"""The backup's Docker tasks: DockerOperators configured at run time from the configuration and the connection.

Image, network, mounts and the database login are resolved when the task runs (``load_config()`` and the Airflow
connection), so the containers and the Python tasks always agree on ``backup_root``. The password reaches the
container only through ``private_environment`` (PGPASSWORD): never in the command, a rendered template or a log
line. Containers are removed whatever their outcome (``auto_remove="force"``), so no stopped container keeps the
password in its environment.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import PurePosixPath
from typing import Any

from airflow.providers.docker.exceptions import DockerContainerFailedException
from airflow.providers.docker.operators.docker import DockerOperator
from docker.errors import NotFound
from docker.types import Mount

from tsdb_ops.backup import commands
from tsdb_ops.backup.artefacts import publish
from tsdb_ops.backup.commands import BACKUP_MOUNT, MODELS_MOUNT, parse_output
from tsdb_ops.backup.database import DatabaseLogin, database_facts, database_login, export_snapshot, table_stats, tables_to_count
from tsdb_ops.backup.layout import artefact_path, ensure_dirs, host_path, partial_path, set_id_for
from tsdb_ops.config import OpsConfig, load_config, parse_time_config
from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

TASK_LABEL = "tsdb_ops.task"


class BackupContainerOperator(DockerOperator):
    """A DockerOperator whose engine, network and labels come from the run-time configuration."""

    def __init__(self, *, image: str, **kwargs: Any) -> None:
        super().__init__(image=image, auto_remove="force", mount_tmp_dir=False, xcom_all=True, **kwargs)

    def _prepare(self, context: Any, config: OpsConfig, image: str) -> str:
        """Point the operator at the configured engine and image; returns the run's backup set id."""
        set_id = set_id_for(context["dag_run"].run_after, config.timezone)
        self.docker_url = config.docker_url
        self.image = image
        self.labels = {TASK_LABEL: f"{self.dag_id}.{self.task_id}", "tsdb_ops.set_id": set_id}
        ensure_dirs(config.backup_root)
        return set_id

    def _database_env(self, config: OpsConfig, login: DatabaseLogin, dbname: str) -> None:
        self.network_mode = config.docker_network
        self.environment = {
            "PGHOST": config.db_host_in_docker, "PGPORT": str(config.db_port_in_docker), "PGUSER": login.user,
            "PGDATABASE": dbname, "PGAPPNAME": f"tsdb_ops_{self.task_id}",
        }
        if login.sslmode:
            self.environment["PGSSLMODE"] = login.sslmode
        self._private_environment = {"PGPASSWORD": login.password}

    def _run(self, context: Any, what: str) -> tuple[list[str], float]:
        """Run the container; its output lines and wall time. A failure names the step and the container's last words."""
        started = time.monotonic()
        try:
            lines = super().execute(context) or []
        except DockerContainerFailedException as exc:
            tail = " | ".join(line for line in (exc.logs or [])[-3:] if line)
            raise RuntimeError(f"{what} failed in image {self.image}: {tail or exc}") from None
        return (lines if isinstance(lines, list) else [lines]), time.monotonic() - started


class DumpDatabaseOperator(BackupContainerOperator):
    """pg_dump (custom format) of the connection's database, in the dump's snapshot: counts per table, verify, publish."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(image=parse_time_config().pg_client_image, **kwargs)

    def execute(self, context: Any) -> dict[str, Any]:
        config = load_config()
        login = database_login(config.postgres_conn_id)
        set_id = self._prepare(context, config, config.pg_client_image)
        append_log_line(config, BACKUP_LOG, "Starting database backup...")
        final = artefact_path("database", set_id, login.dbname)
        dump_dir = host_path(config.backup_root, config.backup_host_root, "db")
        self.mounts = [Mount(target=BACKUP_MOUNT, source=dump_dir, type="bind")]
        self._database_env(config, login, login.dbname)
        with login.connect() as conn:
            snapshot = export_snapshot(conn)
            facts = database_facts(conn)
            stats = table_stats(conn, tables_to_count(conn, config, facts.timescaledb_version is not None))
            self.command = commands.pg_dump_script(PurePosixPath(partial_path(final)).name, config.pg_dump_compression, snapshot)
            lines, seconds = self._run(context, "pg_dump")
            conn.rollback()
        output = parse_output(lines)
        artefact = publish(
            config.backup_root, "database", final, duration_seconds=seconds, verification=output["verified"],
            source_bytes=facts.database_bytes,
        )
        append_log_line(config, BACKUP_LOG, f"Database backup written: {final} ({artefact.size_bytes} bytes, {seconds:.1f} s)")
        return {
            "artefact": asdict(artefact), "database": login.dbname, "server_version": facts.server_version,
            "timescaledb_version": facts.timescaledb_version, "hypertables": [asdict(s) for s in stats],
        }


class ArchiveModelsVolumeOperator(BackupContainerOperator):
    """tar + gzip of the models volume (mounted read-only) by a busybox container without network: verify, publish."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(image=parse_time_config().busybox_image, network_mode="none", **kwargs)

    def execute(self, context: Any) -> dict[str, Any]:
        config = load_config()
        set_id = self._prepare(context, config, config.busybox_image)
        append_log_line(config, BACKUP_LOG, "Starting models backup...")
        try:  # mounting a missing named volume would create it empty and back up nothing
            self.cli.inspect_volume(config.models_volume)
        except NotFound:
            raise RuntimeError(f"Docker volume {config.models_volume!r} does not exist; fix models_volume") from None
        final = artefact_path("models", set_id, "")
        self.mounts = [
            Mount(target=MODELS_MOUNT, source=config.models_volume, type="volume", read_only=True),
            Mount(target=BACKUP_MOUNT, source=host_path(config.backup_root, config.backup_host_root, "models"), type="bind"),
        ]
        self.command = commands.models_tar_script(PurePosixPath(partial_path(final)).name)
        lines, seconds = self._run(context, "tar of the models volume")
        output = parse_output(lines)
        artefact = publish(
            config.backup_root, "models", final, duration_seconds=seconds, verification=output["verified"],
            source_bytes=int(output["source_bytes"]) if "source_bytes" in output else None,
        )
        append_log_line(config, BACKUP_LOG, f"Models backup written: {final} ({artefact.size_bytes} bytes, {seconds:.1f} s)")
        return asdict(artefact)


class RestoreDumpOperator(BackupContainerOperator):
    """Serial pg_restore of a verified dump into the scratch database (never the connection's own database)."""

    template_fields = (*DockerOperator.template_fields, "backup")

    def __init__(self, *, backup: Any, **kwargs: Any) -> None:
        super().__init__(image=parse_time_config().pg_client_image, **kwargs)
        self.backup = backup  # output of the task that found the newest verified backup set

    def execute(self, context: Any) -> dict[str, Any]:
        from tsdb_ops.backup.restore_check import refuse_production_database

        config = load_config()
        login = database_login(config.postgres_conn_id)
        refuse_production_database(config, login)
        self._prepare(context, config, config.pg_client_image)
        dump = PurePosixPath(self.backup["dump_path"])
        source = host_path(config.backup_root, config.backup_host_root, str(dump.parent))
        self.mounts = [Mount(target=BACKUP_MOUNT, source=source, type="bind", read_only=True)]
        self._database_env(config, login, config.restore_scratch_database)
        self.command = commands.pg_restore_script(dump.name)
        _, seconds = self._run(context, f"pg_restore of {dump} into {config.restore_scratch_database}")
        return {"restore_seconds": round(seconds, 3)}
