"""The demo: every DAG once, end to end, on throwaway databases, then a short report; or, with --standalone,
`airflow standalone` on a demo setup that is kept between starts. The scheduled DAGs run as their schedule runs them;
the manual ones with the params an operator would give, as a dry run where a real run would change the market data
(VACUUM ANALYZE, a selective backup and its recovery, the point-in-time setup run for real). Point-in-time
recovery runs with a Barman receiver container beside the database (native TimescaleDB only).

Starts the test harness's services (a PostgreSQL 15 cluster with native TimescaleDB when `make setup` built it
from TSDB_SOURCE_TARBALL — else, as a fallback, the WASM build for the TimescaleDB DAGs and a plain table for the
backups —, a local SMTP server and webhook receiver that write every alert to files; the Docker engine is started
by `make setup`), loads months of realistic market data, and runs each DAG with `airflow dags test`.

    make demo          # run everything once, print the summary: demo-output/demo/, rewritten at every run
    make standalone    # `airflow standalone` on PostgreSQL; its state persists in demo-output/standalone/
    make demo-reset    # delete demo-output/ (standalone's cluster, metadata DB, backups, logs, alerts)

The Airflow metadata database is a database of the demo's own PostgreSQL 15 cluster in both modes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests"), str(ROOT / "scripts")]

import demo_airflow  # noqa: E402
import psycopg  # noqa: E402

from harness.mail import SmtpServer  # noqa: E402
from harness.market_data import load_market_data  # noqa: E402
from harness.postgres import PG_BIN, PostgresCluster  # noqa: E402
from harness.timescale import TimescaleTarget  # noqa: E402
from harness.webhooks import WebhookServer  # noqa: E402
from tsdb_ops.config import OpsConfig  # noqa: E402

OUT = ROOT / "demo-output"
ONCE = OUT / "demo"  # make demo: deleted and written anew at every run
KEEP = OUT / "standalone"  # make standalone: kept between starts, deleted by make demo-reset
MODELS_VOLUME = "tsdb_ops_demo_models"
BARMAN_CATALOGUE = "tsdb_ops_demo_barman"  # the demo's own: created and removed by each run
BARMAN_RECEIVER = "tsdb_ops_demo_barman_service"
TEST_IMAGES = {"pg_client_image": "tsdb-ops-test/pg-client:15", "busybox_image": "tsdb-ops-test/busybox:latest"}


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class DemoRun:
    """One `airflow dags test` of the demo. ``target``: the database it runs against (with native TimescaleDB both
    are the one TimescaleDB database, as in production; on the WASM fallback backups run on a plain PostgreSQL 15
    table, because pg_dump 15 cannot dump the WASM TimescaleDB). ``conf``: its params, made when it starts.
    ``pitr``: needs the Barman receiver (native TimescaleDB only)."""

    dag_id: str
    target: str = "tsdb"
    conf: Callable[[], dict[str, Any]] = field(default=dict)
    pitr: bool = False


DAG_RUNS = [
    # the scheduled routine; policy setup applied first, so the daily DAG runs the policies it creates
    DemoRun("db_policy_setup", conf=lambda: {"apply": True}),
    DemoRun("db_daily_cleanup"),
    DemoRun("db_weekly_maintenance"),
    DemoRun("db_nightly_backup", "backup"),
    DemoRun("db_restore_verification", "backup"),
    DemoRun("db_backup_monitor", "backup"),
    DemoRun("db_health_check", "backup"),
    # the manual DAGs: for real where it changes no market data, else the dry run that logs the plan
    DemoRun("db_vacuum_analyze", conf=lambda: {"table": "market_data", "dry_run": False}),
    DemoRun("db_job_control", conf=lambda: {"job": "policy_compression", "action": "pause"}),
    DemoRun("db_compress_symbol", conf=lambda: {"symbol": "EURUSD", "older_than_days": 7}),
    DemoRun("db_compress_time_range", conf=lambda: {"start": _days_ago(60), "end": _days_ago(46)}),
    DemoRun("db_recompress_inefficient"),
    DemoRun("db_emergency_space_recovery"),
    DemoRun("db_crash_recovery_check", conf=lambda: {"trigger_weekly_maintenance": False}),
    DemoRun("db_selective_backup", "backup", conf=lambda: {"start": _days_ago(10), "end": _days_ago(3),
                                                          "symbol": "EURUSD", "dry_run": False}),
    DemoRun("db_selective_recovery", "backup", conf=lambda: {"dry_run": False}),  # every row present: inserts 0
    DemoRun("db_restore", "backup", conf=lambda: {"target_database": "mt5_trading_restored"}),
    # point-in-time recovery: the setup for real, a base backup, its weekly verification, a restore's dry run
    DemoRun("db_pitr_setup", conf=lambda: {"dry_run": False}, pitr=True),
    DemoRun("db_base_backup", pitr=True),
    DemoRun("db_pitr_verification", pitr=True),
    DemoRun("db_point_in_time_restore", pitr=True, conf=lambda: {
        "target_time": (datetime.now(UTC) - timedelta(seconds=5)).isoformat(timespec="seconds"),
        "new_container": "mt5_db_pitr"}),
]


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def prepare_models_volume(keep: bool = False) -> None:
    """The models volume with a few files; with ``keep`` an existing volume is left as it is."""
    import docker

    client = docker.from_env(version="auto")
    try:
        client.volumes.get(MODELS_VOLUME)
        if keep:
            return
    except docker.errors.NotFound:
        client.volumes.create(MODELS_VOLUME)
    client.containers.run(
        TEST_IMAGES["busybox_image"],
        ["sh", "-c", "mkdir -p /models/lstm && for i in 1 2 3; do head -c 300000 /dev/urandom > /models/lstm/w$i.bin; done"
         " && echo '{\"version\": \"lstm-v3\"}' > /models/lstm/meta.json"],
        volumes={MODELS_VOLUME: {"bind": "/models", "mode": "rw"}}, remove=True,
    )


def prepare_stack_project(out: Path) -> Path:
    project = out / "mt5-trading-db"
    (project / "api").mkdir(parents=True, exist_ok=True)
    (project / "docker-compose.yml").write_text("services:\n  db:\n    image: timescale/timescaledb:2.28.3-pg15\n")
    (project / ".env").write_text("POSTGRES_PASSWORD=demo-only-secret\n")
    (project / "api" / "config.py").write_text("DATABASE = 'mt5_trading'\n")
    return project


def demo_config(out: Path, db_dsn: str, **extra: object) -> dict:
    """The tsdb_ops_config of the demo: its directories, the database as the dump containers reach it."""
    return {
        "backup_root": str(out / "backups"), "log_dir": str(out / "logs"), "report_dir": str(out / "reports"),
        "docker_network": "host", "db_host_in_docker": "127.0.0.1",
        "db_port_in_docker": int(psycopg.conninfo.conninfo_to_dict(db_dsn).get("port", 5432)),
        "models_volume": MODELS_VOLUME, "config_project_dir": str(prepare_stack_project(out)),
        "alert_email_to": ["oncall@localhost"], "backup_min_free_bytes": 0,
        # the demo prunes only what it labelled: never the rest of the machine's Docker engine
        "docker_prune_filters": {"label": ["tsdb_ops_demo=1"]}, "pitr_catalogue": BARMAN_CATALOGUE,
        **TEST_IMAGES, **extra,
    }


def airflow_env(home: Path, config: dict, conn_dsn: str, smtp: SmtpServer, hooks: WebhookServer,
                demo: dict[str, str], metadata: dict[str, str]) -> dict[str, str]:
    """The environment of every airflow command of the demo. ``conn_dsn`` must be the database ``config`` names
    for the dump containers (db_host/port_in_docker): pg_dump logs in with this connection's password."""
    env = demo_airflow.launcher_env(os.environ.copy())
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",  # LocalExecutor workers; the heavy pool runs one DB task at a time anyway
        "AIRFLOW_VAR_TSDB_OPS_CONFIG": json.dumps(config),
        "AIRFLOW_CONN_TSDB_POSTGRES": conn_dsn,
        **demo_airflow.alert_connections_env(smtp.connection_uri(), hooks.url, demo),
        **({"AIRFLOW_CONN_TSDB_PITR": json.dumps({"conn_type": "postgres", "login": OpsConfig().pitr_replication_role,
                                                  "password": demo["pitr_password"]})} if "pitr_password" in demo else {}),
        **metadata,
        "PYTHONPATH": str(ROOT / "plugins"),
    })
    return env


