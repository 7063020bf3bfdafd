"""Backup and restore of a production-shaped TimescaleDB database with scheduled policies, on native TimescaleDB.

The source (harness.market_data.load_timescale_shape) has compressed and uncompressed chunks, a second hypertable
in its own schema, a plain table, and compression, retention and reorder policies that are scheduled and would
change the restored data if they ran: a dump carries the jobs but not their run times, so after
``timescaledb_post_restore()`` each would be due at once. db_nightly_backup writes one set; db_restore_verification
and db_restore restore it with the database's scheduler running, and keep every row, chunk and job as it was.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from test_backup_dag import NOW, BackupRig

from harness.dag_runs import load_dag, task_states
from harness.market_data import load_timescale_shape, shape_facts
from tsdb_ops.backup.manifest import read_manifest
from tsdb_ops.backup.restored_jobs import RESTART_GRACE, START_SPACING

pytestmark = pytest.mark.docker

SET_ID = "20260302"
WAIT_AFTER_RESTORE = 60.0  # seconds the restored database's scheduler runs before its data is compared
JOB_STATE = """
SELECT j.job_id, j.scheduled, CASE WHEN isfinite(s.next_start) THEN s.next_start END, coalesce(s.total_runs, 0)
FROM timescaledb_information.jobs j LEFT JOIN timescaledb_information.job_stats s USING (job_id)
WHERE j.job_id >= 1000 ORDER BY j.job_id
"""


@pytest.fixture(scope="module")
def shaped(pg15, docker_client, airflow_home, tmp_path_factory):
    """The production-shaped database and one verified nightly set of it (set 20260302)."""
    if not pg15.timescale:
        pytest.skip("needs native TimescaleDB in the pg15 cluster (make setup with TSDB_SOURCE_TARBALL)")
    rig = BackupRig(pg15, docker_client, tmp_path_factory.mktemp("roundtrip"),
                    load=lambda conn: load_timescale_shape(conn, now=NOW))
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            rig.env(monkeypatch)
            dag_run, states = rig.run("db_nightly_backup")
        assert str(dag_run.state) == "success", states
        with psycopg.connect(rig.dsn) as conn:
            rig.source = shape_facts(conn)
        rig.manifest = read_manifest(rig.backup_root / "manifests" / f"backup_{SET_ID}.json")
        yield rig
    finally:
        rig.close()
        with psycopg.connect(pg15.dsn(), autocommit=True) as conn:
            for (name,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (f"%{rig.tag}%",)):
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def trigger_restore(rig: BackupRig, monkeypatch, target: str, minute: int, **overrides) -> tuple[str, dict[str, str]]:
    rig.env(monkeypatch, **overrides)
    dag_run = load_dag("db_restore").test(run_after=NOW + timedelta(hours=1, minutes=minute), logical_date=None,
                                          run_conf={"target_database": target, "dry_run": False})
    return str(dag_run.state), task_states(dag_run)


def job_state(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(JOB_STATE).fetchall()


def scheduler_running(cluster, database: str) -> bool:
    with psycopg.connect(cluster.dsn()) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = "
                            "'TimescaleDB Background Worker Scheduler'", (database,)).fetchone()[0] == 1


def test_manifest_records_each_job_with_its_scheduled_flag_and_next_start(shaped):
    jobs = {job.job_id: job for job in shaped.manifest.jobs}
    assert sorted(jobs) == sorted(shaped.shape.jobs.values())
    for name, job_id in shaped.shape.jobs.items():
        job = jobs[job_id]
        assert job.scheduled == (name not in shaped.shape.paused), name
        if job.scheduled:
            assert datetime.fromisoformat(job.next_start) > datetime.fromisoformat(shaped.manifest.finished_at), name
    assert {(h.name, h.chunks, h.compressed_chunks) for h in shaped.manifest.hypertables} == set(shaped.source["chunks"])


def test_restore_verification_passes_ten_times_in_a_row_with_the_policies_due(shaped, monkeypatch, caplog):
    shaped.env(monkeypatch)
    seconds = []
    for attempt in range(10):
        started = time.monotonic()
        dag_run, states = shaped.run("db_restore_verification", NOW + timedelta(hours=3, minutes=attempt))
        seconds.append(time.monotonic() - started)
        assert str(dag_run.state) == "success", (attempt, states)
        report = json.loads((Path(shaped.config["report_dir"]) / f"restore_check_{SET_ID}.json").read_text())
        assert report["ok"] and report["jobs_recorded"], (attempt, report["findings"])
        assert {(j["job_id"], j["scheduled"], j["total_runs"]) for j in report["jobs"]} == {
            (job_id, False, 0) for job_id in shaped.shape.jobs.values()}
        assert not database_exists(shaped, shaped.config["restore_scratch_database"])
    logging.getLogger(__name__).warning("db_restore_verification x10: %.1f s (%s)", sum(seconds),
                                        ", ".join(f"{s:.1f}" for s in seconds))
    assert shaped.backup_log()[-1].endswith(f"Restore verification of backup set {SET_ID} passed: 2 tables match the "
                                            "manifest; its 5 jobs were kept unscheduled and never ran")


def database_exists(rig: BackupRig, name: str) -> bool:
    with psycopg.connect(rig.cluster.dsn()) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


@pytest.fixture(scope="module")
def restored(shaped):
    """db_restore of the set into a new database; its name and the moment the run finished (monotonic)."""
    target = f"restored_{shaped.tag}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        state, states = trigger_restore(shaped, monkeypatch, target, minute=1)
    finished = time.monotonic()
    assert state == "success", states
    assert states["reschedule_restored_jobs"] == "success" and states["restore_models_volume"] == "skipped"
    return {"database": target, "dsn": shaped.cluster.dsn(target), "finished": finished, "log": shaped.backup_log()}


def test_restore_into_a_new_database_keeps_every_row_sixty_seconds_after_it_finished(shaped, restored):
    assert scheduler_running(shaped.cluster, restored["database"]), "the restored database's scheduler runs"
    with psycopg.connect(restored["dsn"]) as conn:  # the retention policy would drop restored chunks if it ran
        drop_after = conn.execute("SELECT config->>'drop_after' FROM timescaledb_information.jobs WHERE job_id = %s",
                                  (shaped.shape.jobs["market_data.retention"],)).fetchone()[0]
        doomed = conn.execute("SELECT count(*) FROM show_chunks('market_data', older_than => %s::interval)",
                              (drop_after,)).fetchone()[0]
    assert doomed > 0
    while (left := WAIT_AFTER_RESTORE - (time.monotonic() - restored["finished"])) > 0:
        assert not [job for job in job_state(restored["dsn"]) if job[3]], "no restored job has run"
        time.sleep(min(5.0, left))
    with psycopg.connect(restored["dsn"]) as conn:
        assert shape_facts(conn) == shaped.source


def test_restored_jobs_get_back_their_recorded_scheduled_flag_and_next_start(shaped, restored):
    recorded = {job.job_id: job for job in shaped.manifest.jobs}
    for job_id, scheduled, next_start, _ in job_state(restored["dsn"]):
        assert scheduled == recorded[job_id].scheduled, job_id
        if scheduled:  # recorded a day ahead: kept as recorded
            assert next_start == datetime.fromisoformat(recorded[job_id].next_start), job_id
    assert restored["log"][-1].endswith(f"Restored jobs of {restored['database']} back on their schedule as recorded "
                                        "in the manifest: 4 scheduled, 1 unscheduled")


def copy_of_the_set(rig: BackupRig, root: Path, edit) -> Path:
    """The set's files under ``root`` with its manifest (as JSON) changed by ``edit``."""
    for path in rig.files():
        if path.startswith(("db/", "models/", "configs/", "manifests/")):
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes((rig.backup_root / path).read_bytes())
    manifest_file = root / "manifests" / f"backup_{SET_ID}.json"
    manifest_file.write_text(json.dumps(edit(json.loads(manifest_file.read_text()))))
    return root


