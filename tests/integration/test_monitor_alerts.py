"""db_backup_monitor under dag.test() against generated backup dirs: for each condition, the exact alerts that
reach the loopback SMTP and webhook servers, the heartbeat, the run's outcome; repeats and resolutions."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from airflow.utils.state import TaskInstanceState

from conftest import TEST_PG_CLIENT_IMAGE
from harness.backup_dirs import make_dump, write_backup_set
from harness.market_data import load_market_data
from tsdb_ops.backup.manifest import ManifestError, read_manifest
from tsdb_ops.monitor.run_history import scheduled_fire_times

ROOT = Path(__file__).resolve().parents[2]
FAILED, SUCCESS = TaskInstanceState.FAILED, TaskInstanceState.SUCCESS


@pytest.fixture(scope="module")
def dumps(pg15, tmp_path_factory) -> dict[str, Path]:
    """A real dump of market data, and one of a database holding one row (a tiny but readable dump)."""
    base = tmp_path_factory.mktemp("dumps")
    dsn = pg15.create_database("monitor_alerts_src")
    with psycopg.connect(dsn, autocommit=True) as conn:
        load_market_data(conn, now=datetime.now(UTC), hypertable=False, h1_days=30, m1_days=1)
    small = pg15.create_database("monitor_alerts_small")
    with psycopg.connect(small, autocommit=True) as conn:
        conn.execute("CREATE TABLE market_data AS SELECT 'EURUSD'::text AS symbol, now() AS ts, 1.1::numeric AS close")
    return {"full": make_dump(dsn, base / "full.backup"), "small": make_dump(small, base / "small.backup")}


def mb(size: int) -> str:
    return f"{size / 1_000_000:.2f} MB"


class MonitorRig:
    """The monitor's config and alert connections pointing at a backup dir and the loopback servers."""

    def __init__(self, monkeypatch, tmp_path, smtp_server, webhook_server, dumps) -> None:
        self.tag = uuid.uuid4().hex[:8]
        self.root, self.logs, self.reports = tmp_path / "backups", tmp_path / "logs", tmp_path / "reports"
        self.root.mkdir()
        self.monkeypatch, self.smtp, self.web, self.dumps = monkeypatch, smtp_server, webhook_server, dumps
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.config = {"backup_root": str(self.root), "log_dir": str(self.logs), "report_dir": str(self.reports),
                       "alert_email_to": ["oncall@example.com"], "min_backup_size_bytes": 20_000, "retries": 0,
                       "pg_client_image": TEST_PG_CLIENT_IMAGE, "monitor_summary_hour": 23 if self.now.hour < 23 else 0,
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
        self.config.update(overrides)
        self.monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps(self.config))

    @staticmethod
    def clear_alert_state() -> None:
        from airflow.models.variable import Variable
        from airflow.utils.session import create_session

        with create_session() as session:
            session.query(Variable).filter(Variable.key.like("tsdb_ops_alert_state.backup_monitor.%")).delete(
                synchronize_session=False)

    def write_sets(self, count: int = 5, newest_hours_ago: float = 10, **newest) -> list:
        """``count`` daily sets of the full dump; ``newest`` overrides write_backup_set's arguments for the newest."""
        manifests = []
        for k in range(count - 1, -1, -1):
            finished = self.now - timedelta(hours=newest_hours_ago + 24 * k)
            arguments = {"dump": self.dumps["full"], **(newest if k == 0 else {})}
            manifests.append(write_backup_set(self.root, finished, **arguments))
        return manifests

    def run(self, run_after: datetime | None = None, dag_id: str = "db_backup_monitor", logical_date=None) -> dict[str, str]:
        from airflow.dag_processing.dagbag import DagBag

        self.smtp.clear()
        self.web.clear()
        dag = DagBag(str(ROOT / "dags")).dags[dag_id]
        dag_run = dag.test(run_after=run_after or datetime.now(UTC), logical_date=logical_date)
        return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}

    def alerts(self) -> dict[str, list[str]]:
        """What reached each channel: e-mail subjects, Discord contents, Slack texts (sorted)."""
        return {
            "email": sorted(m["Subject"] for m in self.smtp.wait_for(0, timeout=0)),
            "discord": sorted(p.json["content"] for p in self.web.received(f"/{self.tag}/discord")),
            "slack": sorted(p.json["text"] for p in self.web.received(f"/{self.tag}/slack")),
        }

    def heartbeats(self) -> list[str]:
        return [p.path.removeprefix(f"/{self.tag}") for p in self.web.received(f"/{self.tag}/ping")]