def airflow(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([demo_airflow.airflow_bin(), *args], env=env, text=True, capture_output=True)
    if check and result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"airflow {' '.join(args)} failed with exit code {result.returncode}")
    return result


def prepare_airflow(env: dict[str, str], config: dict) -> None:
    step("migrating the Airflow metadata DB (PostgreSQL) and creating the heavy-work pool")
    airflow(env, "db", "migrate")
    airflow(env, "pools", "set", config.get("heavy_db_pool", "tsdb_heavy"), "1", "heavy DB work")


def run_dag(run: DemoRun, env: dict[str, str], log_dir: Path) -> tuple[bool, float]:
    started = time.monotonic()
    conf = run.conf()
    result = airflow(env, "dags", "test", run.dag_id, *(["-c", json.dumps(conf)] if conf else []), check=False)
    (log_dir / f"{run.dag_id}.log").write_text(result.stdout + result.stderr)
    ok = result.returncode == 0 and "state=failed" not in result.stdout + result.stderr
    return ok, time.monotonic() - started


class BarmanReceiver:
    """The compose service `barman` of the demo: the Barman image's `barman cron` loop on the demo's catalogue volume,
    on the host network beside the demo's cluster (every 2 s instead of every minute)."""

    def __init__(self, image: str) -> None:
        import docker

        self.client = docker.from_env(version="auto")
        self.image = image
        self.remove()

    def start(self) -> BarmanReceiver:
        self.client.volumes.create(BARMAN_CATALOGUE, labels={"tsdb_ops_demo": "1"})
        self.client.containers.run(self.image, name=BARMAN_RECEIVER, detach=True, network_mode="host",
                                   environment={"BARMAN_CRON_INTERVAL_SECONDS": "2"}, labels={"tsdb_ops_demo": "1"},
                                   volumes={BARMAN_CATALOGUE: {"bind": "/var/lib/barman", "mode": "rw"}})
        return self

    def remove(self) -> None:
        """The receiver and its catalogue (the demo's own, by name), whatever an earlier demo left."""
        import docker

        for remove in (lambda: self.client.containers.get(BARMAN_RECEIVER).remove(force=True),
                       lambda: self.client.volumes.get(BARMAN_CATALOGUE).remove(force=True)):
            try:
                remove()
            except docker.errors.NotFound:
                pass


