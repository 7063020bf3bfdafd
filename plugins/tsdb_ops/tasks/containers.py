"""Every container step of the package as a ``DockerOperator``: pg_dump, pg_restore, the models volume, safety
dumps and table dumps, the backup monitor's pg_restore -l, in the configured client images, their mounts resolved
by the host's engine.

Each operator is prepared at run time from the configuration (images, network, host paths) and logs its result
to backup.log; the recovery operators act on the validated params of their run and skip in a dry run, also when
cleared and re-run on their own.

Every DAG file with a container step imports this module when it is parsed: an operator imports the subject code
it runs on inside its methods, so parsing one DAG does not load every subject (DAG parse budget: 50 ms per file).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from airflow.providers.docker.exceptions import DockerContainerFailedException
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk.exceptions import AirflowException, AirflowSkipException

from tsdb_ops.config import OpsConfig, load_config, parse_time_config

if TYPE_CHECKING:
    from docker.types import Mount

    from tsdb_ops.db import DatabaseLogin
    from tsdb_ops.pitr import barman as pitr_barman

TASK_LABEL = "tsdb_ops.task"


class BackupContainerOperator(DockerOperator):
    """A DockerOperator whose engine, network and labels come from the run-time configuration."""

    def __init__(self, *, image: str, **kwargs: Any) -> None:
        super().__init__(image=image, auto_remove="force", mount_tmp_dir=False, xcom_all=True, **kwargs)

    def _prepare(self, context: Any, config: OpsConfig, image: str) -> str:
        """Point the operator at the configured engine and image; returns the run's backup set id."""
        from tsdb_ops.backup.layout import ensure_dirs, set_id_for

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

    def _cover_image_volumes(self) -> None:
        """A tmpfs over each VOLUME the image declares and no mount covers (the TimescaleDB and postgres images
        declare their data directory): else every run creates an anonymous volume that the container's removal
        (the provider removes without its volumes) leaves behind, one per dump and per monitor run. An image not
        pulled yet is inspected by nobody: the provider pulls it, and that one run's volume stays."""
        from docker.errors import NotFound
        from docker.types import Mount

        try:
            declared = (self.cli.inspect_image(self.image).get("Config") or {}).get("Volumes") or {}
        except NotFound:
            log.info("image %s is not on the engine yet: its declared volumes are not covered this run", self.image)
            return
        covered = {mount["Target"] for mount in self.mounts}
        self.mounts = [*self.mounts, *(Mount(target=path, source=None, type="tmpfs")
                                       for path in sorted(declared) if path not in covered)]

    def _run(self, context: Any, what: str) -> tuple[list[str], float]:
        """Run the container; its output lines and wall time. A failure names the step and the container's last words."""
        started = time.monotonic()
        self._cover_image_volumes()
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
        from docker.types import Mount

        from tsdb_ops.backup import commands
        from tsdb_ops.backup.artefacts import publish
        from tsdb_ops.backup.commands import BACKUP_MOUNT, parse_output
        from tsdb_ops.backup.database import database_facts, export_snapshot, job_records, table_stats
        from tsdb_ops.backup.layout import artefact_path, host_path, partial_path
        from tsdb_ops.db import database_login, db_session
        from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

        config = load_config()
        login = database_login(config.postgres_conn_id)
        set_id = self._prepare(context, config, config.pg_client_image)
        append_log_line(config, BACKUP_LOG, "Starting database backup...")
        final = artefact_path("database", set_id, login.dbname)
        dump_dir = host_path(config.backup_root, config.backup_host_root, "db")
        self.mounts = [Mount(target=BACKUP_MOUNT, source=dump_dir, type="bind")]
        self._database_env(config, login, login.dbname)
        with db_session(config.postgres_conn_id) as conn:
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
        from docker.errors import NotFound
        from docker.types import Mount

        from tsdb_ops.backup import commands
        from tsdb_ops.backup.artefacts import publish
        from tsdb_ops.backup.commands import BACKUP_MOUNT, MODELS_MOUNT, parse_output
        from tsdb_ops.backup.layout import artefact_path, host_path, partial_path
        from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

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
        from docker.types import Mount

        from tsdb_ops.backup import commands
        from tsdb_ops.backup.commands import BACKUP_MOUNT
        from tsdb_ops.backup.layout import host_path
        from tsdb_ops.backup.restore_check import refuse_production_database
        from tsdb_ops.db import database_login

        config = load_config()
        login = database_login(config.postgres_conn_id)
        refuse_production_database(config, login.dbname)
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
        from tsdb_ops.db import database_login

        self._database_env(config, database_login(config.postgres_conn_id), dbname)


