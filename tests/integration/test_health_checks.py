"""The health checks against the harness: a lock the test holds, deleted rows, a failing TimescaleDB job,
pg_stat_statements absent and loaded, chunk indexes, overdue compression, and an unhealthy container."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg.rows import dict_row

from harness.market_data import create_schema, load_market_data
from harness.postgres import PostgresCluster
from tsdb_ops.config import OpsConfig
from tsdb_ops.files import read_sql
from tsdb_ops.health import bloat, compression, containers, indexes, jobs, locks, queries
from tsdb_ops.health.result import CheckResult
from tsdb_ops.health.target import resolve_health_target
from tsdb_ops.timescale.jobs import NO_RUNS_NOTE
from tsdb_ops.timescale.table import TableError


def _rows(conn: psycopg.Connection, sql_file: str, params: dict | None = None) -> list[dict]:
    """What the DAG's SQL step of ``sql_file`` hands to its check: the rows as dicts."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(read_sql(sql_file), params).fetchall()


def _bloat(conn: psycopg.Connection, target, config: OpsConfig) -> CheckResult:
    return bloat.judge_bloat(target, _rows(conn, bloat.TABLE_STATS_SQL, target.sql_params),
                             _rows(conn, indexes.INDEX_STATS_SQL, target.sql_params), config)


NOW = datetime.now(UTC)