def wait_streaming(dsn: str, slot: str, timeout: float = 90) -> bool:
    """Whether the receiver streams from ``slot`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with psycopg.connect(dsn) as conn:
            if conn.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (slot,)).fetchone() == (True,):
                return True
        time.sleep(1)
    return False


def run_all(runs: list[DemoRun], envs: dict[str, dict[str, str]], tsdb: TimescaleTarget, config: dict,
            ) -> dict[str, tuple[bool, float] | str]:
    """Every run in order; a run that cannot happen here is a reason instead of a result."""
    settings = OpsConfig.from_mapping(config)
    results: dict[str, tuple[bool, float] | str] = {}
    receiver = None
    try:
        for run in runs:
            if run.pitr and tsdb.is_wasm:
                results[run.dag_id] = "skipped: point-in-time recovery needs native TimescaleDB (TSDB_SOURCE_TARBALL)"
                continue
            if run.pitr and receiver is None:
                step("starting the Barman receiver (the compose service `barman`) beside the database")
                receiver = BarmanReceiver(settings.barman_image).start()
            step(f"airflow dags test {run.dag_id}")
            results[run.dag_id] = run_dag(run, envs[run.target], ONCE / "dag-logs")
            if run.dag_id == "db_pitr_setup" and results[run.dag_id][0]:
                step("waiting for the WAL stream")
                if not wait_streaming(tsdb.dsn(), settings.pitr_slot_name):
                    print("    the receiver did not start streaming: see docker logs " + BARMAN_RECEIVER)
    finally:
        if receiver is not None:
            receiver.remove()
    return results


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def list_alerts(alerts: Path, limit: int = 30) -> None:
    """The alerts the demo's receivers wrote: mails (.eml) and chat posts (.txt, the body beside it as .json)."""
    files = sorted(p for p in alerts.glob("*") if p.suffix in (".eml", ".txt")) if alerts.is_dir() else []
    print(f"\n  Alerts ({len(files)}) in {shown(alerts)}/ (mail .eml, Discord/Slack .txt and .json):")
    for path in files[-limit:]:
        print(f"    {path.name}")
    if len(files) > limit:
        print(f"    ... {len(files) - limit} earlier ones")


def summarize(tsdb: TimescaleTarget, config: dict, results: dict[str, tuple[bool, float] | str]) -> None:
    print("\n" + "=" * 72 + "\ntsdb-ops demo summary\n" + "=" * 72)
    for dag_id, result in results.items():
        if isinstance(result, str):
            print(f"  {dag_id:28} {result}")
            continue
        ok, seconds = result
        log = shown(ONCE / "dag-logs" / f"{dag_id}.log")
        print(f"  {dag_id:28} {'success' if ok else 'FAILED':8} {seconds:6.1f} s   log: {log}")
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
    print(f"\n  Reports ({len(reports)}) in {shown(Path(config['report_dir']))}/:")
    for report in reports[-8:]:
        print(f"    {report.relative_to(Path(config['report_dir']))}")
    list_alerts(ONCE / "alerts")


