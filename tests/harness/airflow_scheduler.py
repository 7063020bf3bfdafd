"""A real Airflow on loopback for tests of what only the scheduler decides (pools, runs side by side): the
scheduler with the LocalExecutor, the dag-processor and the api-server (tasks reach the execution API through it),
each a process group of its own, on a throwaway AIRFLOW_HOME and a PostgreSQL metadata database.

Only the DAG files given are in its DAGs folder (symlinks to the project's files), the project's plugins folder is
on the path as in the demo, cron schedules are off (`use_job_schedule=False`: only triggered runs exist) and DAGs
start unpaused. The test talks to it through the public REST API with the admin login of SimpleAuthManager.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.ports import free_port
from harness.postgres import PostgresCluster

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import demo_airflow  # noqa: E402

COMPONENTS = ("scheduler", "dag-processor", "api-server")
FINISHED_RUN_STATES = {"success", "failed"}


class AirflowScheduler:
    def __init__(self, base: Path, *, cluster: PostgresCluster, metadata_db: str, dag_files: list[Path],
                 env: dict[str, str], parallelism: int = 4) -> None:
        self.base = base
        self.cluster, self.metadata_db = cluster, metadata_db
        self.home = base / "airflow"
        self.logs = base / "component-logs"
        self.dags = base / "dags"
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.dag_ids = [path.stem for path in dag_files]
        self._dag_files = dag_files
        self._password = secrets.token_urlsafe(16)
        self._token: str | None = None
        self._procs: dict[str, subprocess.Popen] = {}
        self.env = demo_airflow.launcher_env({
            **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "PYTHONPATH": str(ROOT / "plugins"),
            "PYTHONUNBUFFERED": "1",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(parallelism),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__CORE__FERNET_KEY": _fernet_key(),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{demo_airflow.ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(base / "passwords.json"),
            **demo_airflow.metadata_db_env(cluster.user, cluster.password, cluster.port, metadata_db),
            **demo_airflow.api_env(self.port),
            **env,
        })

    # --- life cycle -------------------------------------------------------------------------------------------

    def start(self, timeout: float = 240) -> AirflowScheduler:
        """Migrate the metadata DB, start the components, wait until the API is healthy and every DAG is parsed."""
        deadline = time.monotonic() + timeout
        for directory in (self.home, self.logs, self.dags):
            directory.mkdir(parents=True, exist_ok=True)
        for path in self._dag_files:
            (self.dags / path.name).symlink_to(path)
        (self.base / "passwords.json").write_text(json.dumps({demo_airflow.ADMIN_USER: self._password}))
        self.cluster.create_database(self.metadata_db)
        with open(self.logs / "db-migrate.log", "wb") as log:
            migrate = subprocess.run([demo_airflow.airflow_bin(), "db", "migrate"], env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT, timeout=timeout)
        if migrate.returncode != 0:
            raise RuntimeError(f"`airflow db migrate` failed ({migrate.returncode}): {self._tail('db-migrate')}")
        for name in COMPONENTS:
            with open(self.logs / f"{name}.log", "wb") as log:
                self._procs[name] = subprocess.Popen([demo_airflow.airflow_bin(), name], env=self.env, stdout=log,
                                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_for("the api-server healthy with a running scheduler", lambda: demo_airflow.api_healthy(self.url),
                      deadline - time.monotonic())
        self.wait_for(f"the dag-processor to parse {', '.join(self.dag_ids)}", self._dags_parsed,
                      deadline - time.monotonic())
        return self

    def stop(self) -> None:
        """Every component and what it started (task processes are in the scheduler's group), then the metadata
        database."""
        for proc in self._procs.values():
            demo_airflow.stop_standalone(proc, timeout=15)
        drop_database(self.cluster, self.metadata_db)

    def save_logs(self, dest: Path) -> Path:
        """The components' output and the task logs, copied to ``dest`` (replaced)."""
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(self.logs, dest / "components")
        if (self.home / "logs").is_dir():
            shutil.copytree(self.home / "logs", dest / "tasks")
        return dest

    @contextmanager
    def logs_kept_on_failure(self, dest: Path) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.save_logs(dest)
            raise

    def _tail(self, name: str, chars: int = 3000) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-chars:]

    def _dags_parsed(self) -> bool:
        return all(self.api("GET", f"/api/v2/dags/{dag_id}", missing_ok=True) for dag_id in self.dag_ids)

    # --- waiting ------------------------------------------------------------------------------------------------

    def wait_for(self, what: str, condition: Callable[[], Any], timeout: float, seen: Callable[[], str] | None = None,
                 interval: float = 1.0) -> Any:
        """Poll ``condition`` until it returns something truthy (returned); a component that died or the timeout
        fail with what was awaited, what was seen last and where the logs are."""
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            dead = {name: proc.returncode for name, proc in self._procs.items() if proc.poll() is not None}
            if dead:
                name = next(iter(dead))
                raise AssertionError(f"waiting for {what}: airflow {name} exited with {dead[name]}:\n{self._tail(name)}")
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                last = seen() if seen else ""
                raise AssertionError(f"waited {timeout:.0f} s for {what}, in vain. {last}\nComponent logs: {self.logs}")
            time.sleep(interval)

    # --- REST API -----------------------------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None, *, missing_ok: bool = False) -> Any:
        """One call of the public REST API as the admin user; None for a 404 when ``missing_ok``."""
        if self._token is None and not path.startswith("/auth/"):
            self._token = self.api("POST", "/auth/token", {"username": demo_airflow.ADMIN_USER,
                                                            "password": self._password})["access_token"]
        headers = {"Content-Type": "application/json"}
        if self._token and not path.startswith("/auth/"):
            headers["Authorization"] = f"Bearer {self._token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if missing_ok and exc.code == 404:
                return None
            raise AssertionError(f"{method} {path} answered {exc.code}: {exc.read().decode(errors='replace')}") from None

    def set_pool(self, name: str, slots: int) -> None:
        if self.api("GET", f"/api/v2/pools/{name}", missing_ok=True) is None:
            self.api("POST", "/api/v2/pools", {"name": name, "slots": slots, "description": "heavy DB work"})
        else:
            self.api("PATCH", f"/api/v2/pools/{name}?update_mask=slots",
                     {"name": name, "slots": slots, "include_deferred": False})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """A manual run (no logical date), as the UI's trigger button makes; its run id."""
        run = self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})
        return run["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """The run's task instances with state, pool, scheduled_when, queued_when, start_date and end_date
        (timestamps parsed)."""
        rows = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100")["task_instances"]
        for row in rows:
            for key in ("scheduled_when", "queued_when", "start_date", "end_date"):
                row[key] = _timestamp(row[key])
        return rows

    def scheduler_heartbeat(self) -> datetime | None:
        """The latest heartbeat of the running scheduler. The scheduler writes it at the end of a loop, after the
        loop's critical section (where it queues the scheduled task instances that fit their pools)."""
        jobs = self.api("GET", "/api/v2/jobs?job_type=SchedulerJob&is_alive=true&order_by=-latest_heartbeat")["jobs"]
        return _timestamp(jobs[0]["latest_heartbeat"]) if jobs else None


def drop_database(cluster: PostgresCluster, name: str) -> None:
    """Drop a database of the cluster, its sessions closed first."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _timestamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()