class WriteSafetyDumpOperator(RecoveryContainerOperator):
    """pg_dump of the restore target before it is overwritten: partial name, pg_restore -l, rename. Once per run."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(image=parse_time_config().pg_client_image, **kwargs)

    def execute(self, context: Any) -> dict[str, Any] | None:
        from docker.types import Mount

        from tsdb_ops.backup import commands
        from tsdb_ops.backup.artefacts import publish, sha256_of
        from tsdb_ops.backup.commands import BACKUP_MOUNT, parse_output
        from tsdb_ops.backup.layout import host_path, partial_path
        from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

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
        from docker.types import Mount

        from tsdb_ops.backup import commands
        from tsdb_ops.backup.commands import BACKUP_MOUNT
        from tsdb_ops.backup.layout import host_path
        from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

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
        from docker.types import Mount

        from tsdb_ops.backup import commands
        from tsdb_ops.backup.commands import BACKUP_MOUNT, MODELS_MOUNT, parse_output
        from tsdb_ops.backup.layout import host_path
        from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

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
        import pendulum
        from docker.types import Mount

        from tsdb_ops.backup import commands
        from tsdb_ops.backup.artefacts import publish
        from tsdb_ops.backup.commands import BACKUP_MOUNT, parse_output
        from tsdb_ops.backup.layout import host_path, partial_path
        from tsdb_ops.files import write_atomically
        from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

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


class TakeBaseBackupOperator(BackupContainerOperator):
    """Physical base backup of the whole cluster (pg_basebackup -Ft -z, WAL streamed, SHA256 backup_manifest) in
    ``pg_client_image``, verified by pg_verifybackup on the unpacked tars, published as ``base/base_<set id>/``;
    skipped while physical_backup_enabled is false. Guide: "Physical backup"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(image=parse_time_config().pg_client_image, **kwargs)

    def execute(self, context: Any) -> dict[str, Any]:
        from docker.types import Mount

        from tsdb_ops.backup import commands
        from tsdb_ops.backup.artefacts import PG_BACKUP_MANIFEST, delete_path, publish, read_pg_backup_manifest
        from tsdb_ops.backup.commands import BACKUP_MOUNT, parse_output
        from tsdb_ops.backup.database import base_backup_refusal
        from tsdb_ops.backup.layout import artefact_path, host_path, partial_path
        from tsdb_ops.backup.manifest import BASE_BACKUP, KIND_DIRS
        from tsdb_ops.db import database_login, db_session
        from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

        config = load_config()
        if not config.physical_backup_enabled:
            raise AirflowSkipException("physical_backup_enabled is false: no physical base backup")
        login = database_login(config.postgres_conn_id)
        set_id = self._prepare(context, config, config.pg_client_image)
        with db_session(config.postgres_conn_id) as conn:
            refusal = base_backup_refusal(conn)
        if refusal:
            raise RuntimeError(f"Physical base backup not taken: {refusal}")
        append_log_line(config, BACKUP_LOG, "Starting physical base backup...")
        final = artefact_path(BASE_BACKUP, set_id, "")
        partial = Path(config.backup_root) / partial_path(final)
        partial.parent.mkdir(exist_ok=True)
        delete_path(partial)  # left by a killed attempt: pg_basebackup writes only into an empty directory
        self.mounts = [Mount(target=BACKUP_MOUNT, type="bind",
                             source=host_path(config.backup_root, config.backup_host_root, KIND_DIRS[BASE_BACKUP]))]
        self._database_env(config, login, login.dbname)
        self.command = commands.pg_basebackup_script(partial.name, f"tsdb_ops {self.dag_id} {set_id}")
        try:
            lines, seconds = self._run(context, "pg_basebackup")
        except RuntimeError as error:
            fix = commands.base_backup_fix(str(error), login.user)
            raise RuntimeError(f"{error}. Fix: {fix}" if fix else str(error)) from None
        contents = read_pg_backup_manifest(partial / PG_BACKUP_MANIFEST)
        artefact = publish(
            config.backup_root, BASE_BACKUP, final, duration_seconds=seconds, source_bytes=contents.data_bytes,
            verification=f"{parse_output(lines)['verified']} ({contents.files} files by SHA256, WAL {contents.wal})",
        )
        append_log_line(config, BACKUP_LOG, f"Physical base backup written: {final} ({artefact.size_bytes} bytes, "
                                            f"{seconds:.1f} s)")
        return asdict(artefact)


