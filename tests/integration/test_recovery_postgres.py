"""db_restore, db_selective_backup and db_selective_recovery run by dag.test() against PostgreSQL 15 and Docker.

The backup restored is a real one, written by db_nightly_backup in this module; ``market_data`` is a hypertable
when the cluster has native TimescaleDB, a plain table otherwise (test_backup_dag.BackupRig). Restores round-trip
(row md5 equal), refuse without confirmation, keep a valid safety dump of what they overwrite; a selective
recovery puts back exactly the rows the test deleted and nothing twice; malicious params change nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from test_backup_dag import NOW, BackupRig, captured_output, restore_with_host_pg_restore, table_checksums

from conftest import TEST_BUSYBOX_IMAGE
from harness.dag_runs import rendered_fields
from harness.postgres import PG_BIN, native_timescaledb_version
from tsdb_ops.backup.selective_recovery import recovery_table_name

pytestmark = pytest.mark.docker

SLICE = "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM market_data t " \
        "WHERE symbol = %s AND timestamp >= %s AND timestamp < %s"


@pytest.fixture(scope="module")
def rig(pg15, docker_client, airflow_home, tmp_path_factory):
    """A database with market data and one verified nightly backup set of it (set 20260302)."""
    rig = BackupRig(pg15, docker_client, tmp_path_factory.mktemp("recovery"))
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            rig.env(monkeypatch)
            dag_run, states = rig.run("db_nightly_backup")
        assert str(dag_run.state) == "success", states
        rig.backed_up = table_checksums(rig.dsn)
        rig.runs = 0
        yield rig
    finally:
        rig.close()
        with psycopg.connect(pg15.dsn(), autocommit=True) as conn:
            for (name,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (f"%{rig.tag}%",)):
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def trigger(rig, monkeypatch, caplog):
    """Run a DAG with dag.test() (each run a minute after the last, so file names differ): state, task states, and
    the log lines of its tasks; the run itself is kept as ``rig.last_run``."""
    from airflow.dag_processing.dagbag import DagBag

    def run(dag_id: str, conf: dict, **overrides) -> tuple[str, dict[str, str], str]:
        rig.env(monkeypatch, **overrides)
        rig.runs += 1
        caplog.clear()
        with caplog.at_level(logging.INFO), captured_output(rig.base / f"{dag_id}-{rig.runs}.log"):
            dag = DagBag(str(Path(__file__).resolve().parents[2] / "dags")).dags[dag_id]
            dag_run = dag.test(run_after=NOW + timedelta(hours=1, minutes=rig.runs), logical_date=None, run_conf=conf)
        states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
        rig.last_run = dag_run
        return str(dag_run.state), states, caplog.text

    return run


def database_exists(rig: BackupRig, name: str) -> bool:
    with psycopg.connect(rig.cluster.dsn()) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def safety_dumps(rig: BackupRig) -> list[str]:
    return sorted(p for p in rig.files() if p.startswith("db/safety_"))


def volume_files(rig: BackupRig, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "volume-copy"
    out.mkdir()
    rig.docker.containers.run(TEST_BUSYBOX_IMAGE, ["sh", "-c", "cp -a /models/. /out/"], remove=True,
                              volumes={rig.volume: {"bind": "/models", "mode": "ro"}, str(out): {"bind": "/out", "mode": "rw"}})
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_dry_run_restore_logs_the_plan_and_changes_nothing(rig, trigger):
    target = f"restored_dry_{rig.tag}"
    state, states, output = trigger("db_restore", {"target_database": target})
    assert state == "success"
    assert states["validate_params"] == "success"
    assert {s for t, s in states.items() if t != "validate_params"} == {"skipped"}, states
    assert f"Target database {target} does not exist: no safety dump; CREATE DATABASE {target}" in output
    assert "Dry run: nothing changed" in output and "set_id=20260302" in output
    assert not database_exists(rig, target) and safety_dumps(rig) == []


def test_restore_into_a_new_database_equals_the_backed_up_data(rig, trigger):
    target = f"restored_new_{rig.tag}"
    state, states, _ = trigger("db_restore", {"target_database": target, "dry_run": False})
    assert state == "success", states
    assert states["write_safety_dump"] == "success" and states["restore_models_volume"] == "skipped"
    assert table_checksums(rig.cluster.dsn(target)) == rig.backed_up
    assert safety_dumps(rig) == [], "nothing existed to be saved"
    assert f"Restored backup set 20260302 into {target}: 1 tables match the manifest" in [
        line.split("] ", 1)[1] for line in rig.backup_log()]
    assert sql_statements(rig.last_run, "create_target_database") == [f'CREATE DATABASE "{target}"']
    assert rendered_fields(rig.last_run, "prepare_timescaledb_restore")["database"] == target
    if rig.cluster.timescale:
        assert sql_statements(rig.last_run, "prepare_timescaledb_restore") == [
            f'CREATE EXTENSION IF NOT EXISTS timescaledb VERSION "{native_timescaledb_version()}";',
            "SELECT timescaledb_pre_restore();"]


def sql_statements(dag_run, task_id: str) -> list[str]:
    """The statements of a SQL step as the UI's Rendered Template tab shows them, without the file's comments."""
    return [line for line in rendered_fields(dag_run, task_id)["sql"].splitlines() if not line.startswith("--")]


def test_restore_over_an_existing_database_without_confirmation_is_refused_and_changes_nothing(rig, trigger):
    target = f"existing_{rig.tag}"
    dsn = rig.cluster.create_database(target)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE market_data (note text)")
        conn.execute("INSERT INTO market_data VALUES ('keep me')")
    for conf in ({"target_database": target, "dry_run": False},
                 {"target_database": target, "dry_run": False, "confirm_database": "mt5_trading"}):
        state, states, output = trigger("db_restore", conf)
        assert state == "failed" and states["validate_params"] == "failed", states
        assert {s for t, s in states.items() if t != "validate_params"} == {"upstream_failed"}, states
    assert f"confirm_database={target}" in output or "does not repeat the target database" in output
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT note FROM market_data").fetchall() == [("keep me",)]
    assert safety_dumps(rig) == []


def test_confirmed_restore_over_the_live_database_saves_it_first_and_restores_models(rig, trigger, tmp_path):
    with psycopg.connect(rig.dsn, autocommit=True) as conn:  # damage: rows lost after the backup
        conn.execute("DELETE FROM market_data WHERE symbol = 'XAUUSD'")
    damaged = table_checksums(rig.dsn)
    rig.docker.containers.run(TEST_BUSYBOX_IMAGE, ["sh", "-c", "echo stray > /models/stray.bin && rm /models/meta.json"],
                              remove=True, volumes={rig.volume: {"bind": "/models", "mode": "rw"}})
    conf = {"dry_run": False, "confirm_database": rig.dbname, "restore_models": True, "clear_models_volume": True,
            "confirm_models_volume": rig.volume}

    state, states, output = trigger("db_restore", conf)

    assert state == "success", states
    assert states["create_target_database"] == "skipped", "the target exists: no CREATE DATABASE"
    assert table_checksums(rig.dsn) == rig.backed_up
    [safety] = safety_dumps(rig)
    assert safety == f"db/safety_{rig.dbname}_20260302T13{rig.runs:02d}00.backup"  # named by the run's run_after
    listing = subprocess.run([str(PG_BIN / "pg_restore"), "--list", str(rig.backup_root / safety)],
                             check=True, capture_output=True, text=True).stdout
    assert "TABLE DATA public market_data" in listing
    saved_dsn = restore_with_host_pg_restore(rig.cluster, rig.backup_root / safety, f"safety_check_{rig.tag}")
    assert table_checksums(saved_dsn) == damaged, "the safety dump holds the database as it was before the restore"
    source = {str(p.relative_to(rig.models_src)): p.read_bytes() for p in rig.models_src.rglob("*") if p.is_file()}
    assert volume_files(rig, tmp_path) == source, "cleared, then exactly the archive's files"
    assert rig.cluster.password not in output


def export_slice(rig: BackupRig, trigger, **conf) -> dict:
    state, states, _ = trigger("db_selective_backup", {"dry_run": False, **conf})
    assert state == "success", states
    [manifest_file] = sorted(p for p in rig.files() if p.startswith("selective/") and p.endswith(".json"))[-1:]
    return {**json.loads((rig.backup_root / manifest_file).read_text()), "manifest_file": manifest_file}


def slice_of(rig: BackupRig, symbol: str, start: datetime, end: datetime) -> tuple:
    with psycopg.connect(rig.dsn) as conn:
        return conn.execute(SLICE, (symbol, start, end)).fetchone()


def recovery_tables(rig: BackupRig) -> list[str]:
    with psycopg.connect(rig.dsn) as conn:
        return [r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relname LIKE 'market\\_data\\_recovery\\_%'")]


def test_selective_recovery_restores_exactly_the_deleted_rows_and_a_second_run_inserts_none(rig, trigger):
    start, end = NOW - timedelta(days=5), NOW - timedelta(days=1)
    export = export_slice(rig, trigger, table="market_data", symbol="EURUSD", start=start.isoformat(),
                          end=end.isoformat())
    whole = slice_of(rig, "EURUSD", start, end)
    assert (export["rows"], export["symbol"], export["table"]) == (whole[0], "EURUSD", "public.market_data")
    lost_from, lost_to = NOW - timedelta(days=4), NOW - timedelta(days=3)
    lost = slice_of(rig, "EURUSD", lost_from, lost_to)
    others = table_checksums(rig.dsn)
    with psycopg.connect(rig.dsn, autocommit=True) as conn:
        deleted = conn.execute("DELETE FROM market_data WHERE symbol = 'EURUSD' AND timestamp >= %s AND timestamp < %s",
                               (lost_from, lost_to)).rowcount
    assert deleted == lost[0] > 0

    dry_state, dry_states, dry_output = trigger("db_selective_recovery", {"export": export["manifest_file"]})
    assert dry_state == "success" and dry_states["insert_missing_rows"] == "skipped"
    assert slice_of(rig, "EURUSD", lost_from, lost_to)[0] == 0, "a dry run inserts nothing"
    assert f"now holds {whole[0] - deleted} rows" in dry_output

    state, states, output = trigger("db_selective_recovery", {"export": export["manifest_file"], "dry_run": False})
    assert state == "success", states
    assert f"{deleted} rows inserted, {whole[0] - deleted} already present" in output
    recovery_table = f'"public"."{recovery_table_name("market_data", NOW + timedelta(hours=1, minutes=rig.runs), "UTC")}"'
    assert sql_statements(rig.last_run, "create_recovery_table") == [
        f'CREATE TABLE IF NOT EXISTS {recovery_table} (LIKE "public"."market_data")']
    insert = rendered_fields(rig.last_run, "insert_missing_rows")
    assert 'INSERT INTO "public"."market_data"' in insert["sql"] and f"SELECT * FROM {recovery_table}" in insert["sql"]
    assert 'WHERE "symbol" = %(symbol)s AND "timestamp" >= %(start)s AND "timestamp" < %(end)s' in insert["sql"]
    assert (insert["parameters"]["symbol"], insert["parameters"]["start"]) == ("EURUSD", start.isoformat())
    assert sql_statements(rig.last_run, "drop_recovery_table") == [f"DROP TABLE IF EXISTS {recovery_table}"]
    assert "indisunique" in rendered_fields(rig.last_run, "read_unique_indexes")["sql"]
    assert slice_of(rig, "EURUSD", lost_from, lost_to) == lost and table_checksums(rig.dsn) == others
    assert recovery_tables(rig) == []

    _, _, again = trigger("db_selective_recovery", {"export": export["manifest_file"], "dry_run": False})
    assert f"0 rows inserted, {whole[0]} already present" in again
    assert table_checksums(rig.dsn) == others and recovery_tables(rig) == []


def test_recovery_table_is_dropped_when_the_insert_fails(rig, trigger):
    start, end = NOW - timedelta(days=3), NOW - timedelta(days=2)
    export = export_slice(rig, trigger, table="market_data", symbol="XAUUSD", start=start.isoformat(),
                          end=end.isoformat())
    with psycopg.connect(rig.dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM market_data WHERE symbol = 'XAUUSD' AND timestamp >= %s AND timestamp < %s", (start, end))
        conn.execute("CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$ BEGIN RAISE EXCEPTION 'inserts refused by the test'; END $$")
        conn.execute("CREATE TRIGGER refuse_insert BEFORE INSERT ON market_data FOR EACH ROW EXECUTE FUNCTION refuse_insert()")
    before = table_checksums(rig.dsn)
    try:
        state, states, _ = trigger("db_selective_recovery", {"export": export["manifest_file"], "dry_run": False})
    finally:
        with psycopg.connect(rig.dsn, autocommit=True) as conn:
            conn.execute("DROP TRIGGER refuse_insert ON market_data")
            conn.execute("DROP FUNCTION refuse_insert()")
    assert state == "failed" and states["insert_missing_rows"] == "failed"
    assert states["load_export_into_recovery_table"] == "success" and states["drop_recovery_table"] == "success"
    assert recovery_tables(rig) == [] and table_checksums(rig.dsn) == before


def test_tables_mode_exports_the_guides_tables_with_their_rows(rig, trigger):
    state, states, _ = trigger("db_selective_backup", {"mode": "tables", "dry_run": False})
    assert state == "success", states
    [dump] = [p for p in rig.files() if p.startswith("selective/tables_") and p.endswith(".backup")]
    manifest = json.loads((rig.backup_root / dump.replace(".backup", ".json")).read_text())
    listing = subprocess.run([str(PG_BIN / "pg_restore"), "--list", str(rig.backup_root / dump)],
                             check=True, capture_output=True, text=True).stdout
    assert "TABLE DATA public ml_predictions" in listing
    if rig.cluster.timescale:  # a hypertable's rows are in its chunks, which pg_dump -t leaves out: COPY export
        assert manifest["tables"] == ["public.ml_predictions"]
        [copy] = [p for p in rig.files() if p.startswith("selective/public.market_data_") and p.endswith(".json")][-1:]
        rows = json.loads((rig.backup_root / copy).read_text())["rows"]
        assert rows == table_checksums(rig.dsn)["market_data"][0] > 0
    else:
        assert manifest["tables"] == ["public.market_data", "public.ml_predictions"]
        assert "TABLE DATA public market_data" in listing
    assert not [p for p in rig.files() if ".partial" in p or p.endswith(".tmp")]


MALICIOUS = [
    ("db_restore", {"target_database": "postgres; drop", "dry_run": False}, "is not a database name"),
    ("db_restore", {"set_id": "x'; DROP TABLE market_data;--", "dry_run": False}, "is not a backup set id"),
    ("db_restore", {"target_database": "template1", "dry_run": False}, "template database"),
    ("db_selective_backup", {"symbol": "x'; DROP TABLE market_data;--", "dry_run": False}, "is not a symbol name"),
    ("db_selective_backup", {"table": "market_data; DROP TABLE market_data", "dry_run": False}, "is not a table name"),
    ("db_selective_backup", {"start": "2026-03-02", "end": "2026-03-01", "dry_run": False}, "give an empty range"),
    ("db_selective_backup", {"start": "now() - interval '1 day'", "dry_run": False}, "is not a time"),
    ("db_selective_backup", {"table": "pg_shadow", "dry_run": False}, "there is no table"),
    ("db_selective_recovery", {"symbol": "x'; DROP TABLE market_data;--", "dry_run": False}, "is not a symbol name"),
    ("db_selective_recovery", {"export": "../../etc/passwd", "dry_run": False}, "is not an export manifest"),
]


@pytest.mark.parametrize(("dag_id", "conf", "message"), MALICIOUS, ids=[f"{d}-{sorted(c)[0]}" for d, c, _ in MALICIOUS])
def test_malicious_params_are_rejected_before_anything_runs(rig, trigger, dag_id, conf, message):
    before, files = table_checksums(rig.dsn), rig.files()
    state, states, output = trigger(dag_id, conf)
    assert state == "failed" and states["validate_params"] == "failed", states
    assert {s for t, s in states.items() if t != "validate_params"} <= {"upstream_failed"}, states
    assert message in output
    assert table_checksums(rig.dsn) == before and rig.files() == files
    with contextlib.closing(psycopg.connect(rig.cluster.dsn())) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'postgres;%'").fetchone()[0] == 0
