"""The physical base backup of db_nightly_backup (``physical_backup_enabled``), run by dag.test() against native
TimescaleDB on PostgreSQL 15 and the Docker engine.

The nightly run takes a pg_basebackup of the whole harness cluster in the client image, verified by pg_verifybackup
on the unpacked tars, and records it in the manifest. It restores: a PostgreSQL 15 with TimescaleDB started on the
unpacked backup holds the same rows, chunks, compressed chunks, compression statistics and jobs as the source. The
hourly monitor alerts on a corrupted byte in the base tar; a role without REPLICATION fails with the fix.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from integration.test_backup_dag import BackupRig, captured_output
from integration.test_monitor_alerts import MonitorRig
from psycopg import sql

from harness.market_data import load_timescale_shape, shape_facts
from harness.ports import free_port
from harness.postgres import PG_BIN, PostgresCluster, server_options
from tsdb_ops.backup.layout import set_id_for
from tsdb_ops.backup.manifest import manifest_path, read_manifest

NOW = datetime.now(UTC).replace(microsecond=0)
RUN_AFTER = NOW - timedelta(hours=1)  # a set the hourly monitor finds fresh
SET_ID = set_id_for(RUN_AFTER, "UTC")
BASE_FILES = ["backup_manifest", "base.tar.gz", "pg_wal.tar.gz"]


@pytest.fixture(scope="module")
def physical(tsdb, pg15, docker_client, airflow_home, tmp_path_factory) -> Iterator[BackupRig]:
    """One nightly run with the base backup on, of a production-shaped TimescaleDB database."""
    if not pg15.timescale:
        pytest.skip("needs native TimescaleDB in the harness's PostgreSQL 15 (TSDB_SOURCE_TARBALL): the base backup "
                    "copies that cluster")
    rig = BackupRig(pg15, docker_client, tmp_path_factory.mktemp("physical"),
                    load=lambda conn: load_timescale_shape(conn, now=NOW))
    output = rig.base / "dag-test-output.log"
    try:
        with pytest.MonkeyPatch.context() as monkeypatch, captured_output(output):
            rig.env(monkeypatch, physical_backup_enabled=True)
            rig.dag_run, rig.states = rig.run("db_nightly_backup", run_after=RUN_AFTER)
        yield rig
    finally:
        rig.close()


def test_nightly_backup_with_the_option_writes_a_verified_base_backup_and_its_manifest_entry(physical):
    rig = physical
    assert str(rig.dag_run.state) == "success", rig.states
    assert rig.states["take_physical_base_backup"] == "success"
    base = rig.backup_root / "base" / f"base_{SET_ID}"
    assert sorted(p.name for p in base.iterdir()) == BASE_FILES
    assert not [p for p in rig.backup_root.rglob("*") if ".partial" in p.name]

    entry = read_manifest(manifest_path(rig.backup_root, SET_ID)).artefact("base_backup")
    assert entry.path == f"base/base_{SET_ID}"
    sha256sum = subprocess.run(["sh", "-c", "LC_ALL=C sha256sum *"], cwd=base, capture_output=True, text=True,
                               check=True).stdout
    assert [(f.name, f.size_bytes, f.sha256) for f in entry.files] == [
        (name, (base / name).stat().st_size, digest)
        for digest, name in (line.split("  ") for line in sha256sum.splitlines())]
    assert entry.size_bytes == sum(f.size_bytes for f in entry.files)
    assert entry.sha256 == subprocess.run(["sha256sum"], input=sha256sum, capture_output=True, text=True,
                                          check=True).stdout.split()[0]
    assert entry.verification.startswith("pg_verifybackup of the unpacked tars: backup successfully verified (")
    assert "files by SHA256, WAL 0/" in entry.verification
    assert entry.source_bytes > entry.size_bytes  # the data directory unpacked, from backup_manifest

    with tarfile.open(base / "base.tar.gz") as archive:
        label = archive.extractfile("backup_label").read().decode()
    assert f"LABEL: tsdb_ops db_nightly_backup {SET_ID}" in label
    messages = [line.split("] ", 1)[1] for line in rig.backup_log()]
    assert "Starting physical base backup..." in messages
    assert [m for m in messages if m.startswith(f"Physical base backup written: base/base_{SET_ID} (")]


@contextlib.contextmanager
def restored_server(base_backup: Path) -> Iterator[str]:
    """The README's procedure: unpack base.tar.gz into an empty data directory and pg_wal.tar.gz into its pg_wal/,
    start PostgreSQL 15 on it (TimescaleDB preloaded, as the harness runs it; a free port): it replays the WAL to
    the end of the backup and opens. Yields its connection string without a database."""
    home = Path(tempfile.mkdtemp(prefix="tsdb-ops-restored-"))  # not below pytest's tmp dir: postgres cannot enter it
    data, sockets = home / "data", home / "sock"
    (data / "pg_wal").mkdir(parents=True)
    sockets.mkdir()
    subprocess.run(["tar", "-xzf", str(base_backup / "base.tar.gz"), "-C", str(data)], check=True)
    subprocess.run(["tar", "-xzf", str(base_backup / "pg_wal.tar.gz"), "-C", str(data / "pg_wal")], check=True)
    postgres = pwd.getpwnam("postgres")
    home.chmod(0o755)
    data.chmod(0o700)
    for path in (home, *home.rglob("*")):
        os.lchown(path, postgres.pw_uid, postgres.pw_gid)
    port = free_port()
    pg_ctl = ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run([*pg_ctl, "-o", server_options(port, sockets, True), "-l", str(home / "server.log"),
                        "-w", "-t", "300", "start"], check=True, capture_output=True)
        yield f"host=127.0.0.1 port={port} user=postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def test_the_base_backup_restores_into_a_new_data_directory_with_equal_rows_chunks_and_jobs(physical):
    rig = physical
    with psycopg.connect(rig.dsn, autocommit=True) as conn:
        source = shape_facts(conn)
    with restored_server(rig.backup_root / "base" / f"base_{SET_ID}") as dsn, psycopg.connect(
            f"{dsn} dbname={rig.dbname} password={rig.cluster.password}", autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is False
        restored = shape_facts(conn)
    assert restored == source
    assert sum(n for _, n, _ in source["chunks"]) > 10 and all(compressed for _, _, compressed in source["chunks"])


def test_a_corrupted_byte_in_the_base_tar_is_caught_by_the_hourly_monitor(physical, webhook_server, monkeypatch):
    rig = physical
    tar = rig.backup_root / "base" / f"base_{SET_ID}" / "base.tar.gz"
    good = tar.read_bytes()
    rig.env(monkeypatch, webhook_server, physical_backup_enabled=True, min_backup_size_bytes=10_000)
    MonitorRig.clear_alert_state()
    slack = f"/{rig.tag}/slack"
    try:
        webhook_server.clear()
        _, states = rig.run("db_backup_monitor", run_after=datetime.now(UTC))
        assert states["check_integrity"] == "success" and states["check_freshness"] == "success", states
        record = json.loads((rig.backup_root / ".monitor_verified.json").read_text())
        assert {path: entry["problem"] for path, entry in record.items() if path.startswith("base/")} == {
            f"base/base_{SET_ID}/{name}": None for name in BASE_FILES}  # each file verified on its own
        assert not [p for p in webhook_server.received(slack) if "base_backup" in p.json["text"]
                    or "base/" in p.json["text"]], "a good base backup raises nothing"

        corrupted = bytearray(good)
        corrupted[len(good) // 2] ^= 0xFF
        tar.write_bytes(bytes(corrupted))
        webhook_server.clear()
        _, states = rig.run("db_backup_monitor", run_after=datetime.now(UTC))
        assert states["conclude"] == "failed", states
        texts = [p.json["text"] for p in webhook_server.wait_for(1, slack)]
        assert [t for t in texts if t.startswith(f"CRITICAL: Integrity check failed for base/base_{SET_ID}/base.tar.gz: "
                                                 "sha256 ")], texts
    finally:
        tar.write_bytes(good)
        MonitorRig.clear_alert_state()


def run_base_backup_alone(run_after: datetime) -> dict[str, str]:
    """A nightly run in which only the base backup (and the pre-flight) runs; the other steps are marked done."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(str(Path(__file__).resolve().parents[2] / "dags")).dags["db_nightly_backup"]
    run = dag.test(run_after=run_after, logical_date=None,
                   mark_success_pattern="^(dump_database|back_up_models_volume|back_up_configs)$")
    return {ti.task_id: ti.state for ti in run.get_task_instances()}