def expected_alerts(critical: list[str] = (), warning: list[str] = (), resolved: list[str] = ()) -> dict[str, list[str]]:
    """The routing of the alert API: critical to e-mail, Discord and Slack; warnings to Discord and Slack."""
    labelled = [("CRITICAL", m) for m in critical] + [("WARNING", m) for m in warning] + [("RESOLVED", m) for m in resolved]
    return {
        "email": sorted(f"[tsdb-ops {label}] {m}" for label, m in labelled if label != "WARNING"),
        "discord": sorted(f"**{label}** {m}" for label, m in labelled),
        "slack": sorted(f"{label}: {m}" for label, m in labelled),
    }


@pytest.fixture
def rig(monkeypatch, tmp_path, smtp_server, webhook_server, airflow_home, docker_client, dumps) -> MonitorRig:
    return MonitorRig(monkeypatch, tmp_path, smtp_server, webhook_server, dumps)


def test_healthy_dir_raises_nothing_and_pings_the_heartbeat(rig):
    rig.write_sets()
    states = rig.run()
    assert set(states.values()) <= {SUCCESS, TaskInstanceState.SKIPPED} and states["conclude"] == SUCCESS
    assert rig.alerts() == expected_alerts()
    assert rig.heartbeats() == ["/ping"]
    assert "0 critical, 0 warning(s)" in (rig.logs / "backup_monitor.log").read_text()


def test_stale_backups_alert_per_kind_and_fail_the_run_after_alerting(rig):
    sets = rig.write_sets(newest_hours_ago=30)
    states = rig.run()
    assert states["check_freshness"] == SUCCESS and states["conclude"] == FAILED
    newest = {a.kind: a.path for a in sets[-1].artefacts}
    assert rig.alerts() == expected_alerts(critical=[
        f"Newest verified {kind} backup is 30.0 h old (limit 25 h): {path}" for kind, path in newest.items()])
    assert rig.heartbeats() == ["/ping/fail"]


def test_tiny_database_backup_is_critical_and_its_shrinking_a_warning(rig):
    sets = rig.write_sets(dump=rig.dumps["small"])
    new, previous = sets[-1].artefact("database"), sets[-2].artefact("database")
    change = (new.size_bytes - previous.size_bytes) / previous.size_bytes * 100
    assert rig.run()["conclude"] == FAILED
    assert rig.alerts() == expected_alerts(
        critical=[f"Newest database backup {new.path} is {mb(new.size_bytes)}, below the 0.02 MB minimum"],
        warning=[f"database backup size changed {change:+.0f}% ({mb(previous.size_bytes)} -> {mb(new.size_bytes)}), "
                 "threshold 50%",
                 f"New database backup is smaller than the previous one ({mb(new.size_bytes)} < {mb(previous.size_bytes)})"])


@pytest.mark.parametrize("damage", ["corrupt_dump", "hash_mismatch", "missing_manifest", "unreadable_manifest"])
def test_integrity_failures_reach_every_channel_as_critical(rig, damage):
    sets = rig.write_sets()
    newest, older = sets[-1], sets[-3]
    dump = rig.root / newest.artefact("database").path
    if damage == "corrupt_dump":
        dump.write_bytes(b"\0" * dump.stat().st_size)
        data = json.loads((rig.root / "manifests" / f"backup_{newest.set_id}.json").read_text())
        import hashlib

        data["artefacts"][0]["sha256"] = hashlib.sha256(dump.read_bytes()).hexdigest()
        (rig.root / "manifests" / f"backup_{newest.set_id}.json").write_text(json.dumps(data))
        expected = [f"Integrity check failed for {newest.artefact('database').path}: unreadable (pg_restore -l: "
                    "pg_restore: error: input file does not appear to be a valid archive)"]
    elif damage == "hash_mismatch":
        raw = bytearray(dump.read_bytes())
        raw[100] ^= 0xFF
        dump.write_bytes(bytes(raw))
        import hashlib

        expected = [f"Integrity check failed for {newest.artefact('database').path}: sha256 "
                    f"{hashlib.sha256(raw).hexdigest()[:12]}... differs from the manifest's "
                    f"{newest.artefact('database').sha256[:12]}..."]
    elif damage == "missing_manifest":
        (rig.root / "manifests" / f"backup_{older.set_id}.json").unlink()
        expected = [f"db/mt5_trading_{older.set_id}.backup has no manifest: backup set {older.set_id} is incomplete or "
                    "its manifest was lost"]
    else:
        manifest = rig.root / "manifests" / f"backup_{older.set_id}.json"
        manifest.write_text("{not json")
        with pytest.raises(ManifestError) as error:
            read_manifest(manifest)
        expected = [str(error.value), f"db/mt5_trading_{older.set_id}.backup has no manifest: backup set "
                    f"{older.set_id} is incomplete or its manifest was lost"]
    states = rig.run()
    assert states["check_integrity"] == SUCCESS and states["conclude"] == FAILED
    assert rig.alerts() == expected_alerts(critical=expected)
    # the hash step chose the dumps to list; only the zeroed dump (good hash) needed pg_restore -l's container
    assert states["hash_backup_files"] == states["list_dumps_with_pg_restore"] == SUCCESS


