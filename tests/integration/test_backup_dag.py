"""db_nightly_backup and db_restore_verification run by dag.test() against PostgreSQL 15 and the Docker engine.

``market_data`` is a hypertable when the cluster has native TimescaleDB (as in production), a plain table on
machines without it. The backup restores: rows equal (checksums over every row), models byte-equal, configs 0600.
Faults (database stopped or container killed mid-dump, container exit, disk full) leave no file that looks like
a backup, keep older sets, fail the task, write ERROR to backup.log and alert.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import tarfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from conftest import TEST_BUSYBOX_IMAGE, TEST_PG_CLIENT_IMAGE
from harness.market_data import load_market_data
from harness.postgres import PG_BIN, PostgresCluster, native_timescaledb_version
from tsdb_ops.backup.manifest import list_manifest_paths, read_manifest

ROOT = Path(__file__).resolve().parents[2]
SLACK_TOKEN = "SlackTok3nBackup"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CHECKSUM = "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {} t"


def table_checksums(dsn: str) -> dict[str, tuple]:
    with psycopg.connect(dsn) as conn:
        tables = ("market_data", "ml_predictions")
        return {t: conn.execute(sql.SQL(CHECKSUM).format(sql.Identifier(t))).fetchone() for t in tables}


def load_small_market_data(conn: psycopg.Connection, hypertable: bool) -> None:
    load_market_data(conn, now=NOW, hypertable=hypertable, h1_days=20, m1_days=1, symbols=("EURUSD", "XAUUSD"))


class BackupRig:
    """A database with market data, a models volume, a stack project and the config of one backup target.

    ``load`` fills the database (default: a small ``market_data``, a hypertable when the cluster has TimescaleDB);
    what it returns is kept as ``shape``.
    """

    def __init__(self, cluster: PostgresCluster, docker_client, base: Path, *,
                 load: Callable[[psycopg.Connection], Any] | None = None, **overrides) -> None:
        self.cluster, self.docker, self.base = cluster, docker_client, base
        self.tag = uuid.uuid4().hex[:8]
        self.dbname = f"mt5_{self.tag}"
        self.dsn = cluster.create_database(self.dbname, timescaledb=cluster.timescale)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            self.shape = load(conn) if load else load_small_market_data(conn, cluster.timescale)
        self.models_src = base / "models-src"
        (self.models_src / "lstm").mkdir(parents=True)
        for i in range(3):
            (self.models_src / "lstm" / f"w{i}.bin").write_bytes(os.urandom(50_000 + i))
        (self.models_src / "meta.json").write_text('{"version": "lstm-v3"}')
        self.volume = f"tsdb_ops_test_models_{self.tag}"
        docker_client.volumes.create(self.volume)
        docker_client.containers.run(
            TEST_BUSYBOX_IMAGE, ["sh", "-c", "cp -a /src/. /models/"], remove=True,
            volumes={self.volume: {"bind": "/models", "mode": "rw"}, str(self.models_src): {"bind": "/src", "mode": "ro"}},
        )
        self.project = base / "stack"
        (self.project / "api").mkdir(parents=True)
        (self.project / "docker-compose.yml").write_text("services: {db: {image: timescale/timescaledb:2.28.3-pg15}}\n")
        (self.project / ".env").write_text("POSTGRES_PASSWORD=stack-secret\n")
        (self.project / ".env").chmod(0o600)
        (self.project / "api" / "config.py").write_text("DATABASE = 'mt5_trading'\n")
        self.backup_root = base / "backups"
        self.log_dir = base / "logs"
        self.config = {
            "backup_root": str(self.backup_root), "log_dir": str(self.log_dir), "report_dir": str(base / "reports"),
            "docker_network": "host", "db_host_in_docker": "127.0.0.1", "db_port_in_docker": cluster.port,
            "pg_client_image": TEST_PG_CLIENT_IMAGE, "busybox_image": TEST_BUSYBOX_IMAGE, "models_volume": self.volume,
            "config_project_dir": str(self.project), "backup_min_free_bytes": 0, "retries": 0,
            "restore_scratch_database": f"restore_check_{self.tag}", **overrides,
        }

    def env(self, monkeypatch, webhook_server=None, **overrides) -> None:
        monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps({**self.config, **overrides}))
        monkeypatch.setenv("AIRFLOW_CONN_TSDB_POSTGRES", self.dsn)
        for conn in ("TSDB_SMTP", "TSDB_DISCORD", "TSDB_SLACK"):
            monkeypatch.delenv(f"AIRFLOW_CONN_{conn}", raising=False)
        if webhook_server is not None:
            url = webhook_server.url(f"/{self.tag}/slack/services/T0/B0/{SLACK_TOKEN}")
            monkeypatch.setenv("AIRFLOW_CONN_TSDB_SLACK", json.dumps({"conn_type": "slackwebhook", "password": url}))

    def run(self, dag_id: str, run_after: datetime = NOW):
        from airflow.dag_processing.dagbag import DagBag

        dag = DagBag(str(ROOT / "dags")).dags[dag_id]
        dag_run = dag.test(run_after=run_after, logical_date=None)
        return dag_run, {ti.task_id: ti.state for ti in dag_run.get_task_instances()}

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.backup_root)) for p in self.backup_root.rglob("*") if p.is_file())

    def backup_log(self) -> list[str]:
        path = self.log_dir / "backup.log"
        return path.read_text().splitlines() if path.exists() else []

    def close(self, drop_databases: bool = True) -> None:
        self.docker.volumes.get(self.volume).remove(force=True)
        if not drop_databases:
            return
        with psycopg.connect(self.cluster.dsn(), autocommit=True) as conn:
            for name in (self.dbname, self.config["restore_scratch_database"]):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def captured_output(path: Path):
    """Everything printed to stdout and stderr (the task logs of dag.test() included) also goes to ``path``."""
    with open(path, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


@pytest.fixture(scope="module")
def nightly(pg15, docker_client, airflow_home, tmp_path_factory):
    """One successful nightly backup of a generated database, shared by the round-trip tests."""
    rig = BackupRig(pg15, docker_client, tmp_path_factory.mktemp("nightly"))
    output = rig.base / "dag-test-output.log"
    try:
        with pytest.MonkeyPatch.context() as monkeypatch, captured_output(output):
            rig.env(monkeypatch)
            dag_run, states = rig.run("db_nightly_backup")
        rig.output = output.read_text(errors="replace")
        yield rig, dag_run, states
    finally:
        rig.close()


def test_nightly_backup_succeeds_and_writes_one_verified_set(nightly):
    rig, dag_run, states = nightly
    assert str(dag_run.state) == "success", states
    assert rig.files() == [
        "configs/config_20260302.tar.gz", f"db/{rig.dbname}_20260302.backup", "manifests/backup_20260302.json",
        "models/models_20260302.tar.gz",
    ]
    manifest = read_manifest(rig.backup_root / "manifests" / "backup_20260302.json")
    assert manifest.database == rig.dbname and manifest.server_version.startswith("15.")
    assert manifest.timescaledb_version == native_timescaledb_version() and manifest.jobs == []
    dump = manifest.artefact("database")
    assert dump.verification.startswith("pg_restore -l: ") and dump.size_bytes == (rig.backup_root / dump.path).stat().st_size
    assert manifest.artefact("models").verification == "tar -t: 6 entries"  # ./, lstm/, 3 weights, meta.json
    with psycopg.connect(rig.dsn) as conn:
        rows, first, last = conn.execute("SELECT count(*), min(timestamp), max(timestamp) FROM market_data").fetchone()
        chunks = conn.execute("SELECT count(*) FROM show_chunks('market_data')").fetchone()[0] if rig.cluster.timescale else None
    [stats] = manifest.hypertables
    assert (stats.name, stats.rows, stats.chunks) == ("public.market_data", rows, chunks)
    assert (stats.min_time, stats.max_time) == (first.astimezone(UTC).isoformat(), last.astimezone(UTC).isoformat())
    # the pre-flight's database size, read by a SQL step that shows its statement
    assert "pg_database_size(current_database()) AS database_bytes" in statements(dag_run, "read_database_facts")[-1]
    assert states["check_room_for_the_dump"] == "success" and not [m for m in rig.backup_log() if "WARNING" in m]


def test_without_physical_backup_enabled_the_base_backup_is_skipped_and_nothing_else_changes(nightly):
    rig, _, states = nightly
    assert states["take_physical_base_backup"] == "skipped" and states["write_manifest"] == "success"
    assert not (rig.backup_root / "base").exists()
    assert [a.kind for a in read_manifest(rig.backup_root / "manifests" / "backup_20260302.json").artefacts] == [
        "database", "models", "configs"]


def test_backup_log_has_the_guides_lines_in_order(nightly):
    rig, _, _ = nightly
    messages = [line.split("] ", 1)[1] for line in rig.backup_log()]
    steps = [m for m in messages if m.endswith("...") or m == "Backup completed successfully"]
    assert steps == ["Starting database backup...", "Starting models backup...", "Backing up configurations...",
                     "Cleaning up old backups...", "Backup completed successfully"]
    assert not [m for m in messages if m.startswith("ERROR")]


def restore_with_host_pg_restore(cluster: PostgresCluster, dump: Path, target: str) -> str:
    """Debian's pg_restore into a new database, between the restore steps the DAGs run (their SQL files composed as
    their SQL steps compose them, then end_restore_mode through an Airflow connection); the target's DSN."""
    from tsdb_ops.backup import restore_steps
    from tsdb_ops.files import read_sql
    from tsdb_ops.tasks.sql_steps import with_identifiers

    version = native_timescaledb_version() if cluster.timescale else None
    names = restore_steps.plan_preparation(target, version, create=True)["identifiers"]
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(with_identifiers(read_sql(restore_steps.CREATE_DATABASE_SQL), names))
    if version:
        with psycopg.connect(cluster.dsn(target)) as conn:
            conn.execute(with_identifiers(read_sql(restore_steps.PREPARE_TIMESCALEDB_RESTORE_SQL), names))
    try:
        subprocess.run([str(PG_BIN / "pg_restore"), "--exit-on-error", "-d", cluster.dsn(target), str(dump)],
                       check=True, capture_output=True)
    finally:
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setenv("AIRFLOW_CONN_TSDB_HOST_RESTORE", cluster.dsn())
            restore_steps.end_restore_mode("tsdb_host_restore", target, version)
    return cluster.dsn(target)


