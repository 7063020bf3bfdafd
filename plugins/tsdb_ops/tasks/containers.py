"""Every container step of the package as a ``DockerOperator``: pg_dump, pg_restore, the models volume, safety
dumps and table dumps, in the configured client images, their mounts resolved by the host's engine.

Each operator is prepared at run time from the configuration (images, network, host paths) and logs its result
to backup.log; the recovery operators act on the validated params of their run and skip in a dry run, also when
cleared and re-run on their own.
"""


from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path, PurePosixPath
from typing import Any

import pendulum
from airflow.providers.docker.exceptions import DockerContainerFailedException
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk.exceptions import AirflowSkipException
from docker.errors import NotFound
from docker.types import Mount

from tsdb_ops.backup import commands
from tsdb_ops.backup.artefacts import publish, sha256_of
from tsdb_ops.backup.commands import BACKUP_MOUNT, MODELS_MOUNT, parse_output
from tsdb_ops.backup.database import database_facts, export_snapshot, job_records, table_stats
from tsdb_ops.backup.layout import artefact_path, ensure_dirs, host_path, partial_path, set_id_for
from tsdb_ops.config import OpsConfig, load_config, parse_time_config
from tsdb_ops.db import DatabaseLogin, database_login
from tsdb_ops.files import write_atomically
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
    """pg_dump (custom format) of the connection's database; in the dump's snapshot the counts per table and the
    TimescaleDB jobs (the dump carries no run times: the restore needs each job's scheduled flag and next start)."""

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
            timescaledb = facts.timescaledb_version is not None
            stats = table_stats(conn, config, timescaledb)
            jobs = job_records(conn) if timescaledb else []
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
            "jobs": [asdict(j) for j in jobs],
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


log = logging.getLogger(__name__)


