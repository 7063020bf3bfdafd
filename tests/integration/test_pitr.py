"""Point-in-time recovery with Barman (PyPI) on the harness's native TimescaleDB, through the DAGs under dag.test():
db_pitr_setup creates the role and slot, a barman service container (the compose service's command) streams the
WAL, db_base_backup takes the base backup; then a DELETE "accident" is undone by db_point_in_time_restore to one
second before it, db_pitr_verification proves a recovery between two markers, and the faults: receiver killed
mid-stream, receiver stopped and slot lost (the monitor alerts), database restarted during a base backup, catalogue
full. Own PostgreSQL 15 cluster (the receiver holds a replication slot on it), containers on the host network.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docker
import psycopg
import pytest

from conftest import TEST_BUSYBOX_IMAGE
from harness.market_data import load_market_data
from harness.postgres import PostgresCluster, native_timescaledb_version
from tsdb_ops.config import OpsConfig
from tsdb_ops.pitr.recovered_copy import RecoveredCopy
from tsdb_ops.pitr.recovery import volume_for

ROOT = Path(__file__).resolve().parents[2]
ROLE = OpsConfig().pitr_replication_role
CATALOG = """SELECT (SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'market_data'),
                    (SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'market_data'
                     AND is_compressed),
                    (SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_name = 'market_data')"""
DELETED = "symbol = 'EURUSD' AND timestamp >= %(since)s"
ROWS_MD5 = "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM market_data t WHERE " + DELETED

pytestmark = pytest.mark.skipif(native_timescaledb_version() is None,
                                reason="needs native TimescaleDB (make setup with TSDB_SOURCE_TARBALL)")


class PitrRig:
    """A TimescaleDB database with compressed chunks and a compression job, Barman's catalogue volume, the config
    and connections of the DAGs, and the barman service container (the WAL receiver)."""

    def __init__(self, docker_client, base: Path) -> None:
        self.docker, self.base = docker_client, base
        for image in (OpsConfig().barman_image, OpsConfig().pitr_restore_image):
            try:
                docker_client.images.get(image)
            except docker.errors.ImageNotFound:
                pytest.fail(f"image {image} is missing: TSDB_SOURCE_TARBALL=<timescaledb-2.28.3.tar.gz> make setup builds it "
                            "(scripts/build_barman_image.sh, scripts/build_deploy_images.sh --timescaledb-only)")
        self.tag = uuid.uuid4().hex[:8]
        self.cluster = PostgresCluster("pitr").start()
        self.dbname = "mt5_pitr"
        self.dsn = self.cluster.create_database(self.dbname, timescaledb=True)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            load_market_data(conn, now=datetime.now(UTC), hypertable=True, h1_days=40, m1_days=1,
                             symbols=("EURUSD", "XAUUSD"))
            conn.execute("ALTER TABLE market_data SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol')")
            conn.execute("SELECT count(compress_chunk(c)) FROM show_chunks('market_data', older_than => interval '14 days') c")
            conn.execute("SELECT add_compression_policy('market_data', interval '7 days')")
        self.catalogue = f"tsdb_ops_test_barman_{self.tag}"
        # a 1 GiB tmpfs: the disk-full test fills it (memory is used only as far as it is). A tmpfs volume loses its
        # content when no container mounts it: a keeper holds it while the receiver is stopped and started again.
        docker_client.volumes.create(self.catalogue, driver="local",
                                     driver_opts={"type": "tmpfs", "device": "tmpfs", "o": "size=1g"})
        self.keeper = docker_client.containers.run(
            TEST_BUSYBOX_IMAGE, ["sleep", "86400"], detach=True, network_mode="none",
            volumes={self.catalogue: {"bind": "/catalogue", "mode": "rw"}})
        self.password = f"rep:{self.tag}\\pw"  # a ':' and a '\' the .pgpass line must escape
        self.config = {
            "log_dir": str(base / "logs"), "backup_root": str(base / "backups"), "report_dir": str(base / "reports"),
            "docker_network": "host", "db_host_in_docker": "127.0.0.1", "db_port_in_docker": self.cluster.port,
            "pitr_catalogue": self.catalogue, "retries": 0, "pitr_recovery_timeout_seconds": 300,
        }
        self.receiver = f"tsdb_ops_test_barman_service_{self.tag}"

    def env(self, monkeypatch, **overrides) -> None:
        monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps({**self.config, **overrides}))
        monkeypatch.setenv("AIRFLOW_CONN_TSDB_POSTGRES", self.dsn)
        monkeypatch.setenv("AIRFLOW_CONN_TSDB_PITR", json.dumps({"conn_type": "postgres", "login": ROLE,
                                                                 "password": self.password}))

    def start_receiver(self) -> None:
        """The compose service's command (barman-service: `barman cron` in a loop), every 2 s instead of 60 s."""
        self.docker.containers.run(OpsConfig().barman_image, name=self.receiver, detach=True, network_mode="host",
                                   environment={"BARMAN_CRON_INTERVAL_SECONDS": "2"},
                                   volumes={self.catalogue: {"bind": "/var/lib/barman", "mode": "rw"}})

    def stop_receiver(self) -> None:
        self.docker.containers.get(self.receiver).remove(force=True)

    def wait_streaming(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with psycopg.connect(self.dsn) as conn:
                if conn.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s",
                                (OpsConfig().pitr_slot_name,)).fetchone() == (True,):
                    return
            time.sleep(1)
        logs = self.docker.containers.get(self.receiver).logs(tail=10).decode()
        raise AssertionError(f"the barman service did not start streaming: {logs}")

    def run(self, dag_id: str, conf: dict | None = None) -> tuple[str, dict[str, str]]:
        from airflow.dag_processing.dagbag import DagBag

        dag = DagBag(str(ROOT / "dags")).dags[dag_id]
        run = dag.test(run_after=datetime.now(UTC), logical_date=None, run_conf=conf or {})
        return str(run.state), {ti.task_id: ti.state for ti in run.get_task_instances()}

    def catalogue_shell(self, script: str) -> str:
        """A shell script in a busybox container on the catalogue (mounted at /catalogue); its output."""
        return self.docker.containers.run(TEST_BUSYBOX_IMAGE, ["sh", "-c", script], remove=True, network_mode="none",
                                          volumes={self.catalogue: {"bind": "/catalogue", "mode": "rw"}}).decode()

    def barman_json(self, *args: str) -> dict:
        """``barman -f json <args>`` run in the image on the catalogue (as the DAGs' containers run it)."""
        from tsdb_ops.docker import docker_api
        from tsdb_ops.pitr.barman import BarmanStep
        from tsdb_ops.pitr.engine import run_barman_steps

        config = OpsConfig.from_mapping(self.config)
        results, _ = run_barman_steps(docker_api(config), config, self.dbname, self.password, [BarmanStep(args, "step")],
                                      {})
        return results["step"].data

    def query(self, statement: str, params: dict | None = None) -> tuple:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(statement, params).fetchone()

    def close(self) -> None:
        for name in [self.receiver, self.keeper.name]:
            try:
                self.docker.containers.get(name).remove(force=True)
            except docker.errors.NotFound:
                pass
        self.docker.volumes.get(self.catalogue).remove(force=True)
        self.cluster.destroy()