def drop_database(cluster: PostgresCluster, name: str) -> None:
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_database_dump_restores_into_a_fresh_database_with_equal_rows(nightly):
    rig, _, _ = nightly
    target = f"restored_{rig.tag}"
    try:
        dump = rig.backup_root / "db" / f"{rig.dbname}_20260302.backup"
        assert table_checksums(restore_with_host_pg_restore(rig.cluster, dump, target)) == table_checksums(rig.dsn)
    finally:
        drop_database(rig.cluster, target)


def test_models_tarball_restores_byte_equal_into_a_fresh_volume(nightly, tmp_path):
    rig, _, _ = nightly
    fresh = f"{rig.volume}_restored"
    rig.docker.volumes.create(fresh)
    try:  # the guide's restore: busybox tar xzf into the volume; then copied out to compare
        rig.docker.containers.run(
            TEST_BUSYBOX_IMAGE, ["sh", "-c", "cd /models && tar xzf /backup/models_20260302.tar.gz && cp -a /models/. /out/"],
            remove=True, volumes={fresh: {"bind": "/models", "mode": "rw"}, str(tmp_path): {"bind": "/out", "mode": "rw"},
                                  str(rig.backup_root / "models"): {"bind": "/backup", "mode": "ro"}},
        )
    finally:
        rig.docker.volumes.get(fresh).remove(force=True)
    source = {p.relative_to(rig.models_src): p.read_bytes() for p in rig.models_src.rglob("*") if p.is_file()}
    restored = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert restored == source