def test_disk_usage_over_the_configured_threshold_is_critical(rig):
    rig.write_sets()
    rig.configure(disk_usage_threshold_percent=0.01)
    assert rig.run()["conclude"] == FAILED
    alerts = rig.alerts()
    assert len(alerts["email"]) == len(alerts["discord"]) == len(alerts["slack"]) == 1
    assert re.fullmatch(rf"\[tsdb-ops CRITICAL\] Backup volume {rig.root} is \d+\.\d% full \(threshold 0\.01%\)",
                        alerts["email"][0])


def test_a_missing_backup_root_is_reported_not_created(rig):
    shutil.rmtree(rig.root)
    assert rig.run()["conclude"] == FAILED
    assert f"[tsdb-ops CRITICAL] Backup directory {rig.root} does not exist: is the backup volume mounted? (fix backup_root)" \
        in rig.alerts()["email"]
    assert not rig.root.exists()


def test_error_lines_in_backup_log_are_critical(rig):
    rig.write_sets()
    rig.logs.mkdir()
    error = "[2026-11-28 02:01:00] ERROR: Backup task dump_database failed: pg_dump exited 1"
    (rig.logs / "backup.log").write_text(f"[2026-11-28 02:00:00] Starting database backup...\n{error}\n")
    assert rig.run()["conclude"] == FAILED
    assert rig.alerts() == expected_alerts(critical=[f"1 error line(s) in backup.log since the last check: {error}"])