def test_a_server_refusing_replication_connections_fails_with_the_pg_hba_fix(physical, monkeypatch):
    """A server whose pg_hba.conf has no replication line (the TimescaleDB image's accepts none from other
    containers): pg_basebackup's refusal comes back with the line to add."""
    rig = physical
    cluster = PostgresCluster("no-replication-hba", timescale=False).start()
    try:
        hba = cluster.data / "pg_hba.conf"
        hba.write_text("".join(line for line in hba.read_text().splitlines(keepends=True)
                               if "replication" not in line))
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(cluster.data), "reload"],
                       check=True, capture_output=True)
        rig.env(monkeypatch, physical_backup_enabled=True, db_port_in_docker=cluster.port)
        monkeypatch.setenv("AIRFLOW_CONN_TSDB_POSTGRES", cluster.dsn())
        states = run_base_backup_alone(RUN_AFTER + timedelta(days=2))
    finally:
        cluster.destroy()
    assert states["take_physical_base_backup"] == "failed" and states["write_manifest"] == "upstream_failed"
    [line] = [m for m in rig.backup_log() if "ERROR: Backup task take_physical_base_backup failed" in m
              and "pg_hba.conf" in m]
    assert "no pg_hba.conf entry for replication connection" in line
    assert "Fix: allow replication connections of role postgres in the server's pg_hba.conf" in line
    assert not [p for p in rig.backup_root.rglob("*") if ".partial" in p.name]


def test_a_role_without_replication_fails_with_the_fix_and_leaves_no_partial(physical, monkeypatch):
    rig = physical
    role, password = f"no_replication_{rig.tag}", "pw-no-replication"
    with psycopg.connect(rig.cluster.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
    try:
        rig.env(monkeypatch, physical_backup_enabled=True)
        monkeypatch.setenv("AIRFLOW_CONN_TSDB_POSTGRES", f"postgresql://{role}:{password}@127.0.0.1:{rig.cluster.port}/"
                                                         f"{rig.dbname}?sslmode=disable")
        states = run_base_backup_alone(RUN_AFTER + timedelta(days=1))  # pg_dump of TimescaleDB needs more rights
    finally:
        with psycopg.connect(rig.cluster.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
    assert states["take_physical_base_backup"] == "failed" and states["write_manifest"] == "upstream_failed"
    [line] = [m for m in rig.backup_log() if "ERROR: Backup task take_physical_base_backup failed" in m
              and role in m]
    assert f'role {role} has no REPLICATION attribute' in line and f'ALTER ROLE "{role}" REPLICATION' in line
    assert not [p for p in rig.backup_root.rglob("*") if ".partial" in p.name]