def _until(probe: Callable[[], CheckResult], done: Callable[[CheckResult], bool], seconds: float = 20) -> CheckResult:
    """Statistics reach the views asynchronously: run the check until it sees what the test did."""
    deadline = time.monotonic() + seconds
    while True:
        result = probe()
        if done(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


@pytest.fixture
def pg_market(pg15) -> Iterator[str]:
    """A fresh database on PostgreSQL 15 with market_data as a plain table (autovacuum off for it)."""
    name = f"health_{uuid.uuid4().hex[:8]}"
    dsn = pg15.create_database(name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        load_market_data(conn, now=NOW, hypertable=False, h1_days=60, m1_days=2)
        conn.execute("ALTER TABLE market_data SET (autovacuum_enabled = false)")
        conn.execute("ANALYZE market_data")
    yield dsn
    with psycopg.connect(pg15.dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def tsdb_schema(tsdb) -> Iterator[str]:
    """market_data as a hypertable (7-day chunks, 35 days of bars) in a schema of its own on the TimescaleDB target."""
    schema = f"health_{uuid.uuid4().hex[:8]}"
    with tsdb.connect() as conn:
        conn.prepare_threshold = None
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        load_market_data(conn, now=NOW, hypertable=True, h1_days=35, m1_days=1)
        conn.execute("ANALYZE market_data")
    yield schema
    with tsdb.connect() as conn:
        conn.prepare_threshold = None
        conn.execute("SELECT delete_job(job_id) FROM timescaledb_information.jobs WHERE hypertable_schema = %s", (schema,))
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_blocked_lock_is_reported_with_blocked_and_blocking_pids_and_masked_statements(pg_market):
    config = OpsConfig.from_mapping({"health_lock_wait_warning_seconds": 0, "health_lock_wait_critical_seconds": 3600})
    holder = psycopg.connect(pg_market)
    waiter = psycopg.connect(pg_market, autocommit=True)
    observer = psycopg.connect(pg_market, autocommit=True)
    try:
        holder.execute("LOCK TABLE market_data IN ACCESS EXCLUSIVE MODE")
        holder.execute("SELECT 'Sup3rSecretLiteral' AS note")
        holder_pid, waiter_pid = holder.info.backend_pid, waiter.info.backend_pid
        waiter.execute("SET lock_timeout = '20s'")
        outcome: list[object] = []
        thread = threading.Thread(
            target=lambda: outcome.append(waiter.execute("SELECT count(*) FROM market_data").fetchone()), daemon=True
        )
        thread.start()
        result = _until(lambda: locks.judge_locks(_rows(observer, locks.BLOCKED_LOCKS_SQL), config),
                        lambda r: bool(r.findings))
        # default limits: a wait of seconds is not a finding
        quiet = locks.judge_locks(_rows(observer, locks.BLOCKED_LOCKS_SQL), OpsConfig())
    finally:
        holder.rollback()
        holder.close()
    thread.join(25)
    waiter.close()
    observer.close()

    (finding,) = result.findings
    assert finding.key == "health.locks.blocked" and finding.severity == "warning"
    assert finding.facts["blocked_pids"] == [waiter_pid]
    assert finding.facts["root_blocking_pids"] == [holder_pid]
    assert outcome and outcome[0][0] > 0  # the waiter got its answer once the lock was released
    row = next(r for r in result.rows if r[0] == waiter_pid)
    assert row[5] == holder_pid and "count(*) FROM market_data" in row[4]
    assert "Sup3rSecretLiteral" not in str(result.as_dict()) and "'?'" in row[8]
    assert quiet.findings == [] and quiet.rows


def test_deleted_rows_show_as_dead_tuple_percentage_and_estimated_table_bloat(pg_market):
    config = OpsConfig.from_mapping({"health_dead_tuple_min_count": 1, "health_dead_tuple_max_percent": 20,
                                     "health_bloat_min_bytes": 0, "health_bloat_max_percent": 30})
    with psycopg.connect(pg_market, autocommit=True) as conn:
        target = resolve_health_target(conn, "public.market_data")
        fresh = _bloat(conn, target, config)
        with psycopg.connect(pg_market, autocommit=True) as deleter:  # its statistics are flushed when it closes
            deleted = deleter.execute(
                "DELETE FROM market_data WHERE timeframe = 'M1' OR extract(hour FROM timestamp) < 12").rowcount
        conn.execute("ANALYZE market_data")
        total = deleted + conn.execute("SELECT count(*) FROM market_data").fetchone()[0]
        after = _until(lambda: _bloat(conn, target, config),
                       lambda r: any(f.key.startswith("health.dead_tuples.") for f in r.findings))

    assert fresh.findings == [] and not target.table.is_hypertable and target.relids == [target.table.relid]
    keys = {f.key: f for f in after.findings}
    dead = keys["health.dead_tuples.public.market_data"]
    assert dead.facts["dead_tuples"] == deleted
    assert dead.facts["dead_percent"] == pytest.approx(100 * deleted / total, abs=1)
    table_row = next(r for r in after.rows if r[1] == "table")
    fresh_row = next(r for r in fresh.rows if r[1] == "table")
    assert fresh_row[4] < 15 < 100 * deleted / total - 15 < table_row[4]  # estimate: low when fresh, ~deleted share after
    assert "health.bloat.table.public.market_data" in keys


def test_pg_stat_statements_absent_gives_a_note_saying_how_to_enable_it():
    cluster = PostgresCluster("health-nopgss", timescale=False).start()  # a server without the library preloaded
    try:
        with psycopg.connect(cluster.create_database("market"), autocommit=True) as conn:
            create_schema(conn, hypertable=False)
            target = resolve_health_target(conn, "market_data")
            result = queries.check_slow_queries(conn, target, OpsConfig())
    finally:
        cluster.destroy()
    assert result.findings == [] and result.rows == []
    (note,) = result.notes
    assert "shared_preload_libraries" in note and "CREATE EXTENSION pg_stat_statements in database market" in note


def test_slow_statements_are_reported_when_pg_stat_statements_is_loaded():
    cluster = PostgresCluster("health-pgss", timescale=False).start()  # own cluster: loading a library needs a restart
    try:
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        cluster.restart()
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
            conn.execute("CREATE TABLE market_data (timestamp timestamptz, symbol text)")
            for _ in range(3):
                conn.execute("SELECT pg_sleep(0.06), 'literal-in-statement'")
            conn.execute("SELECT 1")
            target = resolve_health_target(conn, "market_data")
            result = queries.check_slow_queries(conn, target, OpsConfig.from_mapping({"health_slow_query_mean_ms": 50}))
    finally:
        cluster.destroy()
    assert result.notes == []
    (finding,) = result.findings
    assert finding.key == "health.queries.slow" and finding.facts["statements"] == 1
    assert len(result.rows) == 1 and "pg_sleep" in result.rows[0][6] and result.rows[0][1] == 3


def test_unknown_table_fails_with_the_setting_to_fix(pg_market):
    with psycopg.connect(pg_market, autocommit=True) as conn, pytest.raises(TableError, match="'hypertable'"):
        resolve_health_target(conn, "public.no_such_table")


def test_hypertable_tuples_and_indexes_are_summed_over_its_chunks(tsdb, tsdb_schema):
    config = OpsConfig.from_mapping({"health_dead_tuple_min_count": 1, "health_unused_index_min_bytes": 0})
    table = f'"{tsdb_schema}".market_data'
    with tsdb.connect() as conn:
        conn.prepare_threshold = None  # the WASM server shares one backend between clients
        conn.execute(f"CREATE INDEX ix_health_spread ON {table} (spread)")
        conn.execute(f"DELETE FROM {table} WHERE symbol = 'XAUUSD'")
        # Flush the DELETE's counters before ANALYZE sets absolute ones, or they are applied twice on top of them.
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute(f"ANALYZE {table}")
        rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        chunks = conn.execute("SELECT count(*) FROM show_chunks(%s::regclass)", (table,)).fetchone()[0]
        parent_live = conn.execute("SELECT coalesce(n_live_tup, 0) FROM pg_stat_user_tables WHERE relid = %s::regclass",
                                   (table,)).fetchone()[0]
        target = resolve_health_target(conn, f"{tsdb_schema}.market_data")
        dead = _until(lambda: _bloat(conn, target, config), lambda r: bool(r.findings),
                      seconds=1 if tsdb.is_wasm else 20)
        usage = indexes.judge_index_usage(target, _rows(conn, indexes.INDEX_STATS_SQL, target.sql_params), config)
        # n_live_tup is the statistics' estimate (ANALYZE samples), not count(*): compare with the chunks' own stats.
        chunk_live = conn.execute("SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE relid IN "
                                  "(SELECT show_chunks(%s::regclass))", (table,)).fetchone()[0]

    assert target.table.is_hypertable and len(target.relids) == chunks >= 5
    assert parent_live == 0  # the parent the guide's query read is empty
    assert f"{tsdb_schema}.market_data: {chunk_live} live" in dead.notes[0] and f"over {chunks} chunk(s)" in dead.notes[0]
    assert chunk_live == pytest.approx(rows, rel=0.05)
    by_index = {row[0]: row for row in usage.rows}
    assert by_index[f"{tsdb_schema}.ux_market_data_sym_tf_ts"][5] == chunks
    assert by_index[f"{tsdb_schema}.ix_health_spread"][5] == chunks
    unused = {f.key for f in usage.findings}
    assert f"health.indexes.unused.{tsdb_schema}.ix_health_spread" in unused
    assert f"health.indexes.unused.{tsdb_schema}.ux_market_data_sym_tf_ts" not in unused  # unique: enforces a key
    if tsdb.is_wasm:
        pytest.skip("WASM TimescaleDB never flushes a session's DELETE counters to pg_stat_user_tables (n_dead_tup "
                    "stays 0, verified): dead tuples are checked on PostgreSQL 15 above and here with TSDB_TEST_DSN")
    finding = next(f for f in dead.findings if f.key == f"health.dead_tuples.{tsdb_schema}.market_data")
    assert finding.facts["dead_percent"] == pytest.approx(100 / 3, abs=3)


def test_uncompressed_chunks_older_than_the_policy_are_reported_until_compressed(tsdb, tsdb_schema):
    table = f'"{tsdb_schema}".market_data'
    with tsdb.connect() as conn:
        conn.prepare_threshold = None
        conn.execute(f"ALTER TABLE {table} SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol')")
        target = resolve_health_target(conn, f"{tsdb_schema}.market_data")
        without_policy = compression.check_compression(conn, target, OpsConfig())
        conn.execute(f"SELECT add_compression_policy('{table}', compress_after => interval '14 days')")
        with_policy = compression.check_compression(conn, target, OpsConfig())
        expected = conn.execute(
            "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = %s AND NOT is_compressed"
            " AND range_end <= now() - interval '14 days'", (tsdb_schema,)).fetchone()[0]
        conn.execute(f"SELECT compress_chunk(c) FROM show_chunks('{table}', older_than => interval '14 days') c")
        compressed = compression.check_compression(conn, target, OpsConfig())

    (first,) = without_policy.findings
    assert first.facts["compress_after_days"] == 7 and first.facts["policy_job_id"] is None
    (second,) = with_policy.findings
    assert second.key == "health.compression.overdue" and second.facts["compress_after_days"] == 14
    assert second.facts["chunks"] == expected >= 1 and second.facts["bytes"] > 0 and second.facts["policy_job_id"]
    assert compressed.findings == [] and compressed.rows == []


def test_failing_timescaledb_job_is_reported(tsdb, tsdb_schema):
    with tsdb.connect() as conn:
        conn.prepare_threshold = None
        conn.execute(f'CREATE PROCEDURE "{tsdb_schema}".failing_job(job_id int, config jsonb) LANGUAGE plpgsql AS '
                     "$$ BEGIN RAISE EXCEPTION 'health test: simulated job failure'; END $$")
        job_id = conn.execute(f"SELECT add_job('\"{tsdb_schema}\".failing_job', interval '1 hour')").fetchone()[0]
        try:
            with pytest.raises(psycopg.errors.RaiseException, match="simulated job failure"):
                conn.execute(f"CALL run_job({int(job_id)})")
            if not tsdb.is_wasm:  # let the scheduler run it too, so job_stats records the failure
                conn.execute("SELECT alter_job(%s, next_start => now())", (job_id,))
            target = resolve_health_target(conn, f"{tsdb_schema}.market_data")
            key = f"health.jobs.failing.{job_id}"
            result = _until(lambda: jobs.check_jobs(conn, target, OpsConfig()),
                            lambda r: any(f.key == key for f in r.findings), seconds=5 if tsdb.is_wasm else 90)
        finally:
            conn.execute("SELECT delete_job(%s)", (job_id,))
    assert any(row[0] == job_id and row[1].endswith(".failing_job") for row in result.rows)
    if tsdb.is_wasm:
        # Verified on the WASM build: a failing run_job leaves job_stats at 0 failures and job_errors empty, and
        # no scheduler runs jobs, so the check can only say that no job has run.
        assert NO_RUNS_NOTE in result.notes and result.findings == []
        pytest.skip("WASM TimescaleDB records no job run (no scheduler; run_job failures are not stored): "
                    "set TSDB_TEST_DSN to a native TimescaleDB to check the failed-job finding")
    finding = next(f for f in result.findings if f.key == key)
    assert "simulated job failure" in finding.message and finding.severity == "warning"


def test_unhealthy_container_of_the_stack_is_critical(docker_client):
    from airflow.providers.docker.hooks.docker import DockerHook

    tag = uuid.uuid4().hex[:8]
    labels = {"tsdb_ops_health_test": tag}
    sick = docker_client.containers.run(
        "tsdb-ops-test/busybox:latest", ["sleep", "120"], name=f"tsdb-ops-health-sick-{tag}", detach=True, labels=labels,
        healthcheck={"test": ["CMD", "sh", "-c", "echo db not ready; exit 1"], "interval": 500_000_000,
                     "timeout": 2_000_000_000, "retries": 1},
    )
    plain = docker_client.containers.run("tsdb-ops-test/busybox:latest", ["sleep", "120"],
                                         name=f"tsdb-ops-health-plain-{tag}", detach=True, labels=labels)
    try:
        api = DockerHook(docker_conn_id=None, base_url="unix://var/run/docker.sock", version="auto").api_client
        by_label = _until(lambda: containers.check_containers(api, f"label:tsdb_ops_health_test={tag}"),
                          lambda r: bool(r.findings), seconds=30)
        by_name = containers.check_containers(api, f"name:tsdb-ops-health-sick-{tag}")
    finally:
        sick.remove(force=True)
        plain.remove(force=True)
    (finding,) = by_label.findings
    assert finding.key == f"health.containers.unhealthy.tsdb-ops-health-sick-{tag}" and finding.severity == "critical"
    assert "db not ready" in finding.message
    assert sorted(r[0] for r in by_label.rows) == [f"tsdb-ops-health-plain-{tag}", f"tsdb-ops-health-sick-{tag}"]
    assert [r[0] for r in by_name.rows] == [f"tsdb-ops-health-sick-{tag}"]