def test_config_tarball_is_0600_and_restores_the_files(nightly, tmp_path):
    rig, _, _ = nightly
    archive = rig.backup_root / "configs" / "config_20260302.tar.gz"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path, filter="data")
    for name in ("docker-compose.yml", ".env", "api/config.py"):
        assert (tmp_path / name).read_bytes() == (rig.project / name).read_bytes(), name


def test_manifest_checksums_match_the_files(nightly):
    import hashlib

    rig, _, _ = nightly
    manifest = read_manifest(rig.backup_root / "manifests" / "backup_20260302.json")
    for artefact in manifest.artefacts:
        assert hashlib.sha256((rig.backup_root / artefact.path).read_bytes()).hexdigest() == artefact.sha256


def test_restore_verification_restores_the_newest_set_and_matches_its_manifest(nightly, monkeypatch):
    rig, _, _ = nightly
    rig.env(monkeypatch)
    dag_run, states = rig.run("db_restore_verification", NOW + timedelta(hours=3))
    assert str(dag_run.state) == "success", states
    report = json.loads((Path(rig.config["report_dir"]) / "restore_check_20260302.json").read_text())
    assert report["ok"] and [t["name"] for t in report["tables"]] == ["public.market_data"]
    assert report["jobs"] == [] and report["jobs_recorded"]
    assert rig.backup_log()[-1].endswith("Restore verification of backup set 20260302 passed: 1 tables match the manifest")
    with psycopg.connect(rig.cluster.dsn()) as conn:  # the scratch database was dropped
        scratch = rig.config["restore_scratch_database"]
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (scratch,)).fetchone() is None
    assert_preparation_and_drop_ran_as_rendered(rig, dag_run, states)


