"""The heavy-work pool under the real Airflow scheduler: `db_vacuum_analyze` (VACUUM (ANALYZE) of market_data)
and `db_weekly_maintenance` (compression, the whole database's VACUUM (ANALYZE), ANALYZE of chunks), triggered
together against one TimescaleDB database, never run their heavy steps at the same time while the pool has its
1 slot; given 2 slots, the same pair does (the control that shows the assertion can fail).

Airflow runs as in production, not through `dag.test()`: scheduler with the LocalExecutor (4 task processes at
once), dag-processor and api-server on a PostgreSQL metadata database (`harness.airflow_scheduler`); the runs are
triggered through the REST API and their task instances read back from it.

No timing is involved. While both runs start, the test holds a SHARE UPDATE EXCLUSIVE lock on market_data, as a
long VACUUM or a schema change of someone else would. Every heavy step of both DAGs needs that lock, so the first
to start keeps running (waiting for the lock at the database) until the test has seen what the scheduler does
with the other DAG's heavy step: with 1 slot it stays `scheduled` through a whole scheduler loop (a scheduler
heartbeat later than its scheduled time; the heartbeat is written after the loop's critical section, where task
instances are queued into their pools), with 2 slots it runs too. Then the lock goes, both runs must succeed, and
the task instances' times decide. Both tests take 80-125 s on 2 busy cores, most of it Airflow starting and
task processes starting. A failing test leaves the components' and the tasks' logs in test-artifacts/heavy-pool-scheduler/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path
from typing import Any

import psycopg
import pytest

from harness.airflow_scheduler import FINISHED_RUN_STATES, AirflowScheduler, drop_database
from harness.market_data import create_schema, insert_bars

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "heavy-pool-scheduler"
POOL = "tsdb_heavy"  # the default heavy_db_pool
OPS_DATABASE = "heavy_pool_ops"
# The two runs, as an operator starts them: a confirmed VACUUM (ANALYZE) of market_data, and the weekly maintenance.
RUNS: dict[str, dict[str, Any]] = {
    "db_vacuum_analyze": {"table": "market_data", "dry_run": False},
    "db_weekly_maintenance": {},
}
# Steps that load the database: each must be in the pool (the DAGs may put more steps there).
LOADING_STEPS = {
    "db_vacuum_analyze": {"vacuum_analyze"},
    "db_weekly_maintenance": {"compress_chunks_past_weekly_age", "vacuum_analyze_database", "analyze_stale_chunks"},
}


@pytest.fixture(scope="module")
def ops_database(pg15) -> Iterator[str]:
    """A TimescaleDB database of its own (the weekly DAG vacuums a whole database): market_data with 10 weeks of
    H1 bars of two symbols, compression enabled and nothing compressed yet."""
    if not pg15.timescale:
        pytest.skip("needs native TimescaleDB in the harness cluster (make setup with TSDB_SOURCE_TARBALL): the WASM "
                    "build serves one connection at a time, so no two tasks could load it together")
    dsn = pg15.create_database(OPS_DATABASE, timescaledb=True)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with psycopg.connect(dsn, autocommit=True) as conn:
        create_schema(conn, hypertable=True)
        for symbol in ("EURUSD", "GBPUSD"):
            insert_bars(conn, symbol, "H1", now - timedelta(days=70), now)
        conn.execute("ALTER TABLE market_data SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol')")
    yield dsn
    drop_database(pg15, OPS_DATABASE)


@pytest.fixture(scope="module")
def airflow(pg15, ops_database, tmp_path_factory) -> Iterator[AirflowScheduler]:
    base = tmp_path_factory.mktemp("heavy-pool-airflow")
    config = {
        "retries": 0,
        "lock_timeout_ms": 600_000,  # the heavy steps wait for the test's lock instead of failing after 5 s
        "log_dir": str(base / "ops-logs"),
        "report_dir": str(base / "ops-reports"),
    }
    scheduler = AirflowScheduler(
        base, cluster=pg15, metadata_db="airflow_heavy_pool",
        dag_files=[ROOT / "dags" / f"{dag_id}.py" for dag_id in RUNS],
        env={"AIRFLOW_CONN_TSDB_POSTGRES": ops_database, "AIRFLOW_VAR_TSDB_OPS_CONFIG": json.dumps(config)},
    )
    try:
        with scheduler.logs_kept_on_failure(ARTIFACTS / "start"):
            scheduler.start()
        yield scheduler
    finally:
        scheduler.stop()


@contextmanager
def market_data_locked(dsn: str) -> Iterator[None]:
    """SHARE UPDATE EXCLUSIVE on market_data, as a long VACUUM holds it: reads and inserts go on, every VACUUM,
    ANALYZE and compression of it waits."""
    with psycopg.connect(dsn) as conn:
        conn.execute("LOCK TABLE market_data IN SHARE UPDATE EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


def heavy_steps(airflow: AirflowScheduler, runs: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Per DAG, the task instances of its run that take the heavy pool."""
    return {dag_id: [ti for ti in airflow.task_instances(dag_id, run_id) if ti["pool"] == POOL]
            for dag_id, run_id in runs.items()}