class BarmanOperator(DockerOperator):
    """A container of ``barman_image`` on the database's network with Barman's catalogue mounted: it writes the
    configuration and the 0600 .pgpass (from the private PGPASSWORD of ``pitr_conn_id``) into the catalogue, then
    runs its Barman steps. Point-in-time recovery (db_pitr_setup, db_base_backup, db_pitr_verification,
    db_point_in_time_restore)."""

    template_fields = (*DockerOperator.template_fields, "upstream")

    def __init__(self, *, upstream: Any = None, **kwargs: Any) -> None:
        super().__init__(image=parse_time_config().barman_image, auto_remove="force", mount_tmp_dir=False, xcom_all=True,
                         **kwargs)
        self.upstream = upstream  # output of the run's planning task

    def _barman(self, context: Any, what: str, steps: list[pitr_barman.BarmanStep], *, before: Sequence[str] = (),
                mounts: Sequence[Mount] = ()) -> dict[str, pitr_barman.JsonResult]:
        from tsdb_ops.db import database_login, role_password
        from tsdb_ops.pitr import barman as pitr_barman
        from tsdb_ops.pitr.engine import catalogue_mount

        config = load_config()
        login = database_login(config.postgres_conn_id)
        self.docker_url, self.image, self.network_mode = config.docker_url, config.barman_image, config.docker_network
        self.labels = {TASK_LABEL: f"{self.dag_id}.{self.task_id}"}
        self.mounts = [catalogue_mount(config), *mounts]
        self.environment = pitr_barman.BarmanServer.from_config(config, login.dbname).environment()
        self._private_environment = {"PGPASSWORD": role_password(config.pitr_conn_id, config.pitr_replication_role)}
        self.command = pitr_barman.barman_script(steps, before=before)
        try:
            lines = super().execute(context) or []
        except DockerContainerFailedException as exc:
            tail = " | ".join(line for line in (exc.logs or [])[-3:] if line)
            raise RuntimeError(f"{what} failed in image {self.image}: {tail or exc}") from None
        return pitr_barman.parse_json_steps(lines if isinstance(lines, list) else [lines])


def _barman_messages(result: pitr_barman.JsonResult) -> str:
    data = result.data if isinstance(result.data, dict) else {}
    return " ".join(str(m) for key in ("_ERROR", "_EXCEPTION") for m in data.get(key, [])) or f"exit {result.exit_code}"


