"""docker-compose.airflow.yml follows the official Airflow 3.3 layout and every key it or the code uses is in .env.example."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tsdb_ops.config import ENV_VARIABLE, OpsConfig

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.airflow.yml"
ENV_EXAMPLE = ROOT / ".env.example"

AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_services_of_the_official_celery_layout(compose):
    assert set(compose["services"]) == {"postgres", "redis", "airflow-init", *AIRFLOW_COMMANDS}
    for name, command in AIRFLOW_COMMANDS.items():
        service = compose["services"][name]
        assert service["command"] == command, name
        assert service["restart"] == "always", name
        assert service["healthcheck"]["test"], name
        assert service["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully", name
    common = compose["x-airflow-common"]
    assert common["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert common["environment"]["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert common["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")


def test_init_migrates_and_creates_the_heavy_pool(compose):
    script = compose["services"]["airflow-init"]["command"][1]
    assert "/entrypoint airflow version" in script
    assert f"airflow pools set {OpsConfig().heavy_db_pool} 1" in script


def test_image_is_built_from_the_official_airflow_3_3_image(compose):
    dockerfile = (ROOT / compose["x-airflow-common"]["build"]["dockerfile"]).read_text()
    assert "FROM ${AIRFLOW_IMAGE}" in dockerfile
    assert re.search(r"apache/airflow:3\.3\.\d+", compose["x-airflow-common"]["build"]["args"]["AIRFLOW_IMAGE"])
    assert "requirements.lock" in dockerfile


def test_code_docker_socket_and_host_paths_are_mounted(compose):
    volumes = compose["x-airflow-common"]["volumes"]
    for folder in ("dags", "plugins", "include"):
        assert any(v.startswith(f"./{folder}:/opt/airflow/{folder}") for v in volumes), folder
    assert "/var/run/docker.sock:/var/run/docker.sock" in volumes
    # DockerOperator mounts are resolved by the host engine: host and container paths must be the same
    for variable in ("BACKUP_HOST_DIR", "LOG_HOST_DIR", "STACK_PROJECT_HOST_DIR"):
        mount = next(v for v in volumes if v.startswith("${" + variable))
        source, target = re.findall(r"\$\{[^}]+\}", mount)[:2]
        assert source == target, mount
    assert compose["x-airflow-common"]["group_add"] == ["${DOCKER_GID:-999}"]


def test_attaches_to_the_stacks_external_network(compose):
    assert compose["networks"]["tsdb"]["external"] is True
    assert compose["networks"]["tsdb"]["name"].startswith("${TSDB_NETWORK")


def test_every_variable_used_by_compose_is_in_env_example(env_example):
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", COMPOSE.read_text()))  # $${X} is the container's own
    assert used - set(env_example) == set()


def test_every_key_the_code_reads_is_in_env_example(env_example):
    config = OpsConfig()
    needed = {ENV_VARIABLE}
    for conn_id in (config.postgres_conn_id, config.smtp_conn_id, config.discord_conn_id, config.slack_conn_id):
        needed.add("AIRFLOW_CONN_" + conn_id.upper())
    assert needed - set(env_example) == set()


def test_env_example_config_is_valid_and_holds_no_real_secret(env_example):
    OpsConfig.from_mapping(json.loads(env_example[ENV_VARIABLE]))
    for key, value in env_example.items():
        if any(word in key for word in ("PASSWORD", "SECRET")) and value:
            assert value.startswith("change-me"), key
        if key.startswith("AIRFLOW_CONN_"):
            assert "change-me" in value or "placeholder" in value, key


def test_stack_comes_up_and_runs_a_dag():
    """Brings the stack up where a Docker engine with compose and the Airflow images is available."""
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("skipped: no `docker compose` plugin on this machine (Debian's docker.io has none)")
    if subprocess.run([docker, "image", "inspect", "apache/airflow:3.3.2-python3.11"], capture_output=True).returncode:
        pytest.skip("skipped: image apache/airflow:3.3.2-python3.11 not available locally and Docker Hub is unreachable")
    env_file = ROOT / ".env"
    if not env_file.exists():
        pytest.skip("skipped: no .env (copy .env.example and fill it in to run the bring-up test)")
    project = ["docker", "compose", "-p", "tsdbopstest", "-f", str(COMPOSE)]
    try:
        subprocess.run([*project, "up", "-d", "--build", "--wait"], check=True, timeout=900)
        trigger = [*project, "exec", "-T", "airflow-scheduler", "airflow", "dags", "trigger", "db_backup_monitor"]
        assert subprocess.run(trigger, capture_output=True, text=True, timeout=120).returncode == 0
    finally:
        subprocess.run([*project, "down"], timeout=300)  # never -v: volumes hold the metadata DB
