"""Selective backup and recovery of a hypertable with compressed chunks, on the harness's TimescaleDB.

pg_dump -t of a hypertable dumps zero rows, so its exports go through COPY; the recovery inserts into compressed
chunks with ON CONFLICT DO NOTHING on the unique index (native TimescaleDB only: the WebAssembly server has no
COPY FROM STDIN). No Docker and no pg_dump here: only SQL sessions.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harness.market_data import load_market_data

pytestmark = pytest.mark.timescale

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SLICE = "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {}.market_data t " \
        "WHERE symbol = %s AND timestamp >= %s AND timestamp < %s"


@pytest.fixture
def hypertable(tsdb, airflow_home, monkeypatch, tmp_path):
    """market_data as a hypertable in a unique schema, its older chunks compressed; config and connection set."""
    schema = f"recovery_{uuid.uuid4().hex[:8]}"
    with tsdb.connect() as conn:
        conn.prepare_threshold = None
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        load_market_data(conn, now=NOW, hypertable=True, h1_days=21, m1_days=0, symbols=("EURUSD", "XAUUSD"))
        conn.execute("ALTER TABLE market_data SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol',"
                     " timescaledb.compress_orderby = 'timeframe, timestamp')")
        conn.execute("SELECT compress_chunk(c) FROM show_chunks('market_data', older_than => %s::timestamptz) c",
                     (NOW - timedelta(days=7),))
        compressed = conn.execute("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = %s"
                                  " AND is_compressed", (schema,)).fetchone()[0]
        conn.execute("RESET search_path")
    assert compressed > 0
    monkeypatch.setenv("AIRFLOW_CONN_TSDB_POSTGRES", tsdb.dsn())
    monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps({
        "hypertable": f"{schema}.market_data", "backup_root": str(tmp_path / "backups"), "log_dir": str(tmp_path / "logs"),
        "retries": 0}))
    yield {"schema": schema, "root": tmp_path / "backups"}
    with tsdb.connect() as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def run(dag_id: str, conf: dict, minute: int, caplog) -> tuple[str, dict[str, str], str]:
    from airflow.dag_processing.dagbag import DagBag

    caplog.clear()
    with caplog.at_level(logging.INFO):
        dag_run = DagBag(str(ROOT / "dags")).dags[dag_id].test(run_after=NOW + timedelta(minutes=minute),
                                                               logical_date=None, run_conf=conf)
    return str(dag_run.state), {ti.task_id: ti.state for ti in dag_run.get_task_instances()}, caplog.text


def slice_of(tsdb, schema: str, start: datetime, end: datetime) -> tuple:
    with tsdb.connect() as conn:
        return conn.execute(SLICE.format(f'"{schema}"'), ("EURUSD", start, end)).fetchone()


def export_eurusd(tsdb, hypertable, caplog, start: datetime, end: datetime) -> tuple[str, dict]:
    schema = hypertable["schema"]
    conf = {"table": f"{schema}.market_data", "symbol": "EURUSD", "start": start.isoformat(), "end": end.isoformat(),
            "dry_run": False}
    state, states, _ = run("db_selective_backup", conf, 1, caplog)
    assert state == "success", states
    manifest_file = f"selective/{schema}.market_data_20260302T120100.json"
    return manifest_file, json.loads((hypertable["root"] / manifest_file).read_text())


def test_time_range_export_of_a_compressed_hypertable_holds_every_row_of_the_range(tsdb, hypertable, caplog):
    start, end = NOW - timedelta(days=20), NOW - timedelta(days=2)
    _, export = export_eurusd(tsdb, hypertable, caplog, start, end)
    assert export["rows"] == slice_of(tsdb, hypertable["schema"], start, end)[0] == 18 * 24
    assert export["time_column"] == "timestamp" and export["range"] == {"start": start.isoformat(), "end": end.isoformat()}


def test_hypertable_rows_deleted_from_compressed_chunks_are_recovered_from_a_time_range_export(tsdb, hypertable, caplog):
    if tsdb.is_wasm:
        pytest.skip("the WebAssembly TimescaleDB server does not implement COPY FROM STDIN (it crashes); this runs on "
                    "native TimescaleDB (TSDB_TEST_DSN) and the same steps run on PostgreSQL 15 in test_recovery_postgres")
    schema, start, end = hypertable["schema"], NOW - timedelta(days=20), NOW - timedelta(days=2)
    manifest_file, export = export_eurusd(tsdb, hypertable, caplog, start, end)
    lost_from, lost_to = NOW - timedelta(days=15), NOW - timedelta(days=5)  # spans compressed and uncompressed chunks
    lost = slice_of(tsdb, schema, lost_from, lost_to)
    with tsdb.connect() as conn:
        conn.execute(f'DELETE FROM "{schema}".market_data WHERE symbol = %s AND timestamp >= %s AND timestamp < %s',
                     ("EURUSD", lost_from, lost_to))
    assert slice_of(tsdb, schema, lost_from, lost_to)[0] == 0

    state, states, output = run("db_selective_recovery", {"export": manifest_file, "dry_run": False}, 2, caplog)
    assert state == "success", states
    assert f"{lost[0]} rows inserted, {export['rows'] - lost[0]} already present" in output
    assert slice_of(tsdb, schema, lost_from, lost_to) == lost
    with tsdb.connect() as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename LIKE %s",
                            (schema, "market_data_recovery_%")).fetchone()[0] == 0


def test_tables_mode_exports_a_hypertable_with_copy_because_pg_dump_would_dump_no_rows(tsdb, hypertable, caplog):
    schema = hypertable["schema"]
    state, states, output = run("db_selective_backup", {"mode": "tables", "tables": [f"{schema}.market_data"],
                                                         "dry_run": False}, 3, caplog)
    assert state == "success", states
    assert "a hypertable: pg_dump -t would dump zero rows of it" in output
    export = json.loads((hypertable["root"] / f"selective/{schema}.market_data_20260302T120300.json").read_text())
    with tsdb.connect() as conn:
        assert export["rows"] == conn.execute(f'SELECT count(*) FROM "{schema}".market_data').fetchone()[0] > 0
    assert export["range"] is None and export["symbol"] is None
