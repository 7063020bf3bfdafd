"""Fixtures of real services on loopback, started once per test session.

- ``pg15``: a throwaway PostgreSQL 15 cluster (Debian's server binaries), with native TimescaleDB preloaded
  when it is installed (``make setup`` with ``TSDB_SOURCE_TARBALL``); backups and restores run against it.
- ``tsdb``: the TimescaleDB target: ``TSDB_TEST_DSN``, else a database of ``pg15`` when it has native
  TimescaleDB, else (fallback only) the WASM build from npm.
- ``docker_client``: the Docker engine (started by `make setup`), with the locally built test images.
- ``smtp_server`` / ``webhook_server``: an aiosmtpd server and an HTTP server recording webhook posts.
- ``airflow_env``: an AIRFLOW_HOME with a migrated metadata DB, and the connections of the services.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Airflow reads its settings when first imported: point it at a throwaway home before any test imports it.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="tsdb-ops-airflow-"))
os.environ.setdefault("AIRFLOW_HOME", str(_AIRFLOW_HOME))
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(ROOT / "plugins"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
os.environ.setdefault("AIRFLOW__LOGGING__BASE_LOG_FOLDER", str(_AIRFLOW_HOME / "logs"))
if "AIRFLOW__CORE__FERNET_KEY" not in os.environ:  # one key for pytest and its `airflow` subprocesses
    from cryptography.fernet import Fernet

    os.environ["AIRFLOW__CORE__FERNET_KEY"] = Fernet.generate_key().decode()
for path in (ROOT / "plugins", ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from harness.mail import SmtpServer  # noqa: E402
from harness.postgres import PostgresCluster  # noqa: E402
from harness.timescale import TimescaleTarget  # noqa: E402
from harness.webhooks import WebhookServer  # noqa: E402

TEST_BUSYBOX_IMAGE = "tsdb-ops-test/busybox:latest"
TEST_PG_CLIENT_IMAGE = "tsdb-ops-test/pg-client:15"


@pytest.fixture(scope="session")
def dag_bag() -> dict:
    """Every DAG of ``dags/`` by id, as the dag-processor parses them (no metadata database: ``.dags``, never
    ``get_dag``); parsing must not fail. For the DAG-shape tests."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(ROOT / "dags"))
    assert not bag.import_errors, bag.import_errors
    return bag.dags


@pytest.fixture(scope="session")
def pg15() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="session")
def tsdb(pg15) -> Iterator[TimescaleTarget]:
    target = TimescaleTarget(pg15).start()
    yield target
    target.stop()


@pytest.fixture(scope="session")
def docker_client():
    import docker

    try:
        client = docker.DockerClient(base_url="unix://var/run/docker.sock", version="auto")
        client.ping()
    except Exception as exc:  # the test command starts dockerd; its absence is a harness failure
        pytest.fail(f"no Docker engine answers on /var/run/docker.sock ({exc}); run `make setup`")
    subprocess.run(["bash", str(ROOT / "scripts" / "build_test_images.sh")], check=True, capture_output=True)
    yield client
    client.close()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def webhook_server() -> Iterator[WebhookServer]:
    server = WebhookServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    """AIRFLOW_HOME of the session with its metadata DB migrated (SQLite)."""
    home = Path(os.environ["AIRFLOW_HOME"])
    if not (home / ".migrated").exists():
        subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
            check=True, capture_output=True, env=os.environ.copy(),
        )
        (home / ".migrated").touch()
    return home