def statements(dag_run, task_id: str) -> list[str]:
    """The statements of a SQL step as the UI's Rendered Template tab shows them, without the file's comments."""
    from harness.dag_runs import rendered_fields

    return [line for line in rendered_fields(dag_run, task_id)["sql"].splitlines() if not line.startswith("--")]


def assert_preparation_and_drop_ran_as_rendered(rig: BackupRig, dag_run, states: dict[str, str]) -> None:
    """The scratch database's SQL steps ran the statements the UI shows, with the scratch database quoted."""
    from harness.dag_runs import rendered_fields

    scratch = rig.config["restore_scratch_database"]
    assert statements(dag_run, "create_scratch_database") == [f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE);',
                                                              f'CREATE DATABASE "{scratch}";']
    assert statements(dag_run, "drop_scratch_database") == [f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)']
    assert rendered_fields(dag_run, "prepare_timescaledb_restore")["database"] == scratch
    if rig.cluster.timescale:
        assert states["prepare_timescaledb_restore"] == "success"
        assert statements(dag_run, "prepare_timescaledb_restore") == [
            f'CREATE EXTENSION IF NOT EXISTS timescaledb VERSION "{native_timescaledb_version()}";',
            "SELECT timescaledb_pre_restore();"]
    else:  # a set without TimescaleDB: no extension, no restore mode; the restore goes on
        assert states["prepare_timescaledb_restore"] == "skipped" and states["restore_dump"] == "success"


def test_restore_verification_fails_and_alerts_when_counts_differ_from_the_manifest(
    nightly, monkeypatch, webhook_server, tmp_path
):
    rig, _, _ = nightly
    other = tmp_path / "backups"  # a copy of the set whose manifest claims one row more
    for path in rig.files():
        (other / path).parent.mkdir(parents=True, exist_ok=True)
        (other / path).write_bytes((rig.backup_root / path).read_bytes())
    manifest_file = other / "manifests" / "backup_20260302.json"
    data = json.loads(manifest_file.read_text())
    data["hypertables"][0]["rows"] += 1
    manifest_file.write_text(json.dumps(data))
    rig.env(monkeypatch, webhook_server, backup_root=str(other))

    dag_run, states = rig.run("db_restore_verification", NOW + timedelta(hours=3))

    assert str(dag_run.state) == "failed"
    assert states["compare_with_manifest"] == "failed" and states["drop_scratch_database"] == "success"
    assert "ERROR: Restore verification of backup set 20260302 failed: public.market_data restored" in rig.backup_log()[-1]
    [post] = webhook_server.wait_for(1, f"/{rig.tag}/slack")
    assert "compare_with_manifest" in post.body.decode()


