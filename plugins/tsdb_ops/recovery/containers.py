"""The recovery DAGs' Docker tasks, built on the backup's container operator (run-time config, private password,
containers always removed). Each one acts on the validated params of its run and skips in a dry run, also when
a person clears and re-runs it alone.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path, PurePosixPath
from typing import Any

import pendulum
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk.exceptions import AirflowSkipException
from docker.types import Mount

from tsdb_ops.backup import commands
from tsdb_ops.backup.artefacts import publish, sha256_of
from tsdb_ops.backup.commands import BACKUP_MOUNT, MODELS_MOUNT, parse_output
from tsdb_ops.backup.containers import BackupContainerOperator
from tsdb_ops.backup.database import database_login
from tsdb_ops.backup.layout import host_path, partial_path
from tsdb_ops.backup.manifest import write_atomically
from tsdb_ops.config import OpsConfig, load_config, parse_time_config
from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

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