def test_two_failed_nightly_runs_in_a_row_are_critical(rig):
    """Two real db_nightly_backup runs at the last two scheduled times, failing their pre-flight check."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    rig.write_sets()
    fire_times = scheduled_fire_times("0 2 * * *", rig.now, 2, "UTC")
    rig.configure(backup_min_free_bytes=10**18)
    try:
        for logical_date in reversed(fire_times):
            assert rig.run(run_after=logical_date, dag_id="db_nightly_backup", logical_date=logical_date)[
                "check_free_disk_space"] == FAILED
        rig.configure(backup_min_free_bytes=0)
        assert rig.run()["conclude"] == FAILED
        runs_failed, log_errors = rig.alerts()["email"]  # each failed run also wrote its ERROR line to backup.log
        assert runs_failed == "[tsdb-ops CRITICAL] 2 consecutive db_nightly_backup runs failed (limit 2)"
        assert log_errors.startswith("[tsdb-ops CRITICAL] 2 error line(s) in backup.log since the last check: ")
        assert "backup_min_free_bytes" in log_errors and len(rig.alerts()["slack"]) == 2
    finally:
        with create_session() as session:
            session.query(DagRun).filter(DagRun.dag_id == "db_nightly_backup", DagRun.logical_date.in_(fire_times)).delete(
                synchronize_session=False)


@pytest.mark.parametrize(
    ("newest", "expected"),
    [
        ({"models_bytes": 320_000}, lambda new, old: [
            f"models backup size changed {(new - old) / old * 100:+.0f}% ({mb(old)} -> {mb(new)}), threshold 50%"]),
        ({"models_bytes": 180_000}, lambda new, old: [
            f"New models backup is smaller than the previous one ({mb(new)} < {mb(old)})"]),
        ({"seconds": 200.0}, lambda new, old: ["database backup took 200 s, 6.7x the recent median of 30 s"]),
    ],
    ids=["plus_60_percent", "shrinking", "slow"],
)
def test_trend_warnings_go_to_chat_only_and_leave_the_run_green(rig, newest, expected):
    sets = rig.write_sets(**newest)
    new, old = sets[-1].artefact("models").size_bytes, sets[-2].artefact("models").size_bytes
    states = rig.run()
    assert states["check_trends"] == SUCCESS and states["conclude"] == SUCCESS
    assert rig.alerts() == expected_alerts(warning=expected(new, old))
    assert rig.heartbeats() == ["/ping"]


def test_a_repeated_condition_is_not_resent_and_a_cleared_one_is_resolved_once(rig):
    sets = rig.write_sets(count=4, newest_hours_ago=34)
    stale = [f"Newest verified {a.kind} backup is 34.0 h old (limit 25 h): {a.path}" for a in sets[-1].artefacts]
    assert rig.run()["conclude"] == FAILED
    assert rig.alerts() == expected_alerts(critical=stale)

    assert rig.run()["conclude"] == FAILED  # still stale an hour later: inside the repeat window, nothing is sent
    assert rig.alerts() == expected_alerts()
    assert rig.heartbeats() == ["/ping/fail"]

    write_backup_set(rig.root, rig.now - timedelta(hours=1), rig.dumps["full"])  # a fresh set clears it
    assert rig.run()["conclude"] == SUCCESS
    assert rig.alerts() == expected_alerts(resolved=stale)
    assert rig.run()["conclude"] == SUCCESS
    assert rig.alerts() == expected_alerts()


def test_a_run_for_a_past_hour_judges_freshness_then_and_alerts_nobody(rig):
    rig.write_sets(newest_hours_ago=40)  # stale now; 10 h old as of 30 h ago
    states = rig.run(run_after=rig.now - timedelta(hours=30))
    assert states["check_freshness"] == SUCCESS and states["conclude"] == SUCCESS
    assert rig.alerts() == expected_alerts() and rig.heartbeats() == []
    line = (rig.logs / "backup_monitor.log").read_text().splitlines()[-1]
    assert line.endswith("0 critical, 0 warning(s) (a past hour, not alerted; judged as of that hour: freshness, sizes, "
                         "trends; looked at the present: integrity, disk_usage, log_errors, failed_runs, pitr)")


def test_a_past_hour_with_a_critical_finding_is_a_green_run_that_says_what_it_found_and_alerts_nobody(rig, capfd):
    rig.write_sets(newest_hours_ago=40)  # 40 h old now; 30 h old as of 10 h ago: critical then
    capfd.readouterr()
    states = rig.run(run_after=rig.now - timedelta(hours=10))
    assert states["conclude"] == SUCCESS
    assert rig.alerts() == expected_alerts() and rig.heartbeats() == []
    line = (rig.logs / "backup_monitor.log").read_text().splitlines()[-1]
    assert ": 3 critical, 0 warning(s) (a past hour, not alerted;" in line
    assert "Newest verified database backup is 30.0 h old (limit 25 h)" in capfd.readouterr().out


def test_a_failed_present_run_says_its_findings_in_sentences(rig, capfd):
    rig.write_sets(newest_hours_ago=34)
    capfd.readouterr()
    assert rig.run()["conclude"] == FAILED
    out = capfd.readouterr().out
    assert "Backup monitor: 3 critical problem(s), alerted: Newest verified" in out
    assert "backup.freshness" not in out.split("Backup monitor: 3 critical problem(s)")[1].split("\n")[0]


def test_the_daily_summary_is_written_once_a_day_with_a_chart(rig):
    rig.write_sets()
    rig.configure(monitor_summary_hour=0)
    states = rig.run()
    assert states["write_daily_summary"] == SUCCESS
    day = datetime.now(UTC).strftime("%Y%m%d")
    report = (rig.reports / f"backup_summary_{day}.md").read_text()
    assert "Nightly backup success rate, last 7 scheduled runs: 0/0 (no finished run)" in report
    assert "| database | 5 |" in report and f"![backup size and duration per set](backup_summary_{day}.png)" in report
    assert (rig.reports / f"backup_summary_{day}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    states = rig.run()
    assert states["is_daily_summary_due"] == SUCCESS and states["write_daily_summary"] == TaskInstanceState.SKIPPED