def metadata_env(pg: PostgresCluster) -> dict[str, str]:
    return demo_airflow.metadata_db_env(pg.user, pg.password, pg.port)


def demo_once(args: argparse.Namespace) -> int:
    """`make demo`: a fresh cluster and a fresh demo-output/demo/, every scheduled DAG once with `dags test`."""
    shutil.rmtree(ONCE, ignore_errors=True)
    (ONCE / "dag-logs").mkdir(parents=True)
    demo = demo_airflow.new_secrets()
    step("starting PostgreSQL 15, the TimescaleDB target, SMTP and webhook receivers")
    pg = PostgresCluster("demo")
    pg.password = demo["pg_password"]
    pg.start()
    tsdb = TimescaleTarget(pg, database="mt5_trading").start()
    smtp, hooks = SmtpServer(save_dir=ONCE / "alerts").start(), WebhookServer(save_dir=ONCE / "alerts").start()
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
        pg.create_database("airflow")
        config = demo_config(ONCE, backup_dsn)
        envs = {target: airflow_env(ONCE / "airflow", config, dsn, smtp, hooks, demo, metadata_env(pg))
                for target, dsn in (("tsdb", tsdb.dsn()), ("backup", backup_dsn))}
        prepare_airflow(envs["tsdb"], config)
        results = run_all(DAG_RUNS, envs, tsdb, config)
        summarize(tsdb, config, results)
        print(f"\n  Everything is in {shown(ONCE)}/ (written anew by the next `make demo`).")
        return 0 if all(isinstance(r, str) or r[0] for r in results.values()) else 1
    finally:
        hooks.stop()
        smtp.stop()
        tsdb.stop()
        pg.destroy()


class KeptCluster(PostgresCluster):
    """The harness's PostgreSQL 15 cluster with its data directory, password and (when free) port kept in
    demo-output/standalone/, started again as it was on the next `make standalone`."""

    def __init__(self, base: Path, password: str, port: int | None) -> None:
        super().__init__("standalone")
        shutil.rmtree(self.base, ignore_errors=True)  # the temporary directory the harness made for it
        self.base, self.data, self.sockets = base, base / "data", base / "sock"
        self.password = password
        if port and demo_airflow.port_is_free(port):
            self.port = port

    @property
    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def start(self) -> KeptCluster:
        self.base.mkdir(parents=True, exist_ok=True)
        if not self.initialized:
            shutil.rmtree(self.sockets, ignore_errors=True)
            super().start()
            return self
        status = subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status"]
                                if self._as_postgres else [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status"],
                                capture_output=True)
        if status.returncode == 0:  # left running by a start that was killed: restart it on the chosen port
            self.stop()
        self._start_server()
        return self


def read_state() -> dict[str, object]:
    path = KEEP / "demo-state.json"
    return json.loads(path.read_text()) if path.exists() else {}


def write_state(state: dict[str, object]) -> None:
    path = KEEP / "demo-state.json"
    path.write_text(json.dumps(state, indent=2) + "\n")
    path.chmod(0o600)