def clear_of_the_hour_boundary(margin_seconds: int = 150) -> None:
    """A monitor run whose tasks end in the next hour counts as a past hour's run (it alerts nobody): start it well
    before the hour turns."""
    now = datetime.now(UTC)
    to_boundary = 3600 - (now.minute * 60 + now.second)
    if to_boundary < margin_seconds:
        time.sleep(to_boundary + 2)


@pytest.fixture(scope="module")
def pitr(docker_client, airflow_home, tmp_path_factory):
    """Set up, streaming, one base backup: the state every PITR test starts from."""
    rig = PitrRig(docker_client, tmp_path_factory.mktemp("pitr"))
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            rig.env(monkeypatch)
            rig.start_receiver()  # waits for the configuration db_pitr_setup writes
            rig.setup = rig.run("db_pitr_setup", {"dry_run": False})
            assert rig.setup[0] == "success", rig.setup
            rig.wait_streaming()
            rig.base_backup = rig.run("db_base_backup")
        yield rig
    finally:
        rig.close()


def test_setup_creates_the_role_and_slot_and_the_base_backup_completes(pitr):
    assert pitr.base_backup == ("success", {"check_barman": "success", "take_base_backup": "success",
                                            "write_manifest_entry": "success"})
    assert pitr.query("SELECT rolreplication, rolcanlogin FROM pg_roles WHERE rolname = %(r)s", {"r": ROLE}) == (True, True)
    [entry] = (pitr.base / "backups" / "pitr").glob("base_backup_*.json")
    manifest = json.loads(entry.read_text())
    assert manifest["backup"]["status"] == "DONE" and manifest["retention_policy"] == "RECOVERY WINDOW OF 7 DAYS"
    assert "Barman base backup" in (pitr.base / "logs" / "backup.log").read_text()