class ConfigureBarmanOperator(BarmanOperator):
    """db_pitr_setup: Barman's configuration and .pgpass into the catalogue, then ``barman check``; its failed checks
    (the next task judges them). When this run created the slot (first setup, or a lost slot brought back), the WAL
    receiver's position is reset to the new slot's first segment (``receive-wal --reset``): the segments after its
    old position are gone from the server, and pg_receivewal would ask for them forever. Skipped in a dry run."""

    def execute(self, context: Any) -> dict[str, str]:
        from tsdb_ops.pitr import barman as pitr_barman
        from tsdb_ops.pitr import status as pitr_status

        if self.upstream["dry_run"]:
            raise AirflowSkipException("dry run: Barman's configuration not written")
        server = load_config().pitr_server_name
        steps = [pitr_barman.BarmanStep(("check", server), "check")]
        if not self.upstream["slot_exists"]:
            steps.insert(0, pitr_barman.BarmanStep(("receive-wal", "--reset", server), "reset"))
        results = self._barman(context, "barman check", steps)
        if "reset" in results:
            # not fatal: a receiver the service already started on the new slot holds the lock (and streams);
            # whether the stream works is what the check and the monitor say
            log.info("receive-wal --reset of server %s: %s", server, "done" if not results["reset"].exit_code
                     else _barman_messages(results["reset"]))
        return pitr_status.failed_checks(results["check"].data, server)


class CheckBarmanOperator(BarmanOperator):
    """db_base_backup's first step: archive the WAL streamed so far (switch-wal), then ``barman check``; fails on any
    failed check but those a backup fixes (no backup yet, an earlier backup failed)."""

    def execute(self, context: Any) -> dict[str, str]:
        from tsdb_ops.pitr import barman as pitr_barman
        from tsdb_ops.pitr import status as pitr_status

        server = load_config().pitr_server_name
        results = self._barman(context, "barman check", [
            pitr_barman.BarmanStep(("switch-wal", "--force", "--archive", "--archive-timeout", "120", server), "switch_wal"),
            pitr_barman.BarmanStep(("check", server), "check")])
        failed = pitr_status.failed_checks(results["check"].data, server)
        blocking = {k: v for k, v in failed.items() if k not in pitr_status.FIXED_BY_A_BACKUP}
        if blocking:
            raise RuntimeError("barman check failed, no base backup taken: " + "; ".join(
                f"{name}: {hint}" if hint else name for name, hint in blocking.items()))
        return failed


class BarmanBackupOperator(BarmanOperator):
    """``barman backup --wait`` (pg_basebackup, then waits until the WAL the backup needs is archived), then
    ``list-backups``: the new backup and the catalogue's backups after retention (RECOVERY WINDOW). Earlier failed
    backups are deleted once this one succeeded."""

    def execute(self, context: Any) -> dict[str, Any]:
        from tsdb_ops.pitr import barman as pitr_barman
        from tsdb_ops.pitr import status as pitr_status

        server = load_config().pitr_server_name
        results = self._barman(context, "barman backup", [
            pitr_barman.BarmanStep(("backup", "--wait", "--wait-timeout", "600", server), "backup"),
            pitr_barman.BarmanStep(("list-backups", server), "list_backups")])
        backup = results["backup"]
        if backup.exit_code or not isinstance(backup.data, dict) or "backup_id" not in backup.data:
            raise RuntimeError(f"barman backup of server {server} failed: {_barman_messages(backup)}")
        backups = pitr_status.base_backups(results["list_backups"].data, server)
        [new] = [b for b in backups if b.backup_id == backup.data["backup_id"]]
        if new.status != "DONE":
            raise RuntimeError(f"barman backup {new.backup_id} ended in status {new.status}, not DONE")
        failed = [b.backup_id for b in backups if b.status == "FAILED"]
        if failed:  # kept for inspection until a backup succeeded; the monitor alerted on them meanwhile
            self._barman(context, "barman delete of failed backups",
                         [pitr_barman.BarmanStep(("delete", server, backup_id)) for backup_id in failed])
            log.info("failed base backups deleted after this success: %s", failed)
            backups = [b for b in backups if b.status != "FAILED"]
        return {"backup": new.as_dict(), "backups": [b.as_dict() for b in backups],
                "begin_wal": backup.data.get("begin_wal"), "end_wal": backup.data.get("end_wal")}