def contention(airflow: AirflowScheduler, runs: dict[str, str]) -> str | None:
    """What the scheduler did with the second DAG's heavy step while the first one runs (held at the lock):
    "overlap" when both run, "waited" when one runs and the other's stayed `scheduled` through a scheduler loop.

    The reads are not one snapshot, so the claims are made safe by their order: a step seen running in two reads
    ran all the time between them, and a step still `scheduled` after a heartbeat later than its scheduled time
    (read first) was passed over by that loop's critical section."""
    heartbeat = airflow.scheduler_heartbeat()
    first, second = heavy_steps(airflow, runs), heavy_steps(airflow, runs)
    running = {dag_id for dag_id, _ in running_steps(first) & running_steps(second)}
    if len(running) == 2:
        return "overlap"
    passed_over = [ti for dag_id, tis in second.items() if dag_id not in running for ti in tis
                   if ti["state"] == "scheduled" and heartbeat and heartbeat > ti["scheduled_when"]]
    return "waited" if running and passed_over else None


def running_steps(steps: dict[str, list[dict[str, Any]]]) -> set[tuple[str, str]]:
    return {(dag_id, ti["task_id"]) for dag_id, tis in steps.items() for ti in tis if ti["state"] == "running"}


def describe(airflow: AirflowScheduler, runs: dict[str, str]) -> str:
    return "Task instances: " + "; ".join(
        f"{dag_id}: " + ", ".join(f"{ti['task_id']}={ti['state']}" for ti in airflow.task_instances(dag_id, run_id))
        for dag_id, run_id in runs.items())


def run_pair(airflow: AirflowScheduler, dsn: str, slots: int) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """Trigger both DAGs with the pool at ``slots`` while market_data is locked; release the lock once the
    scheduler has shown how it treats the two heavy steps; wait for both runs to succeed. Returns what was seen
    and the heavy task instances of each run."""
    airflow.set_pool(POOL, slots)
    with market_data_locked(dsn):
        runs = {dag_id: airflow.trigger(dag_id, conf) for dag_id, conf in RUNS.items()}
        seen = airflow.wait_for(f"a heavy step of each DAG running or waiting for the pool ({slots} slot(s))",
                                lambda: contention(airflow, runs), timeout=120, seen=lambda: describe(airflow, runs))
    airflow.wait_for("both runs to finish", lambda: all(
        airflow.run_state(dag_id, run_id) in FINISHED_RUN_STATES for dag_id, run_id in runs.items()),
        timeout=120, seen=lambda: describe(airflow, runs))
    states = {dag_id: airflow.run_state(dag_id, run_id) for dag_id, run_id in runs.items()}
    assert set(states.values()) == {"success"}, f"{states}. {describe(airflow, runs)}"
    steps = heavy_steps(airflow, runs)
    for dag_id, loading in LOADING_STEPS.items():
        assert loading <= {ti["task_id"] for ti in steps[dag_id]}, f"{dag_id}: steps outside the pool {POOL}"
    return seen, steps


def cross_pairs(steps: dict[str, list[dict[str, Any]]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (heavy step of one DAG, heavy step of the other DAG) that ran, both orders."""
    first, second = ([ti for ti in tis if ti["state"] == "success"] for tis in steps.values())
    return [*product(first, second), *product(second, first)]


def overlapped(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["start_date"] < b["end_date"] and b["start_date"] < a["end_date"]


def span(ti: dict[str, Any]) -> str:
    return f"{ti['dag_id']}.{ti['task_id']} {ti['start_date']:%H:%M:%S.%f}-{ti['end_date']:%H:%M:%S.%f}"


def test_one_slot_keeps_the_heavy_steps_of_two_dags_apart_and_one_waits_for_the_slot(airflow, ops_database,
                                                                                        request):
    with airflow.logs_kept_on_failure(ARTIFACTS / request.node.name):
        seen, steps = run_pair(airflow, ops_database, slots=1)
        assert seen == "waited", "with 1 slot the two DAGs' heavy steps ran at the same time"
        pairs = cross_pairs(steps)
        assert not [p for p in pairs if overlapped(*p)], [f"{span(a)} overlaps {span(b)}" for a, b in pairs
                                                          if overlapped(a, b)]
        # ready to run while the other DAG's step ran, queued only once that step had ended
        waits = [(a, b) for a, b in pairs if b["scheduled_when"] < a["end_date"] <= b["queued_when"]]
        assert waits, [f"{span(a)} / {span(b)} scheduled {b['scheduled_when']} queued {b['queued_when']}"
                       for a, b in pairs]


def test_two_slots_let_the_same_heavy_steps_overlap(airflow, ops_database, request):
    """The control: the same pair with 2 slots runs its heavy steps at the same time, so the assertion above
    can fail."""
    with airflow.logs_kept_on_failure(ARTIFACTS / request.node.name):
        seen, steps = run_pair(airflow, ops_database, slots=2)
        assert seen == "overlap"
        assert [p for p in cross_pairs(steps) if overlapped(*p)], [span(ti) for tis in steps.values() for ti in tis]