def test_dry_run_of_the_setup_changes_nothing(pitr, monkeypatch):
    pitr.env(monkeypatch)
    state, states = pitr.run("db_pitr_setup")
    assert state == "success"
    assert states["create_role_and_slot"] == states["write_barman_configuration"] == "skipped"


def test_restore_to_one_second_before_a_delete_brings_every_row_back_and_nothing_after(pitr, monkeypatch):
    pitr.env(monkeypatch)
    since = datetime.now(UTC) - timedelta(days=30)  # a range over compressed and uncompressed chunks
    with psycopg.connect(pitr.dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO market_data (timestamp, symbol, timeframe, open, high, low, close) "
                     "VALUES (now(), 'PITRBEFORE', 'M1', 1, 1, 1, 1)")
        before_accident = conn.execute(ROWS_MD5, {"since": since}).fetchone()
        catalog = conn.execute(CATALOG).fetchone()
        time.sleep(2.5)
        with conn.transaction():
            accident = conn.execute("SELECT now()").fetchone()[0]
            deleted = conn.execute("DELETE FROM market_data WHERE " + DELETED, {"since": since}).rowcount
        conn.execute("INSERT INTO market_data (timestamp, symbol, timeframe, open, high, low, close) "
                     "VALUES (now(), 'PITRAFTER', 'M1', 1, 1, 1, 1)")
    assert deleted == before_accident[0] > 1000
    assert catalog[1] > 0 and catalog[2] >= 1, catalog  # compressed chunks and the compression job exist
    container = f"tsdb_ops_test_restored_{pitr.tag}"
    target = (accident - timedelta(seconds=1)).isoformat()
    copy = RecoveredCopy(docker.APIClient(version="auto"), container, volume_for(container),
                         (pitr.cluster.user, pitr.cluster.password, pitr.dbname))
    try:
        state, states = pitr.run("db_point_in_time_restore", {
            "target_time": target, "new_container": container, "confirm": container, "confirm_again": container,
            "dry_run": False})
        assert state == "success", states

        def restored(statement: str) -> str:
            code, output = copy.psql(statement.replace("%(since)s", f"'{since.isoformat()}'"))
            assert code == 0, output
            return output

        assert restored(ROWS_MD5) == f"{before_accident[0]}|{before_accident[1]}"  # every deleted row is back
        assert restored("SELECT count(*) FROM market_data WHERE symbol = 'PITRBEFORE'") == "1"
        assert restored("SELECT count(*) FROM market_data WHERE symbol = 'PITRAFTER'") == "0"  # nothing after
        assert restored(CATALOG) == "|".join(str(n) for n in catalog)  # chunks, compressed chunks, jobs
    finally:
        copy.remove(volume=True)
    assert pitr.query("SELECT count(*) FROM market_data WHERE " + DELETED, {"since": since}) == (0,), \
        "the running database is never touched"


