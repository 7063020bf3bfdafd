"""db_backup_monitor against generated backup dirs of real artefacts, alerting to the loopback SMTP and webhook servers."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from airflow.utils.state import TaskInstanceState

from harness.backup_dirs import make_dump, write_backup_set
from harness.market_data import load_market_data
from tsdb_ops.monitor.log_scan import read_new_lines
from tsdb_ops.monitor.verification import verify_backups

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def real_dump(pg15, tmp_path_factory) -> Path:
    import psycopg

    dsn = pg15.create_database("monitor_src")
    with psycopg.connect(dsn, autocommit=True) as conn:
        load_market_data(conn, now=NOW, hypertable=False, h1_days=60, m1_days=3)
    return make_dump(dsn, tmp_path_factory.mktemp("dump") / "source.backup")


def healthy_dir(root: Path, dump: Path, days: int = 5) -> None:
    for day in range(days, 0, -1):
        write_backup_set(root, NOW - timedelta(days=day - 1, hours=10), dump)


def test_each_file_is_verified_once_then_trusted(tmp_path, real_dump):
    healthy_dir(tmp_path, real_dump, days=3)
    first = verify_backups(str(tmp_path))
    assert (first.files_checked, first.files_verified_now, first.problems) == (9, 9, [])
    second = verify_backups(str(tmp_path))
    assert (second.files_checked, second.files_verified_now) == (9, 0)


@pytest.mark.parametrize("damage", ["corrupt_dump", "truncated_tar", "hash_mismatch", "missing_manifest", "unreadable_manifest"])
def test_integrity_failures_are_critical(tmp_path, real_dump, damage):
    healthy_dir(tmp_path, real_dump, days=2)
    set_id = f"{NOW - timedelta(hours=10):%Y%m%d}"
    dump = tmp_path / "db" / f"mt5_trading_{set_id}.backup"
    models = tmp_path / "models" / f"models_{set_id}.tar.gz"
    manifest = tmp_path / "manifests" / f"backup_{set_id}.json"
    if damage == "corrupt_dump":  # same size, garbage content, manifest rewritten to match: only pg_restore -l can tell
        dump.write_bytes(b"\0" * dump.stat().st_size)
        data = json.loads(manifest.read_text())
        import hashlib

        data["artefacts"][0]["sha256"] = hashlib.sha256(dump.read_bytes()).hexdigest()
        manifest.write_text(json.dumps(data))
    elif damage == "truncated_tar":
        data = models.read_bytes()
        models.write_bytes(data[: len(data) // 2])
    elif damage == "hash_mismatch":
        raw = bytearray(dump.read_bytes())
        raw[-1] ^= 0xFF
        dump.write_bytes(bytes(raw))
    elif damage == "missing_manifest":
        manifest.unlink()
        for path in (tmp_path / "db").glob(f"*{set_id}*"):
            import os

            os.utime(path, (NOW.timestamp() - 7200, NOW.timestamp() - 7200))
    else:
        manifest.write_text("{not json")
    problems = verify_backups(str(tmp_path)).problems
    assert problems and all(p.severity == "critical" for p in problems)
    expected = {"corrupt_dump": "unreadable", "truncated_tar": "differs", "hash_mismatch": "sha256",
                "missing_manifest": "has no manifest", "unreadable_manifest": "unreadable backup manifest"}[damage]
    assert any(expected in p.message for p in problems), [p.message for p in problems]


def test_log_scan_reads_only_new_lines_and_survives_rotation(tmp_path):
    log = tmp_path / "backup.log"
    log.write_text("[2026-11-28 02:00:00] Starting database backup...\n")
    assert len(read_new_lines(log, tmp_path)) == 1
    with open(log, "a") as handle:
        handle.write("[2026-11-28 02:05:00] ERROR: pg_dump failed\n")
    assert read_new_lines(log, tmp_path) == ["[2026-11-28 02:05:00] ERROR: pg_dump failed"]
    assert read_new_lines(log, tmp_path) == []
    log.rename(tmp_path / "backup.log.1")
    log.write_text("[2026-11-29 02:00:00] Backup completed successfully\n")
    assert read_new_lines(log, tmp_path) == ["[2026-11-29 02:00:00] Backup completed successfully"]


class MonitorRig:
    """The monitor's config and alert connections pointing at a backup dir and the loopback servers."""

    def __init__(self, monkeypatch, tmp_path, smtp_server, webhook_server) -> None:
        self.tag = uuid.uuid4().hex[:8]
        self.root, self.logs = tmp_path / "backups", tmp_path / "logs"
        self.root.mkdir()
        self.monkeypatch, self.smtp, self.web = monkeypatch, smtp_server, webhook_server
        self.config = {"backup_root": str(self.root), "log_dir": str(self.logs), "report_dir": str(tmp_path / "reports"),
                       "alert_email_to": ["oncall@example.com"], "min_backup_size_bytes": 1000, "retries": 0,
                       "heartbeat_url": webhook_server.url(f"/{self.tag}/ping")}
        monkeypatch.setenv("AIRFLOW_CONN_TSDB_SMTP", smtp_server.connection_uri())
        monkeypatch.setenv("AIRFLOW_CONN_TSDB_DISCORD", json.dumps({
            "conn_type": "discord", "host": webhook_server.url(f"/{self.tag}/discord"),
            "extra": {"webhook_endpoint": "webhooks/1/monitor-token"}}))
        monkeypatch.setenv("AIRFLOW_CONN_TSDB_SLACK", json.dumps({
            "conn_type": "slackwebhook", "password": webhook_server.url(f"/{self.tag}/slack/T/B/monitor-token")}))
        self.configure()
        self.clear_alert_state()

    def configure(self, **overrides) -> None:
        self.monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps({**self.config, **overrides}))

    @staticmethod
    def clear_alert_state() -> None:
        from airflow.models.variable import Variable
        from airflow.utils.session import create_session

        with create_session() as session:
            session.query(Variable).filter(Variable.key.like("tsdb_ops_alert_state.backup_monitor.%")).delete(
                synchronize_session=False)

    def run(self, run_after: datetime | None = None) -> dict[str, str]:
        from airflow.dag_processing.dagbag import DagBag

        self.smtp.clear()
        self.web.clear()
        dag = DagBag(str(ROOT / "dags")).dags["db_backup_monitor"]
        dag_run = dag.test(run_after=run_after or datetime.now(UTC), logical_date=None)
        return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}

    def mails(self) -> list[str]:
        return [m["Subject"] for m in self.smtp.wait_for(0, timeout=0)]

    def posts(self, channel: str) -> list[dict]:
        return [p.json for p in self.web.received(f"/{self.tag}/{channel}")]


