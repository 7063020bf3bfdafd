"""The demo: every scheduled DAG once, end to end, on throwaway databases, then a short report.

Starts the test harness's services (a PostgreSQL 15 cluster with native TimescaleDB when `make setup` built it
from TSDB_SOURCE_TARBALL — else, as a fallback, the WASM build for the TimescaleDB DAGs and a plain table for the
backups —, a local SMTP server and webhook receiver; the Docker engine is started by `make setup`), loads months
of realistic market data, and runs each DAG with `airflow dags test`.

    make demo                 # run everything once and print the summary
    make standalone           # same setup, then `airflow standalone` to click through the UI

Everything is written under demo-output/ (backups, logs, reports, AIRFLOW_HOME).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests")]

import psycopg  # noqa: E402

from harness.mail import SmtpServer  # noqa: E402
from harness.market_data import load_market_data  # noqa: E402
from harness.postgres import PostgresCluster  # noqa: E402
from harness.timescale import TimescaleTarget  # noqa: E402
from harness.webhooks import WebhookServer  # noqa: E402

OUT = ROOT / "demo-output"
MODELS_VOLUME = "tsdb_ops_demo_models"
TEST_IMAGES = {"pg_client_image": "tsdb-ops-test/pg-client:15", "busybox_image": "tsdb-ops-test/busybox:latest"}

# (dag id, database it runs against). With native TimescaleDB everything runs against the one TimescaleDB
# database, as in production; on the WASM fallback backups run on a plain PostgreSQL 15 table, because pg_dump 15
# cannot dump the WASM TimescaleDB (PostgreSQL 17).
DAG_RUNS = [
    ("db_policy_setup", "tsdb"),  # with {"apply": true}: the daily DAG runs the policies this creates
    ("db_daily_cleanup", "tsdb"),
    ("db_weekly_maintenance", "tsdb"),
    ("db_nightly_backup", "backup"),
    ("db_restore_verification", "backup"),
    ("db_backup_monitor", "backup"),
    ("db_health_check", "backup"),
]


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def prepare_models_volume() -> None:
    import docker

    client = docker.from_env(version="auto")
    try:
        client.volumes.get(MODELS_VOLUME)
    except docker.errors.NotFound:
        client.volumes.create(MODELS_VOLUME)
    client.containers.run(
        TEST_IMAGES["busybox_image"],
        ["sh", "-c", "mkdir -p /models/lstm && for i in 1 2 3; do head -c 300000 /dev/urandom > /models/lstm/w$i.bin; done"
         " && echo '{\"version\": \"lstm-v3\"}' > /models/lstm/meta.json"],
        volumes={MODELS_VOLUME: {"bind": "/models", "mode": "rw"}}, remove=True,
    )


def prepare_stack_project() -> Path:
    project = OUT / "mt5-trading-db"
    (project / "api").mkdir(parents=True, exist_ok=True)
    (project / "docker-compose.yml").write_text("services:\n  db:\n    image: timescale/timescaledb:2.28.3-pg15\n")
    (project / ".env").write_text("POSTGRES_PASSWORD=demo-only-secret\n")
    (project / "api" / "config.py").write_text("DATABASE = 'mt5_trading'\n")
    return project


def airflow_env(config: dict, conn_dsn: str, smtp: SmtpServer, hooks: WebhookServer) -> dict[str, str]:
    env = os.environ.copy()
    env.update({
        "AIRFLOW_HOME": str(OUT / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_VAR_TSDB_OPS_CONFIG": json.dumps(config),
        "AIRFLOW_CONN_TSDB_POSTGRES": conn_dsn,
        "AIRFLOW_CONN_TSDB_SMTP": smtp.connection_uri(),
        "AIRFLOW_CONN_TSDB_DISCORD": json.dumps({
            "conn_type": "discord", "host": hooks.url("/"), "extra": {"webhook_endpoint": "discord/demo/token"}}),
        "AIRFLOW_CONN_TSDB_SLACK": json.dumps({"conn_type": "slackwebhook", "password": hooks.url("/slack/demo")}),
        "PYTHONPATH": str(ROOT / "plugins"),
    })
    return env


def airflow(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "airflow"), *args], env=env, text=True,
                          capture_output=True, check=check)


RUN_CONF = {"db_policy_setup": {"apply": True}}


def run_dag(dag_id: str, env: dict[str, str], log_dir: Path) -> tuple[bool, float]:
    started = time.monotonic()
    conf = ["-c", json.dumps(RUN_CONF[dag_id])] if dag_id in RUN_CONF else []
    result = airflow(env, "dags", "test", dag_id, *conf, check=False)
    (log_dir / f"{dag_id}.log").write_text(result.stdout + result.stderr)
    ok = result.returncode == 0 and "state=failed" not in result.stdout + result.stderr
    return ok, time.monotonic() - started


def summarize(tsdb: TimescaleTarget, config: dict, results: dict[str, tuple[bool, float]]) -> None:
    print("\n" + "=" * 72 + "\ntsdb-ops demo summary\n" + "=" * 72)
    for dag_id, (ok, seconds) in results.items():
        print(f"  {dag_id:28} {'success' if ok else 'FAILED':8} {seconds:6.1f} s   log: demo-output/dag-logs/{dag_id}.log")
    with tsdb.connect() as conn:
        total, compressed = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE is_compressed) FROM timescaledb_information.chunks"
            " WHERE hypertable_name = 'market_data'").fetchone()
        oldest = conn.execute("SELECT min(timestamp) FROM market_data").fetchone()[0]
    print(f"\n  TimescaleDB: {compressed}/{total} chunks of market_data compressed; oldest row now {oldest:%Y-%m-%d}")
    backup_root = Path(config["backup_root"])
    manifests = sorted((backup_root / "manifests").glob("*.json"))
    if manifests:
        manifest = json.loads(manifests[-1].read_text())
        print(f"  Backup set {manifest['set_id']}:")
        for artefact in manifest["artefacts"]:
            size_mb = artefact["size_bytes"] / 1e6
            print(f"    {artefact['kind']:9} {artefact['path']:40} {size_mb:8.2f} MB  {artefact['verification']}")
    else:
        print("  Backup: no verified backup set was written")
    log_dir = Path(config["log_dir"])
    for name in ("backup.log", "backup_monitor.log", "db_maintenance.log"):
        path = log_dir / name
        if path.exists():
            lines = path.read_text().splitlines()
            print(f"\n  {name} (last lines):")
            for line in lines[-4:]:
                print(f"    {line}")
    reports = sorted(Path(config["report_dir"]).rglob("*.*"))
    print(f"\n  Reports ({len(reports)}) in demo-output/reports/:")
    for report in reports[-8:]:
        print(f"    {report.relative_to(OUT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--standalone", action="store_true", help="after the setup, start `airflow standalone`")
    parser.add_argument("--months", type=int, default=4, help="months of H1 history to generate")
    args = parser.parse_args()

    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "dag-logs").mkdir(parents=True)
    step("starting PostgreSQL 15, the TimescaleDB target, SMTP and webhook receivers")
    pg = PostgresCluster("demo").start()
    tsdb = TimescaleTarget(pg, database="mt5_trading").start()
    smtp, hooks = SmtpServer().start(), WebhookServer().start()
    try:
        now = datetime.now(UTC)
        step(f"loading market data: 3 symbols, H1 bars for {args.months} months, M1 bars for 14 days, one week 6 years old")
        with tsdb.connect() as conn:
            counts = load_market_data(conn, now=now, hypertable=True, h1_days=30 * args.months, m1_days=14, ancient_days=7)
        step(f"TimescaleDB: {'WASM fallback (no native build: run make with TSDB_SOURCE_TARBALL)' if tsdb.is_wasm else 'native'}")
        backup_dsn = tsdb.dsn() if not tsdb.is_wasm else pg.create_database("mt5_trading_backup")
        if tsdb.is_wasm:
            with psycopg.connect(backup_dsn, autocommit=True) as conn:
                load_market_data(conn, now=now, hypertable=False, h1_days=30 * args.months, m1_days=14)
        print(f"    rows: {counts}")
        prepare_models_volume()
        project = prepare_stack_project()
        config = {
            "backup_root": str(OUT / "backups"), "log_dir": str(OUT / "logs"), "report_dir": str(OUT / "reports"),
            "docker_network": "host", "db_host_in_docker": "127.0.0.1",
            "db_port_in_docker": int(psycopg.conninfo.conninfo_to_dict(backup_dsn).get("port", 5432)),
            "models_volume": MODELS_VOLUME, "config_project_dir": str(project),
            "alert_email_to": ["oncall@localhost"], "backup_min_free_bytes": 0, **TEST_IMAGES,
        }
        base_env = airflow_env(config, tsdb.dsn(), smtp, hooks)
        step("migrating the Airflow metadata DB and creating the heavy-work pool")
        airflow(base_env, "db", "migrate")
        airflow(base_env, "pools", "set", config.get("heavy_db_pool", "tsdb_heavy"), "1", "heavy DB work")
        if args.standalone:
            step("starting `airflow standalone` (Ctrl-C to stop); the UI is at http://localhost:8080")
            subprocess.run([str(Path(sys.executable).parent / "airflow"), "standalone"], env=base_env)
            return 0
        results = {}
        for dag_id, target in DAG_RUNS:
            env = base_env if target == "tsdb" else airflow_env(config, backup_dsn, smtp, hooks)
            step(f"airflow dags test {dag_id}")
            results[dag_id] = run_dag(dag_id, env, OUT / "dag-logs")
        summarize(tsdb, config, results)
        print(f"\n  Alerts received by the local receivers: {len(smtp.messages)} mails, {len(hooks.posts)} webhook posts")
        return 0 if all(ok for ok, _ in results.values()) else 1
    finally:
        hooks.stop()
        smtp.stop()
        tsdb.stop()
        pg.destroy()


if __name__ == "__main__":
    sys.exit(main())