def test_restore_verification_refuses_to_restore_into_the_production_database(nightly, monkeypatch):
    rig, _, _ = nightly
    rig.env(monkeypatch, restore_scratch_database=rig.dbname)
    _, states = rig.run("db_restore_verification", NOW + timedelta(hours=3))
    assert states["find_newest_verified_backup"] == "failed", states  # before any step that drops or creates
    assert states["create_scratch_database"] == states["restore_dump"] == "upstream_failed"
    assert states["drop_scratch_database"] == "upstream_failed"
    assert table_checksums(rig.dsn)["market_data"][0] > 0  # production untouched


# --- faults -------------------------------------------------------------------------------------------------

@pytest.fixture
def faulty(docker_client, airflow_home, tmp_path, monkeypatch, webhook_server):
    """A rig on a dedicated cluster (faults stop it) that already holds an older verified set."""
    cluster = PostgresCluster("backup-faults").start()
    rig = BackupRig(cluster, docker_client, tmp_path)
    try:
        rig.env(monkeypatch, webhook_server)
        dag_run, states = rig.run("db_nightly_backup", NOW - timedelta(days=1))
        assert str(dag_run.state) == "success", states
        rig.older = rig.files()
        yield rig
    finally:
        rig.close(drop_databases=False)
        cluster.destroy()


def assert_failed_cleanly(rig: BackupRig, states: dict, task: str, webhook_server) -> None:
    assert states[task] == "failed" and states["write_manifest"] == "upstream_failed"
    assert states["clean_up_old_backups"] == "upstream_failed"
    assert rig.files() == rig.older, "only the older set is left: no partial, no new artefact"
    assert [m for m in rig.backup_log() if f"ERROR: Backup task {task} failed" in m]
    posts = webhook_server.wait_for(1, f"/{rig.tag}/slack")
    assert [p for p in posts if task in p.body.decode()], "the failure alert reached Slack"