def as_format_1(data: dict) -> dict:
    """The manifest as written before job records and chunk counts."""
    del data["jobs"]
    for table in data["hypertables"]:
        del table["chunks"], table["compressed_chunks"]
    return {**data, "format_version": 1}


def test_restore_of_a_set_without_job_records_schedules_the_dumps_jobs_one_interval_after_the_restore(
    shaped, monkeypatch, tmp_path
):
    root = copy_of_the_set(shaped, tmp_path / "backups", as_format_1)
    target = f"restored_v1_{shaped.tag}"
    with psycopg.connect(shaped.dsn) as conn:
        intervals = dict(conn.execute("SELECT job_id, schedule_interval FROM timescaledb_information.jobs"
                                      " WHERE job_id >= 1000").fetchall())
    before = datetime.now().astimezone()

    state, states = trigger_restore(shaped, monkeypatch, target, minute=2, backup_root=str(root))

    after = datetime.now().astimezone()
    assert state == "success", states
    for job_id, scheduled, next_start, runs in job_state(shaped.cluster.dsn(target)):
        paused = job_id in [shaped.shape.jobs[name] for name in shaped.shape.paused]
        assert (scheduled, runs) == (not paused, 0), job_id
        if scheduled:  # one interval after the restore, the five jobs at most 4 spacings apart
            assert before + intervals[job_id] <= next_start <= after + intervals[job_id] + 4 * START_SPACING, job_id
            assert next_start >= after + RESTART_GRACE
    with psycopg.connect(shaped.cluster.dsn(target)) as conn:
        assert shape_facts(conn) == shaped.source
    assert shaped.backup_log()[-1].endswith("as recorded in the dump (the manifest, format 1, records no jobs): "
                                            "4 scheduled, 1 unscheduled")


def test_restore_that_differs_from_its_manifest_fails_and_leaves_every_job_unscheduled(shaped, monkeypatch, tmp_path):
    def one_row_more(data: dict) -> dict:
        data["hypertables"][0]["rows"] += 1
        return data

    root = copy_of_the_set(shaped, tmp_path / "backups", one_row_more)
    target = f"restored_bad_{shaped.tag}"

    state, states = trigger_restore(shaped, monkeypatch, target, minute=3, backup_root=str(root))

    assert state == "failed" and states["compare_with_manifest"] == "failed", states
    assert states["reschedule_restored_jobs"] == "upstream_failed"
    assert [(job_id, scheduled) for job_id, scheduled, _, _ in job_state(shaped.cluster.dsn(target))] == [
        (job_id, False) for job_id in sorted(shaped.shape.jobs.values())]
    assert scheduler_running(shaped.cluster, target)
