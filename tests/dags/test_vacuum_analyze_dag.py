"""db_vacuum_analyze end to end with dag.test(run_conf=...) against the harness's TimescaleDB.

Market data in a unique schema: market_data a hypertable (7-day chunks, one compressed), ml_predictions a plain
table. What a VACUUM leaves behind is read from the server: ``pg_stat_user_tables.last_vacuum`` (set only by a
manual VACUUM, never by autovacuum) and each relation's relfilenode (only VACUUM FULL gives it a new one).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from harness.dag_runs import load_dag, task_states
from harness.market_data import create_schema, insert_bars, insert_predictions


@pytest.fixture
def vacuum_env(tsdb, airflow_home, monkeypatch, tmp_path):
    if tsdb.is_wasm:
        pytest.skip("needs native TimescaleDB: the WASM build keeps no vacuum statistics")
    schema = f"vac_{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with tsdb.connect() as conn:
        conn.prepare_threshold = None
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        create_schema(conn, hypertable=True)
        insert_bars(conn, "EURUSD", "H1", now - timedelta(days=28), now)
        insert_predictions(conn, now - timedelta(days=2), now)
        conn.execute(f'ALTER TABLE "{schema}".market_data SET (timescaledb.compress,'
                     " timescaledb.compress_segmentby = 'symbol')")
        conn.execute(f"SELECT compress_chunk(c) FROM show_chunks('\"{schema}\".market_data'::regclass) c LIMIT 1")
        for table in ("market_data", "ml_predictions"):  # no autovacuum may rewrite or vacuum during the test
            conn.execute(f'ALTER TABLE "{schema}".{table} SET (autovacuum_enabled = false)')
    config = {"hypertable": f"{schema}.market_data", "retries": 0, "log_dir": str(tmp_path / "logs"),
              "report_dir": str(tmp_path / "reports")}
    monkeypatch.setenv("AIRFLOW_CONN_TSDB_POSTGRES", tsdb.dsn())
    monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps(config))
    yield {"schema": schema, "table": f"{schema}.market_data", "log": tmp_path / "logs" / "db_maintenance.log"}
    with tsdb.connect() as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _relations(tsdb, schema: str) -> dict[str, dict]:
    """The schema's tables, the hypertable's chunks and its compressed chunks: manual vacuum time and file."""
    with tsdb.connect() as conn:
        rows = conn.execute(
            """
            WITH rels AS (
                SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = %(schema)s AND c.relkind = 'r'
                UNION ALL
                SELECT format('%%I.%%I', chunk_schema, chunk_name)::regclass::oid
                FROM timescaledb_information.chunks WHERE hypertable_schema = %(schema)s
                UNION ALL
                SELECT cc.oid FROM _timescaledb_catalog.chunk ch
                JOIN _timescaledb_catalog.chunk cmp ON cmp.id = ch.compressed_chunk_id
                JOIN _timescaledb_catalog.hypertable h ON h.id = ch.hypertable_id AND h.schema_name = %(schema)s
                JOIN pg_class cc ON cc.relname = cmp.table_name
            )
            SELECT s.relname, s.last_vacuum, c.relfilenode
            FROM rels JOIN pg_class c ON c.oid = rels.oid JOIN pg_stat_user_tables s ON s.relid = rels.oid
            """, {"schema": schema}).fetchall()
    return {name: {"last_vacuum": last_vacuum, "relfilenode": node} for name, last_vacuum, node in rows}


def _wait_vacuumed(tsdb, schema: str, names: set[str], seconds: float = 10) -> dict[str, dict]:
    deadline = time.monotonic() + seconds
    while True:
        relations = _relations(tsdb, schema)
        if all(relations[n]["last_vacuum"] for n in names) or time.monotonic() > deadline:
            return relations


def test_vacuum_dag_is_manual_a_dry_run_by_default_with_nullable_target_params():
    dag = load_dag("db_vacuum_analyze")
    assert type(dag.timetable).__name__ == "NullTimetable" and {"manual", "maintenance"} <= set(dag.tags)
    assert dag.params["dry_run"] is True and dag.params["full"] is False
    for name in ("table", "confirm"):
        param = dag.params.get_param(name)
        assert param.value is None and param.schema["type"] == ["null", "string"] and param.description
    assert [t.task_id for t in dag.topological_sort()] == ["validate_params", "vacuum_analyze"]


def test_dry_run_logs_the_exact_statement_and_vacuums_nothing(tsdb, vacuum_env):
    before = _relations(tsdb, vacuum_env["schema"])
    assert len(before) >= 6 and not any(r["last_vacuum"] for r in before.values())
    for conf in ({"table": vacuum_env["table"]}, {}, {"full": True}):
        run = load_dag("db_vacuum_analyze").test(run_conf=conf)
        assert task_states(run) == {"validate_params": "success", "vacuum_analyze": "skipped"}
    assert _relations(tsdb, vacuum_env["schema"]) == before
    log = vacuum_env["log"].read_text()
    schema = vacuum_env["schema"]
    assert f'Run `VACUUM (ANALYZE) "{schema}"."market_data"` on hypertable {vacuum_env["table"]}' in log
    chunks = sum(n.startswith("_hyper_") for n in before)
    assert f"is a hypertable: TimescaleDB runs it on each of its {chunks} chunks and on the compressed chunks' tables" in log
    assert "Run `VACUUM (ANALYZE)` on the whole database" in log
    assert "A run with dry_run=false also needs confirm=ALL" in log
    assert "Dry run: nothing changed" in log


def test_vacuum_of_a_hypertable_vacuums_every_chunk_and_compressed_chunk_without_rewriting(tsdb, vacuum_env):
    before = _relations(tsdb, vacuum_env["schema"])
    run = load_dag("db_vacuum_analyze").test(run_conf={"table": vacuum_env["table"], "dry_run": False})
    assert set(task_states(run).values()) == {"success"}
    hypertable_side = {n for n in before if n != "ml_predictions"}
    after = _wait_vacuumed(tsdb, vacuum_env["schema"], hypertable_side)
    assert any(n.startswith("compress_hyper_") for n in hypertable_side)
    assert all(after[n]["last_vacuum"] for n in hypertable_side), after
    assert after["ml_predictions"]["last_vacuum"] is None  # only the table asked for
    assert {n: r["relfilenode"] for n, r in after.items()} == {n: r["relfilenode"] for n, r in before.items()}


def test_vacuum_without_a_table_vacuums_the_whole_database(tsdb, vacuum_env):
    run = load_dag("db_vacuum_analyze").test(run_conf={"table": None, "dry_run": False})
    assert set(task_states(run).values()) == {"success"}
    after = _wait_vacuumed(tsdb, vacuum_env["schema"], set(_relations(tsdb, vacuum_env["schema"])))
    assert all(r["last_vacuum"] for r in after.values()), after


def test_vacuum_full_is_refused_without_confirmation_and_rewrites_every_chunk_when_confirmed(tsdb, vacuum_env, capfd):
    before = _relations(tsdb, vacuum_env["schema"])
    for confirm in (None, "", "ml_predictions", "ALL"):
        capfd.readouterr()
        run = load_dag("db_vacuum_analyze").test(
            run_conf={"table": vacuum_env["table"], "full": True, "confirm": confirm, "dry_run": False})
        assert task_states(run) == {"validate_params": "failed", "vacuum_analyze": "upstream_failed"}
        assert "VACUUM FULL rewrites" in capfd.readouterr().out
    whole = load_dag("db_vacuum_analyze").test(run_conf={"full": True, "confirm": vacuum_env["table"], "dry_run": False})
    assert task_states(whole) == {"validate_params": "failed", "vacuum_analyze": "upstream_failed"}
    assert _relations(tsdb, vacuum_env["schema"]) == before

    run = load_dag("db_vacuum_analyze").test(
        run_conf={"table": vacuum_env["table"], "full": True, "confirm": vacuum_env["table"], "dry_run": False})
    assert set(task_states(run).values()) == {"success"}
    after = _relations(tsdb, vacuum_env["schema"])
    rewritten = {n for n in before if after[n]["relfilenode"] != before[n]["relfilenode"]}
    assert rewritten == {n for n in before if n != "ml_predictions"}


@pytest.mark.parametrize(("table", "error"), [
    ("market_data; DROP TABLE market_data", "ParamError: param table='market_data; DROP TABLE market_data' is not a "
                                            "table name"),
    ('market_data" CASCADE; --', "is not a table name"),
    ("no_such_table", "ParamError: param table: table 'no_such_table' does not exist"),
], ids=["statement-injection", "quote-injection", "unknown-table"])
def test_malicious_or_unknown_table_fails_the_first_task_with_a_clear_error_and_changes_nothing(
        tsdb, vacuum_env, capfd, table, error):
    before = _relations(tsdb, vacuum_env["schema"])
    capfd.readouterr()
    run = load_dag("db_vacuum_analyze").test(run_conf={"table": table, "full": True, "confirm": table, "dry_run": False})
    assert task_states(run) == {"validate_params": "failed", "vacuum_analyze": "upstream_failed"}
    assert error in capfd.readouterr().out
    assert _relations(tsdb, vacuum_env["schema"]) == before