@pytest.fixture
def rig(monkeypatch, tmp_path, smtp_server, webhook_server, airflow_home) -> MonitorRig:
    return MonitorRig(monkeypatch, tmp_path, smtp_server, webhook_server)


def test_healthy_dir_raises_nothing_and_pings_the_heartbeat(rig, real_dump):
    healthy_dir(rig.root, real_dump)
    states = rig.run()
    assert states["conclude"] == TaskInstanceState.SUCCESS
    assert rig.mails() == [] and rig.posts("discord") == [] and rig.posts("slack") == []
    assert [p.path for p in rig.web.received(f"/{rig.tag}/ping")] == [f"/{rig.tag}/ping"]
    assert "0 critical, 0 warning(s)" in (rig.logs / "backup_monitor.log").read_text()


def test_stale_backup_and_log_errors_alert_once_then_resolve(rig, real_dump):
    for day in range(5, 1, -1):  # the newest set finished 34 h ago
        write_backup_set(rig.root, NOW - timedelta(days=day - 1, hours=10), real_dump)
    rig.logs.mkdir()
    (rig.logs / "backup.log").write_text("[2026-11-28 02:01:00] ERROR: Backup task dump_database failed: disk full\n")

    states = rig.run()
    assert states["check_freshness"] == states["check_log_errors"] == TaskInstanceState.SUCCESS
    assert states["conclude"] == TaskInstanceState.FAILED  # critical: the run is red, after alerting
    subjects = rig.mails()  # one per finding; no extra task-failure alert for the red run
    assert len(subjects) == 4 and all(s.startswith("[tsdb-ops CRITICAL]") for s in subjects)
    assert sum("Newest verified" in s and "h old (limit 25 h)" in s for s in subjects) == 3
    assert len(rig.posts("discord")) == 4 and len(rig.posts("slack")) == 4
    assert any("disk full" in json.dumps(p) for p in rig.posts("slack"))
    assert rig.web.received(f"/{rig.tag}/ping/fail")

    # The same condition an hour later: stale alerts are not re-sent inside the window; the log error had no
    # new line, so it is resolved, once, on the channels that got it.
    states = rig.run()
    assert states["conclude"] == TaskInstanceState.FAILED
    assert [s.split("]")[0] for s in rig.mails()] == ["[tsdb-ops RESOLVED"]
    slack = [json.dumps(p) for p in rig.posts("slack")]
    assert len(slack) == 1 and "resolved" in slack[0].lower() and "backup.log" in slack[0]

    # A fresh backup clears staleness: one "resolved" per kind, nothing else.
    write_backup_set(rig.root, NOW - timedelta(hours=1), real_dump)
    states = rig.run()
    assert states["conclude"] == TaskInstanceState.SUCCESS
    slack = [json.dumps(p) for p in rig.posts("slack")]
    assert len(slack) == 3 and all("resolved" in s.lower() for s in slack)
    assert len(rig.mails()) == 3


def test_backfill_of_a_past_hour_judges_freshness_as_of_that_hour(rig, real_dump):
    healthy_dir(rig.root, real_dump)
    past = NOW - timedelta(days=2)
    states = rig.run(run_after=past)
    assert states["check_freshness"] == TaskInstanceState.SUCCESS
    assert "looked at the present" in (rig.logs / "backup_monitor.log").read_text()


def test_daily_summary_writes_a_report_with_a_chart(rig, real_dump):
    healthy_dir(rig.root, real_dump)
    rig.config["monitor_summary_hour"] = (datetime.now(UTC)).hour
    rig.configure()
    states = rig.run()
    assert states["write_daily_summary"] == TaskInstanceState.SUCCESS
    reports = sorted(p.name for p in (Path(rig.config["report_dir"])).iterdir())
    assert any(r.endswith(".md") for r in reports) and any(r.endswith(".png") for r in reports)