def test_restore_into_an_empty_host_directory_writes_a_data_directory_that_recovers_to_the_target(pitr, monkeypatch):
    pitr.env(monkeypatch)
    target_dir = pitr.base / "restored-dir"
    target_dir.mkdir()
    target = (datetime.now(UTC) - timedelta(seconds=2)).isoformat()
    state, states = pitr.run("db_point_in_time_restore", {
        "target_time": target, "target_directory": str(target_dir), "confirm": str(target_dir),
        "confirm_again": str(target_dir), "dry_run": False})
    assert state == "success", states
    assert (target_dir / "PG_VERSION").read_text().strip() == "15" and (target_dir / "recovery.signal").exists()
    settings = (target_dir / "postgresql.auto.conf").read_text()
    assert "recovery_target_time = '" in settings and "restore_command = 'cp /var/lib/postgresql/data/barman_wal/" in settings
    state, states = pitr.run("db_point_in_time_restore", {  # never into a directory that holds something
        "target_time": target, "target_directory": str(target_dir), "confirm": str(target_dir),
        "confirm_again": str(target_dir), "dry_run": False})
    assert state == "failed" and states["recover_to_target_time"] == "failed"


def test_restore_dry_run_and_bad_params_touch_nothing(pitr, monkeypatch):
    pitr.env(monkeypatch)
    target = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    state, states = pitr.run("db_point_in_time_restore", {"target_time": target, "new_container": "x_restored"})
    assert state == "success" and states["recover_to_target_time"] == "skipped"
    state, states = pitr.run("db_point_in_time_restore", {"target_time": target, "new_container": "x_restored",
                                                          "confirm": "x_restored", "dry_run": False})
    assert state == "failed" and states["validate_params"] == "failed"  # confirm_again missing


def test_weekly_verification_recovers_between_its_markers_and_removes_the_copy(pitr, monkeypatch, docker_client):
    pitr.env(monkeypatch)
    state, states = pitr.run("db_pitr_verification")
    assert state == "success", states
    assert states["remove_recovered_copy"] == "success"
    assert not docker_client.containers.list(all=True, filters={"name": "tsdb_ops_pitr_check_"})
    assert not [v for v in docker_client.volumes.list() if v.name.startswith("tsdb_ops_pitr_check_")]
    assert "markers as expected" in (pitr.base / "logs" / "backup.log").read_text()


def test_receiver_killed_mid_stream_resumes_without_a_wal_gap(pitr, monkeypatch):
    """pg_receivewal killed while rows are written: the service's cron brings it back on the slot, which kept every
    segment, so a recovery to a time after the kill replays the WAL across it (a gap would stop the replay)."""
    pitr.env(monkeypatch)
    with psycopg.connect(pitr.dsn, autocommit=True) as conn:
        for n in range(30):
            conn.execute("INSERT INTO market_data (timestamp, symbol, timeframe, open, high, low, close) "
                         "VALUES (now(), 'KILLTEST', 'M1', %s, 1, 1, 1)", (n,))
            if n == 10:
                pitr.docker.containers.get(pitr.receiver).exec_run(["pkill", "-KILL", "pg_receivewal"])
            time.sleep(0.1)
    pitr.wait_streaming()
    state, states = pitr.run("db_pitr_verification")
    assert state == "success", states
    log = (pitr.base / "logs" / "backup.log").read_text()
    assert log.count("markers as expected") >= 1