def wait_for_blocked_pg_dump(dsn: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute("SELECT 1 FROM pg_stat_activity WHERE application_name = 'tsdb_ops_dump_database'"
                            " AND wait_event_type = 'Lock'").fetchone():
                return
            time.sleep(0.2)
    raise TimeoutError("pg_dump never waited on the locked table")


def fault_during_dump(rig: BackupRig, fault) -> threading.Thread:
    """Hold a lock pg_dump waits for, then inject ``fault`` while the dump is under way."""
    locker = psycopg.connect(rig.dsn)
    locker.execute("LOCK TABLE ml_predictions IN ACCESS EXCLUSIVE MODE")

    def inject() -> None:
        try:
            wait_for_blocked_pg_dump(rig.dsn)
            fault()
        finally:
            try:
                locker.close()
            except psycopg.Error:
                pass

    thread = threading.Thread(target=inject, daemon=True)
    thread.start()
    return thread


def test_database_stopped_mid_dump_fails_without_a_partial_file(faulty, webhook_server):
    thread = fault_during_dump(faulty, lambda: faulty.cluster.stop("fast"))
    _, states = faulty.run("db_nightly_backup")
    thread.join(30)
    assert_failed_cleanly(faulty, states, "dump_database", webhook_server)


def test_dump_container_killed_mid_dump_fails_and_its_partial_file_is_removed(faulty, webhook_server):
    def kill() -> None:
        [container] = faulty.docker.containers.list(filters={"label": "tsdb_ops.task=db_nightly_backup.dump_database"})
        container.kill()

    thread = fault_during_dump(faulty, kill)
    _, states = faulty.run("db_nightly_backup")
    thread.join(30)
    assert_failed_cleanly(faulty, states, "dump_database", webhook_server)


def test_dump_container_exiting_non_zero_fails_the_task(faulty, webhook_server, monkeypatch):
    faulty.env(monkeypatch, webhook_server, pg_client_image=TEST_BUSYBOX_IMAGE)  # no pg_dump in it: exit 127
    _, states = faulty.run("db_nightly_backup")
    assert_failed_cleanly(faulty, states, "dump_database", webhook_server)


def test_full_disk_fails_the_dump_and_leaves_the_older_set(faulty, webhook_server, monkeypatch, tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    older_kib = sum(-(-(faulty.backup_root / p).stat().st_size // 4096) * 4 for p in faulty.older)
    dump_bytes = (faulty.backup_root / next(p for p in faulty.older if p.startswith("db/"))).stat().st_size
    assert dump_bytes > 100 * 1024, "the dump must be larger than the room left on the small volume"
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={older_kib + 64}k", "tmpfs", str(small)], check=True)
    try:
        for path in faulty.older:  # the older set fits; the new dump does not fit beside it
            (small / path).parent.mkdir(parents=True, exist_ok=True)
            (small / path).write_bytes((faulty.backup_root / path).read_bytes())
        faulty.backup_root = small
        faulty.env(monkeypatch, webhook_server, backup_root=str(small))
        _, states = faulty.run("db_nightly_backup")
        assert_failed_cleanly(faulty, states, "dump_database", webhook_server)
        assert "No space left on device" in faulty.backup_log()[-1]
        # the pre-flight saw it coming: less free than the newest dump's share of the database
        assert [m for m in faulty.backup_log() if "WARNING: Backup volume of" in m and "expected to take" in m]
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_preflight_fails_before_writing_anything_when_free_space_is_below_the_floor(faulty, webhook_server, monkeypatch):
    faulty.env(monkeypatch, webhook_server, backup_min_free_bytes=10**18)
    _, states = faulty.run("db_nightly_backup")
    assert states["dump_database"] == "upstream_failed"
    assert_failed_cleanly(faulty, states, "check_free_disk_space", webhook_server)
    assert "below backup_min_free_bytes" in faulty.backup_log()[-1]


def test_retention_with_only_old_backups_keeps_the_newest_verified_sets(faulty, monkeypatch, webhook_server):
    root = faulty.backup_root
    for days in (30, 20, 16):  # copies of the verified set, dated 16 to 30 days back, plus a dead run's partial
        set_id = (NOW - timedelta(days=days)).strftime("%Y%m%d")
        for path in faulty.older:
            copy = root / path.replace((NOW - timedelta(days=1)).strftime("%Y%m%d"), set_id)
            copy.write_bytes((root / path).read_bytes())
    stale = root / "db" / ".stale_20260101.backup.partial"
    stale.write_bytes(b"half a dump")
    os.utime(stale, (time.time() - 7200,) * 2)  # a dead run's: not written to for two hours (a live one is left alone)
    for path in faulty.older:  # the day-old set goes: only sets older than the retention period remain
        (root / path).unlink()
    faulty.env(monkeypatch, webhook_server, backup_min_verified_sets=2)

    dag_run, states = faulty.run("db_nightly_backup", NOW + timedelta(days=16))

    assert str(dag_run.state) == "success", states
    kept = sorted({Path(p).stem.split("_")[-1].split(".")[0] for p in faulty.files()})
    assert kept == ["20260214", "20260318"]  # tonight's set and the newest old one: two verified sets
    assert not [p for p in faulty.files() if ".partial" in p]
    assert len(list_manifest_paths(root)) == 2


def test_password_never_appears_in_task_output_or_rendered_fields(nightly):
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    rig, _, _ = nightly
    assert "Starting docker container from image" in rig.output and "pg_restore -l:" in rig.output
    assert rig.cluster.password not in rig.output
    with create_session() as session:
        rendered = session.query(RenderedTaskInstanceFields).filter_by(dag_id="db_nightly_backup").all()
        fields = [json.dumps(r.rendered_fields, default=str) for r in rendered]
    assert fields and not [f for f in fields if rig.cluster.password in f]