class RecoveryContainerOperator(BackupContainerOperator):
    """A backup container task driven by the output of the run's validation task (``validated``)."""

    template_fields = (*DockerOperator.template_fields, "validated")

    def __init__(self, *, validated: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validated = validated

    def _start(self, context: Any, what: str, image_setting: str) -> OpsConfig:
        """Skip in a dry run; else point the operator at the configured engine and ``image_setting``'s image."""
        if self.validated["dry_run"]:
            raise AirflowSkipException(f"dry run: {what} not done")
        config = load_config()
        self._prepare(context, config, getattr(config, image_setting))
        return config

    def _database(self, config: OpsConfig, dbname: str) -> None:
        self._database_env(config, database_login(config.postgres_conn_id), dbname)


class WriteSafetyDumpOperator(RecoveryContainerOperator):
    """pg_dump of the restore target before it is overwritten: partial name, pg_restore -l, rename. Once per run."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(image=parse_time_config().pg_client_image, **kwargs)

    def execute(self, context: Any) -> dict[str, Any] | None:
        config = self._start(context, "safety dump", "pg_client_image")
        final, target = self.validated["safety_dump"], self.validated["target_database"]
        if final is None:
            log.info("No safety dump: database %s did not exist before the restore", target)
            return None
        if (Path(config.backup_root) / final).is_file():  # a re-run must not replace the dump taken before the restore
            log.info("The safety dump of this run exists already: %s", final)
            return {"path": final, "sha256": sha256_of(Path(config.backup_root) / final)}
        self.mounts = [Mount(target=BACKUP_MOUNT, type="bind",
                             source=host_path(config.backup_root, config.backup_host_root, str(PurePosixPath(final).parent)))]
        self._database(config, target)
        self.command = commands.pg_dump_script(PurePosixPath(partial_path(final)).name, config.pg_dump_compression, None)
        lines, seconds = self._run(context, f"safety dump of {target}")
        artefact = publish(config.backup_root, "safety_dump", final, duration_seconds=seconds,
                           verification=parse_output(lines)["verified"])
        append_log_line(config, BACKUP_LOG, f"Safety dump of {target} before a restore written: {final} "
                                            f"({artefact.size_bytes} bytes, {artefact.verification})")
        return asdict(artefact)


class RestoreBackupOperator(RecoveryContainerOperator):
    """Serial pg_restore of the set's dump into the target (--clean --if-exists over an existing database)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(image=parse_time_config().pg_client_image, **kwargs)

    def execute(self, context: Any) -> dict[str, Any]:
        config = self._start(context, "pg_restore", "pg_client_image")
        backup, target = self.validated["backup"], self.validated["target_database"]
        dump = PurePosixPath(backup["dump_path"])
        self.mounts = [Mount(target=BACKUP_MOUNT, type="bind", read_only=True,
                             source=host_path(config.backup_root, config.backup_host_root, str(dump.parent)))]
        self._database(config, target)
        self.command = commands.pg_restore_script(dump.name, clean=self.validated["target_exists"],
                                                  single_transaction=not backup["timescaledb_version"])
        append_log_line(config, BACKUP_LOG, f"Restoring backup set {backup['set_id']} into {target}...")
        _, seconds = self._run(context, f"pg_restore of {dump} into {target} (safety dump: "
                                        f"{self.validated['safety_dump'] or 'none, new database'})")
        return {"restore_seconds": round(seconds, 3)}


class RestoreModelsVolumeOperator(RecoveryContainerOperator):
    """The guide's models restore: busybox, no network, tar xzf of the set's archive into the volume."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(image=parse_time_config().busybox_image, network_mode="none", **kwargs)

    def execute(self, context: Any) -> str:
        if not self.validated["restore_models"]:
            raise AirflowSkipException("models volume not restored (restore_models=false)")
        config = self._start(context, "models restore", "busybox_image")
        archive = PurePosixPath(self.validated["backup"]["models_path"])
        self.mounts = [
            Mount(target=MODELS_MOUNT, source=config.models_volume, type="volume"),
            Mount(target=BACKUP_MOUNT, type="bind", read_only=True,
                  source=host_path(config.backup_root, config.backup_host_root, str(archive.parent))),
        ]
        self.command = commands.models_restore_script(archive.name, clear=self.validated["clear_models_volume"])
        lines, _ = self._run(context, f"models restore into volume {config.models_volume}")
        verified = parse_output(lines)["verified"]
        append_log_line(config, BACKUP_LOG, f"Models volume {config.models_volume} restored from {archive} ({verified})")
        return verified


class DumpTablesOperator(RecoveryContainerOperator):
    """pg_dump -t of the listed plain tables (custom format) into selective/, verified, with a small manifest."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(image=parse_time_config().pg_client_image, **kwargs)

    def execute(self, context: Any) -> dict[str, Any] | None:
        config = self._start(context, "pg_dump of the tables", "pg_client_image")
        final, tables = self.validated["tables_dump"], [tuple(t) for t in self.validated["plain_tables"]]
        if not tables:
            log.info("No plain table to pg_dump")
            return None
        folder = PurePosixPath(final).parent
        (Path(config.backup_root) / folder).mkdir(parents=True, exist_ok=True)
        self.mounts = [Mount(target=BACKUP_MOUNT, type="bind",
                             source=host_path(config.backup_root, config.backup_host_root, str(folder)))]
        self._database(config, self.validated["database"])
        self.command = commands.pg_dump_script(PurePosixPath(partial_path(final)).name, config.pg_dump_compression, None,
                                               tables)
        lines, seconds = self._run(context, "pg_dump of " + ", ".join(f"{s}.{t}" for s, t in tables))
        artefact = publish(config.backup_root, "tables_dump", final, duration_seconds=seconds,
                           verification=parse_output(lines)["verified"])
        manifest = {"kind": "pg_dump", "database": self.validated["database"], "tables": [f"{s}.{t}" for s, t in tables],
                    "created_at": pendulum.now("UTC").isoformat(), "artefact": asdict(artefact)}
        write_atomically(Path(config.backup_root) / f"{final.removesuffix('.backup')}.json",
                         json.dumps(manifest, indent=2).encode())
        append_log_line(config, BACKUP_LOG, f"Selective backup written: {final} ({artefact.size_bytes} bytes)")
        return manifest