def test_monitor_alerts_critical_within_the_run_when_the_wal_receiver_stops(pitr, monkeypatch, webhook_server):
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session

    url = webhook_server.url(f"/{pitr.tag}/slack/T/B/pitr-token")
    monkeypatch.setenv("AIRFLOW_CONN_TSDB_SLACK", json.dumps({"conn_type": "slackwebhook", "password": url}))
    pitr.env(monkeypatch, pitr_enabled=True, max_wal_lag_seconds=15)  # above pg_receivewal's 10 s status interval
    with create_session() as session:
        session.query(Variable).filter(Variable.key == "tsdb_ops_alert_state.backup_monitor.pitr").delete()

    def pitr_alerts() -> list[str]:
        return [p.json["text"] for p in webhook_server.received(f"/{pitr.tag}/slack")
                if "WAL stream" in p.json["text"] or "Barman" in p.json["text"]]

    webhook_server.clear()
    clear_of_the_hour_boundary()
    _, states = pitr.run("db_backup_monitor")
    assert states["check_pitr"] == "success" and pitr_alerts() == []  # streaming, a fresh base backup
    pitr.stop_receiver()
    try:
        webhook_server.clear()
        clear_of_the_hour_boundary()
        _, states = pitr.run("db_backup_monitor")
        assert states["check_pitr"] == "success" and states["conclude"] == "failed"
        assert pitr_alerts() == [
            "CRITICAL: WAL stream to Barman broken for at least 15 s: no WAL receiver is streaming from the replication "
            f"slot (slot {OpsConfig().pitr_slot_name}); committed data since then is not in the WAL archive"]
    finally:
        pitr.start_receiver()
        pitr.wait_streaming()


def test_a_lost_slot_is_critical_and_the_setup_brings_it_back(pitr, monkeypatch, webhook_server):
    url = webhook_server.url(f"/{pitr.tag}/slack/T/B/pitr-token")
    monkeypatch.setenv("AIRFLOW_CONN_TSDB_SLACK", json.dumps({"conn_type": "slackwebhook", "password": url}))
    pitr.env(monkeypatch, pitr_enabled=True, max_wal_lag_seconds=15)
    slot = OpsConfig().pitr_slot_name
    pitr.stop_receiver()
    try:
        with psycopg.connect(pitr.dsn, autocommit=True) as conn:
            [needed] = conn.execute("SELECT pg_walfile_name(restart_lsn) FROM pg_replication_slots WHERE slot_name = %s",
                                    (slot,)).fetchone()
            conn.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
            # what a lost slot means: the server recycles the WAL the receiver had not streamed yet
            conn.execute("CREATE TABLE IF NOT EXISTS pitr_wal_filler (x int)")
            for _ in range(8):
                conn.execute("INSERT INTO pitr_wal_filler VALUES (1)")
                conn.execute("SELECT pg_switch_wal()")
            conn.execute("CHECKPOINT")
            conn.execute("CHECKPOINT")
            assert conn.execute("SELECT count(*) FROM pg_ls_waldir() WHERE name = %s", (needed,)).fetchone() == (0,)
        webhook_server.clear()
        clear_of_the_hour_boundary()
        _, states = pitr.run("db_backup_monitor")
        assert states["conclude"] == "failed"
        texts = [p.json["text"] for p in webhook_server.received(f"/{pitr.tag}/slack")]
        assert (f"CRITICAL: WAL stream to Barman broken for at least 15 s: the replication slot does not exist (slot {slot});"
                " committed data since then is not in the WAL archive: recreate it with db_pitr_setup (dry_run=false), "
                "then take a base backup with db_base_backup") in texts
        assert pitr.run("db_pitr_setup", {"dry_run": False})[0] == "success"  # the slot, and the receiver reset to it
    finally:
        pitr.start_receiver()
    pitr.wait_streaming()  # pg_receivewal does not ask for the recycled segments
    assert pitr.run("db_base_backup")[0] == "success"


def _done_backups(pitr) -> list[str]:
    return [b["backup_id"] for b in pitr.barman_json("list-backups", "tsdb")["tsdb"] if b["status"] == "DONE"]