def running_launcher() -> int | None:
    """The pid of a `make standalone` still running on demo-output/standalone/, if any."""
    try:
        pid = int((KEEP / "standalone.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def prepare_kept_databases(pg: KeptCluster, state: dict[str, object], months: int) -> str:
    """Create (once) the metadata database and the market-data database; the DSN of the latter."""
    if not state.get("databases_ready"):
        step("first start: creating the metadata DB and the market-data DB, loading market data")
        pg.create_database("airflow")
        dsn = pg.create_database("mt5_trading", timescaledb=pg.timescale)
        with psycopg.connect(dsn, autocommit=True) as conn:
            counts = load_market_data(conn, now=datetime.now(UTC), hypertable=pg.timescale, h1_days=30 * months,
                                      m1_days=14, ancient_days=7)
        print(f"    rows: {counts}")
        state["databases_ready"] = True
        write_state(state)
    return pg.dsn("mt5_trading")


def interrupted(*_: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the launcher as Ctrl-C does: standalone, receivers, cluster


def standalone(args: argparse.Namespace) -> int:
    """`make standalone`: `airflow standalone` on a PostgreSQL metadata DB, all state kept in demo-output/standalone/."""
    if pid := running_launcher():
        print(f"make standalone is already running (pid {pid}); stop it with Ctrl-C first", file=sys.stderr)
        return 1
    KEEP.mkdir(parents=True, exist_ok=True)
    state = read_state()
    if "secrets" not in state:
        state["secrets"] = demo_airflow.new_secrets()
        write_state(state)
    demo: dict[str, str] = state["secrets"]  # type: ignore[assignment]
    if not demo_airflow.port_is_free(args.port):
        print(f"port {args.port} is in use: stop what listens there or give --port", file=sys.stderr)
        return 1
    (KEEP / "standalone.pid").write_text(f"{os.getpid()}\n")
    pg = KeptCluster(KEEP / "postgres", demo["pg_password"], state.get("pg_port"))  # type: ignore[arg-type]
    step(f"starting PostgreSQL 15 in {shown(pg.base)}/ ({'kept from the last start' if pg.initialized else 'new'})")
    smtp = hooks = proc = None
    try:
        pg.start()
        state["pg_port"] = pg.port
        write_state(state)
        if not pg.timescale:
            step("no native TimescaleDB (make with TSDB_SOURCE_TARBALL builds it): market_data is a plain table, so the "
                 "backup DAGs work and the TimescaleDB maintenance DAGs fail")
        db_dsn = prepare_kept_databases(pg, state, args.months)
        prepare_models_volume(keep=True)
        smtp, hooks = SmtpServer(save_dir=KEEP / "alerts").start(), WebhookServer(save_dir=KEEP / "alerts").start()
        url = f"http://localhost:{args.port}"
        config = demo_config(KEEP, db_dsn, airflow_base_url=url)
        env = airflow_env(KEEP / "airflow", config, db_dsn, smtp, hooks, demo, metadata_env(pg))
        env.update(demo_airflow.api_env(args.port))
        prepare_airflow(env, config)
        step(f"starting `airflow standalone` (Ctrl-C stops it); waiting for {url}")
        proc = demo_airflow.start_standalone(env)
        if demo_airflow.wait_until_up(url, proc, timeout=args.wait):
            login = demo_airflow.read_login(KEEP / "airflow")
            banner(url, login)
        elif proc.poll() is None:
            step(f"the api-server did not answer healthy within {args.wait:.0f} s; still waiting (see the log above)")
        proc.wait()
        return 0 if proc.returncode in (0, -signal.SIGINT) else proc.returncode
    except KeyboardInterrupt:
        return 0
    finally:
        if proc is not None:
            step("stopping airflow standalone")
            demo_airflow.stop_standalone(proc)
        for server in (hooks, smtp):
            if server is not None:
                server.stop()
        pg.stop()
        (KEEP / "standalone.pid").unlink(missing_ok=True)
        step(f"stopped; state kept in {shown(KEEP)}/ (make demo-reset deletes it)")


def banner(url: str, login: tuple[str, str] | None) -> None:
    who = f"user {login[0]}   password {login[1]}" if login else "see the password printed above"
    print("\n" + "=" * 72, flush=True)
    print(f"  Airflow UI:  {url}\n  Login:       {who}", flush=True)
    print(f"               (kept in {shown(KEEP / 'airflow' / demo_airflow.PASSWORD_FILE)})", flush=True)
    print(f"  Alerts:      {shown(KEEP / 'alerts')}/   state: {shown(KEEP)}/   Ctrl-C stops", flush=True)
    print("  The scheduled DAGs start paused: unpause one in the UI to run it on its schedule.", flush=True)
    print("=" * 72 + "\n", flush=True)


def reset() -> int:
    """`make demo-reset`: delete demo-output/ (stopping a standalone cluster left running)."""
    if pid := running_launcher():
        print(f"make standalone is running (pid {pid}); stop it with Ctrl-C first", file=sys.stderr)
        return 1
    data = KEEP / "postgres" / "data"
    if (data / "postmaster.pid").exists():
        cmd = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
        subprocess.run(["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd, capture_output=True)
    shutil.rmtree(OUT, ignore_errors=True)
    step(f"deleted {shown(OUT)}/; the next make standalone starts from scratch")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--standalone", action="store_true", help="start `airflow standalone` on the kept demo setup")
    mode.add_argument("--reset", action="store_true", help="delete demo-output/ (the kept standalone state too)")
    parser.add_argument("--months", type=int, default=4, help="months of H1 history to generate")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "8080")),
                        help="port of the Airflow UI with --standalone (default 8080, or $DEMO_PORT)")
    parser.add_argument("--wait", type=float, default=600, help="seconds to wait for the UI to answer")
    args = parser.parse_args()
    if args.reset:
        return reset()
    signal.signal(signal.SIGTERM, interrupted)  # stopped from outside: still stop what the demo started
    try:
        return standalone(args) if args.standalone else demo_once(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
