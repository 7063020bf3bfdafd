"""db_backup_monitor's shape, and a whole run under dag.test() against the output of a real db_nightly_backup run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from airflow.utils.state import TaskInstanceState

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ["check_freshness", "check_sizes", "check_integrity", "check_disk_usage", "check_failed_runs",
          "check_log_errors", "check_trends", "check_pitr"]


@pytest.fixture(scope="module")
def monitor():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(ROOT / "dags")).dags["db_backup_monitor"]


def test_each_check_is_its_own_task_and_the_run_concludes_after_all_of_them(monitor):
    assert sorted(monitor.task_ids) == sorted([*CHECKS, "hash_backup_files", "list_dumps_with_pg_restore", "conclude",
                                               "is_daily_summary_due", "write_daily_summary"])
    conclude = monitor.get_task("conclude")
    assert sorted(conclude.upstream_task_ids) == sorted(CHECKS) and conclude.trigger_rule == "all_done"
    due = monitor.get_task("is_daily_summary_due")
    assert sorted(due.upstream_task_ids) == sorted(CHECKS) and due.trigger_rule == "all_done"
    assert monitor.get_task("write_daily_summary").upstream_task_ids == {"is_daily_summary_due"}
    assert monitor.params["summary"] is False


def test_monitor_run_over_a_real_nightly_backup_is_green_and_writes_its_log_line(pg15, docker_client, airflow_home,
                                                                                    tmp_path, monkeypatch, webhook_server):
    from integration.test_backup_dag import BackupRig

    from conftest import TEST_PG_CLIENT_IMAGE

    rig = BackupRig(pg15, docker_client, tmp_path)
    try:
        rig.env(monkeypatch)
        now = datetime.now(UTC).replace(microsecond=0)
        nightly_run, nightly_states = rig.run("db_nightly_backup", run_after=now - timedelta(hours=1))
        assert str(nightly_run.state) == "success", nightly_states
        monitor_config = {**rig.config, "pg_client_image": TEST_PG_CLIENT_IMAGE, "min_backup_size_bytes": 10_000,
                          "heartbeat_url": webhook_server.url("/monitor-dag/ping")}
        monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps(monitor_config))
        webhook_server.clear()
        run, states = rig.run("db_backup_monitor", run_after=datetime.now(UTC))
        assert str(run.state) == "success", states
        assert all(states[c] == TaskInstanceState.SUCCESS for c in CHECKS), states
        assert [p.path for p in webhook_server.received("/monitor-dag/ping")] == ["/monitor-dag/ping"]
        log_line = (rig.log_dir / "backup_monitor.log").read_text().splitlines()[-1]
        assert log_line.endswith("0 critical, 0 warning(s)") and log_line.startswith(f"[{datetime.now(UTC):%Y-%m-%d} ")
        record = json.loads((rig.backup_root / ".monitor_verified.json").read_text())
        assert sorted(record) == sorted(str(p.relative_to(rig.backup_root)) for p in rig.backup_root.glob("[dmc]*/*.*")
                                        if p.parent.name != "manifests")
        assert all(entry["problem"] is None for entry in record.values())
    finally:
        rig.close()