def test_database_restarted_during_a_base_backup_fails_it_clearly_and_the_next_one_succeeds(pitr, monkeypatch):
    """The backup's container is paused the moment pg_basebackup runs, the database restarted, the container resumed:
    pg_basebackup's connection is gone. The run fails naming Barman's error; the next run succeeds. The backup is
    throttled (pitr_base_backup_max_rate_kbps: Barman's bandwidth_limit) to take about 30 s, so the restart lands
    mid-copy however fast this machine copies a small cluster."""
    import threading

    [cluster_bytes] = pitr.query("SELECT sum(pg_database_size(oid)) FROM pg_database")
    rate_kbps = max(32, int(cluster_bytes / 1000 / 30))
    pitr.env(monkeypatch, pitr_base_backup_max_rate_kbps=rate_kbps)
    done = _done_backups(pitr)
    restarted = threading.Event()
    seen: list[str] = []

    def restart_during_backup() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not restarted.is_set():
            for container in pitr.docker.containers.list(
                    filters={"label": "tsdb_ops.task=db_base_backup.take_base_backup"}):
                seen[:] = [" ".join(p) for p in container.top()["Processes"] if "pg_basebackup" in " ".join(p)]
                if seen:
                    container.pause()
                    try:
                        pitr.cluster.restart()
                    finally:
                        container.unpause()
                    restarted.set()
                    return
            time.sleep(0.05)

    watcher = threading.Thread(target=restart_during_backup, daemon=True)
    watcher.start()
    state, states = pitr.run("db_base_backup")
    watcher.join(30)
    assert restarted.is_set(), "pg_basebackup was not caught running"
    assert f"--max-rate={rate_kbps}" in seen[0], seen  # the setting reached pg_basebackup
    assert state == "failed" and states["take_base_backup"] == "failed", states
    assert _done_backups(pitr) == done  # nothing half-written counts as a backup
    pitr.wait_streaming()
    pitr.env(monkeypatch)  # the next backup at full speed
    assert pitr.run("db_base_backup")[0] == "success"  # the failed one does not block it, and is deleted after it
    assert len(_done_backups(pitr)) == len(done) + 1
    assert [b for b in pitr.barman_json("list-backups", "tsdb")["tsdb"] if b["status"] == "FAILED"] == []


def test_full_catalogue_fails_the_base_backup_keeps_the_good_ones_and_alerts(pitr, monkeypatch, webhook_server):
    url = webhook_server.url(f"/{pitr.tag}/slack/T/B/pitr-token")
    monkeypatch.setenv("AIRFLOW_CONN_TSDB_SLACK", json.dumps({"conn_type": "slackwebhook", "password": url}))
    pitr.env(monkeypatch, pitr_enabled=True, max_wal_lag_seconds=15)
    done = _done_backups(pitr)
    # leave 24 MB: the WAL keeps streaming, a base backup of the cluster does not fit
    pitr.catalogue_shell("free=$(df -k /catalogue | tail -1 | awk '{print $4}'); "
                         "dd if=/dev/zero of=/catalogue/filler bs=1024k count=$((free / 1024 - 24)) 2>/dev/null")
    try:
        state, states = pitr.run("db_base_backup")
        assert state == "failed" and states["take_base_backup"] == "failed", states
        backups = pitr.barman_json("list-backups", "tsdb").get("tsdb", [])
        # Barman records the attempt as FAILED when its backup.info still fits; when the streamed WAL took the last
        # megabytes first it cannot even write that: either way nothing half-written counts as a backup.
        failed = [b["backup_id"] for b in backups if b["status"] == "FAILED"]
        assert len(failed) <= 1, backups
        webhook_server.clear()
        clear_of_the_hour_boundary()
        _, states = pitr.run("db_backup_monitor")
        assert states["conclude"] == "failed"
        texts = [p.json["text"] for p in webhook_server.received(f"/{pitr.tag}/slack")]
        # a listing Barman could not give is "age unknown" (a warning), never a page that the backups are gone
        assert not [t for t in texts if "No completed Barman base backup" in t], texts
        # The page names the cause. (Whether Barman's own `check` still lists the failed backup while its catalogue
        # is full varies with what it could write: that line is Barman's, not asserted here.)
        assert [t for t in texts if re.match(rf"CRITICAL: Barman's catalogue {pitr.catalogue} is (9\d|100)% full", t)], texts
    finally:
        pitr.catalogue_shell("rm -f /catalogue/filler")
    assert _done_backups(pitr) == done  # the completed backups are intact (read with room for Barman's own files)
    pitr.wait_streaming()
    assert pitr.run("db_base_backup")[0] == "success"
    assert not set(failed) & {b["backup_id"] for b in pitr.barman_json("list-backups", "tsdb")["tsdb"]}