class RecoverToTimeOperator(BarmanOperator):
    """``barman recover --target-time`` into an empty Docker volume (created here) or host directory: the newest base
    backup before the target and the WAL up to it, the partial segment included. ``upstream``: a dict with
    ``target_time`` and ``volume`` or ``directory`` (and ``dry_run``)."""

    def execute(self, context: Any) -> dict[str, Any]:
        from docker.types import Mount

        from tsdb_ops.pitr import barman as pitr_barman
        from tsdb_ops.pitr import recovery as pitr_recovery

        request = self.upstream
        if request.get("dry_run"):
            raise AirflowSkipException("dry run: nothing recovered")
        config = load_config()
        target_time = datetime.fromisoformat(request["target_time"])
        if request.get("volume"):
            self.docker_url = config.docker_url
            self.cli.create_volume(request["volume"], labels={TASK_LABEL: f"{self.dag_id}.{self.task_id}"})
            mount = Mount(target=pitr_barman.RECOVERY_MOUNT, source=request["volume"], type="volume")
        else:
            mount = Mount(target=pitr_barman.RECOVERY_MOUNT, source=request["directory"], type="bind")
        started = time.monotonic()
        results = self._barman(context, f"barman recover to {target_time.isoformat()}",
                                  pitr_recovery.recover_steps(config.pitr_server_name, target_time),
                                  before=pitr_recovery.PREPARE_TARGET, mounts=[mount])
        seconds = time.monotonic() - started
        switched = results.get("switch_wal")
        log.info("WAL archived before the recovery: %s", "yes" if switched and not switched.exit_code
                 else "no (the database did not answer: the streamed partial segment is used)")
        return {**request, "recover_seconds": round(seconds, 1)}


class ListDumpsOperator(BackupContainerOperator):
    """The backup monitor's integrity listing: ``pg_restore -l`` of the dumps its hash step chose (new or changed
    content with a good size and sha256), in one container of ``pg_client_image``, network off, db/ mounted
    read-only; the verdict per dump name. No dump to list: no container. The image is never pulled here (a missing
    one fails with what to fix), and nothing is created under backup_root (an unmounted volume must stay visible)."""

    template_fields = (*DockerOperator.template_fields, "hashed")

    def __init__(self, *, hashed: Any = None, **kwargs: Any) -> None:
        super().__init__(image=parse_time_config().pg_client_image, network_mode="none", **kwargs)
        self.hashed = hashed  # output of the hash step (monitor.verification.HashedBackups.as_dict())

    def execute(self, context: Any) -> dict[str, str | None]:
        from tsdb_ops.monitor.verification import HashedBackups

        return self.list_dumps(HashedBackups.from_dict(self.hashed).dump_names, load_config(), context)

    def list_dumps(self, names: Sequence[str], config: OpsConfig, context: Any = None) -> dict[str, str | None]:
        """``pg_restore -l`` of ``names`` (files in db/): None for a dump that lists, else what is wrong with it."""
        from docker.types import Mount

        from tsdb_ops.backup.layout import host_path
        from tsdb_ops.backup.manifest import KIND_DIRS
        from tsdb_ops.monitor.verification import DUMP_MOUNT, LIST_DUMPS_SCRIPT, parse_dump_listing

        if not names:
            log.info("No dump is new or changed: pg_restore -l not needed")
            return {}
        self.docker_url, self.image = config.docker_url, config.pg_client_image
        self.labels = {TASK_LABEL: "db_backup_monitor.list_dumps"}
        try:
            present = self.cli.images(name=self.image)
        except AirflowException as error:
            raise RuntimeError(f"cannot reach the Docker engine at {config.docker_url} to run pg_restore -l ({error}); "
                               "fix docker_url") from None
        if not present:
            raise RuntimeError(f"image {self.image!r} is not on the Docker engine; pull it or fix pg_client_image")
        self.mounts = [Mount(target=DUMP_MOUNT, source=host_path(config.backup_root, config.backup_host_root,
                                                                 KIND_DIRS["database"]), type="bind", read_only=True)]
        self.command = ["sh", "-c", LIST_DUMPS_SCRIPT, "list_dumps", *names]
        lines, seconds = self._run(context, f"pg_restore -l of {len(names)} dump(s)")
        log.info("pg_restore -l of %d dump(s) in %.1f s", len(names), seconds)
        return parse_dump_listing(lines, names)
