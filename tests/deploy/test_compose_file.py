"""docker-compose.airflow.yml follows the official Airflow 3.3 layout, every key it or the code uses is in .env.example,
and each defect of the first deployment stays fixed (static checks; tests/deploy/test_bring_up.py runs it for real)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tsdb_ops.config import ENV_VARIABLE, OpsConfig

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.airflow.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DEPLOY_UP = ROOT / "scripts" / "deploy_up.sh"
BUILD_IMAGES = ROOT / "scripts" / "build_deploy_images.sh"
DOCKER_SOCKET = "/var/run/docker.sock"

AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
}
AIRFLOW_SERVICES = {*AIRFLOW_COMMANDS, "airflow-init"}
# host directory variable -> (config keys whose value is that directory, key below it)
HOST_DIRS = {
    "BACKUP_HOST_DIR": ("backup_root",),
    "LOG_HOST_DIR": ("log_dir",),
    "STACK_PROJECT_HOST_DIR": ("config_project_dir",),
}
_REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


def read_env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR} and ${VAR:-default} (unset or empty: the default)."""
    return _REFERENCE.sub(lambda m: variables.get(m[1]) or (m[2] or ""), value)


def compose_default(variable: str) -> str:
    defaults = {m[2] for m in _REFERENCE.finditer(COMPOSE.read_text()) if m[1] == variable and m[2] is not None}
    assert len(defaults) == 1, f"{variable} has the defaults {defaults} in the compose file"
    return defaults.pop()


def volume_targets(service: dict) -> list[str]:
    """Container paths of a service's volumes, short and long syntax."""
    targets = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            targets.append(volume["target"])
        else:
            targets.append(volume.split(":")[1])
    return targets


def test_services_of_the_official_celery_layout(compose):
    assert set(compose["services"]) == {"postgres", "redis", "barman", *AIRFLOW_SERVICES}
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


def test_init_runs_the_entrypoint_once_and_creates_the_heavy_pool(compose):
    script = compose["services"]["airflow-init"]["command"][1]
    # the entrypoint migrates and creates the admin user on every run: once, with the pool and the check inside it
    assert script.count("/entrypoint") == 1
    assert re.search(r"^\s*exec /entrypoint bash -c '.*'\s*$", script, re.M)
    assert f"airflow pools set {OpsConfig().heavy_db_pool} 1" in script
    assert "python /opt/tsdb-ops/check_deployment.py" in script


def test_image_is_built_once_from_the_official_airflow_3_3_image(compose):
    services = compose["services"]
    built = [name for name, service in services.items() if "build" in service]
    assert built == ["airflow-init"]
    assert "build" not in compose["x-airflow-common"]
    assert {services[name]["image"] for name in AIRFLOW_SERVICES} == {compose["x-airflow-common"]["image"]}
    build = services["airflow-init"]["build"]
    dockerfile = (ROOT / build["dockerfile"]).read_text()
    assert "FROM ${AIRFLOW_IMAGE}" in dockerfile
    assert re.search(r"apache/airflow:3\.3\.\d+", build["args"]["AIRFLOW_IMAGE"])
    assert "requirements.lock" in dockerfile and "deploy/requirements.txt" in dockerfile
    assert re.search(r"pip install [^\n]*\\\n\s*&& pip check", dockerfile)


def test_build_context_is_limited_to_what_the_image_needs():
    ignore = [line for line in (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
              if line and not line.startswith("#")]
    assert ignore[0] == "*"  # everything is excluded first, then allowed back
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = set(re.findall(r"^COPY --chown=\S+ (.+) \S+$", (ROOT / "deploy" / "Dockerfile").read_text(), re.M))
    sources = {source.rstrip("/") for line in copied for source in line.split()}
    assert sources <= allowed
    assert not {".env", ".venv", "tests"} & allowed


def test_docker_socket_only_where_docker_tasks_run(compose):
    services = compose["services"]
    with_socket = {name for name, service in services.items() if DOCKER_SOCKET in volume_targets(service)}
    assert with_socket == {"airflow-worker"}
    assert DOCKER_SOCKET not in volume_targets(compose["x-airflow-common"])
    assert {name for name, service in services.items() if "group_add" in service} == {"airflow-worker"}
    assert "ports" in services["airflow-apiserver"]  # the published service must never get it


def test_docker_gid_has_no_guessed_default(compose, env_example):
    [group] = compose["services"]["airflow-worker"]["group_add"]
    # 999 was wrong on a Debian host (105): no default, deploy_up.sh fills in the socket's group
    assert group.startswith("${DOCKER_GID:?") and "stat -c %g /var/run/docker.sock" in group
    assert env_example["DOCKER_GID"] == ""
    script = DEPLOY_UP.read_text()
    assert 'stat -c %g "$SOCKET"' in script and "SOCKET=/var/run/docker.sock" in script
    worker_check = compose["services"]["airflow-worker"]["healthcheck"]["test"][1]
    assert worker_check.startswith("[ -w /var/run/docker.sock ] ||")


def test_host_dirs_are_mounted_at_the_same_path_in_the_workers(compose):
    worker = compose["services"]["airflow-worker"]
    mounts = [v for v in worker["volumes"] if isinstance(v, dict)]
    for variable in HOST_DIRS:
        default = compose_default(variable)
        [mount] = [m for m in mounts if m["source"] == f"${{{variable}:-{default}}}"]
        assert mount["target"] == mount["source"], variable
    for mount in ("./dags:/opt/airflow/dags:ro", "./plugins:/opt/tsdb-ops/plugins:ro", "./include:/opt/airflow/include:ro"):
        assert mount in worker["volumes"], mount


def test_package_is_on_the_python_path_not_in_airflows_plugins_folder(compose):
    """Airflow imports each file of its plugins folder as a top-level module: tsdb_ops/docker.py became `docker`."""
    for name, service in {**compose["services"], "common": compose["x-airflow-common"]}.items():
        if name in AIRFLOW_SERVICES or name == "common":
            assert "/opt/airflow/plugins" not in volume_targets(service), name
    assert compose["x-airflow-common"]["environment"]["PYTHONPATH"] == "/opt/tsdb-ops/plugins"
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "COPY --chown=airflow:0 plugins/ /opt/tsdb-ops/plugins/" in dockerfile
    assert "ENV PYTHONPATH=/opt/tsdb-ops/plugins" in dockerfile


def test_task_paths_come_from_the_host_dir_settings(env_example):
    """Changing a host directory alone changes the tasks' paths with it (they were separate settings)."""
    for variables in ({}, {"BACKUP_HOST_DIR": "/srv/b", "LOG_HOST_DIR": "/srv/log", "STACK_PROJECT_HOST_DIR": "/srv/stack"}):
        config = OpsConfig.from_mapping(json.loads(interpolate(env_example[ENV_VARIABLE], variables)))
        for variable, keys in HOST_DIRS.items():
            path = variables.get(variable) or compose_default(variable)
            for key in keys:
                assert getattr(config, key) == path, (key, variables)
        log_dir = variables.get("LOG_HOST_DIR") or compose_default("LOG_HOST_DIR")
        assert config.report_dir.startswith(log_dir + "/"), variables
        assert config.backup_host_root == ""  # same path on the host: no translation
        assert config.docker_network == (variables.get("TSDB_NETWORK") or compose_default("TSDB_NETWORK"))


def test_init_gets_every_directory_with_the_compose_defaults(compose):
    """airflow-init reads only variables the compose file itself sets: none may be missing when .env lacks them."""
    init = compose["services"]["airflow-init"]
    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", init["command"][1]))  # $${X} in the file: the container's X
    assert used <= set(init["environment"]), used - set(init["environment"])
    environment = init["environment"]
    for variable, name in (("BACKUP_HOST_DIR", "TSDB_OPS_BACKUP_DIR"), ("LOG_HOST_DIR", "TSDB_OPS_LOG_DIR")):
        assert environment[name] == f"${{{variable}:-{compose_default(variable)}}}"
    assert environment["TSDB_OPS_UID"] == "${AIRFLOW_UID:-50000}"


def test_deployment_check_refuses_task_paths_outside_the_mounts():
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        from check_deployment import disagreements
    finally:
        sys.path.remove(str(ROOT / "deploy"))
    env = {"TSDB_OPS_BACKUP_DIR": "/srv/b", "TSDB_OPS_LOG_DIR": "/srv/log", "TSDB_OPS_STACK_PROJECT_DIR": "/srv/stack"}
    agreeing = OpsConfig.from_mapping({"backup_root": "/srv/b", "log_dir": "/srv/log", "report_dir": "/srv/log/reports",
                                       "config_project_dir": "/srv/stack"})
    assert disagreements(agreeing, env) == []
    problems = disagreements(OpsConfig(), env)  # the defaults: /backups/mt5, /var/log/mt5, ...
    assert [p.split(" is ")[0] for p in problems] == ["backup_root", "log_dir", "report_dir", "config_project_dir"]
    assert "BACKUP_HOST_DIR" in problems[0]


def test_attaches_only_the_workers_to_the_stacks_external_network(compose):
    assert compose["networks"]["tsdb"]["external"] is True
    assert compose["networks"]["tsdb"]["name"].startswith("${TSDB_NETWORK")
    on_stack = {name for name, service in compose["services"].items() if "tsdb" in service.get("networks", [])}
    assert on_stack == {"airflow-worker", "barman"}  # barman: its WAL receiver connects to the database


def test_env_file_is_git_ignored():
    result = subprocess.run(["git", "check-ignore", "--no-index", "-q", ".env"], cwd=ROOT)
    assert result.returncode == 0, ".env (passwords, connections) is not in .gitignore"
    assert subprocess.run(["git", "check-ignore", "--no-index", "-q", ".env.example"], cwd=ROOT).returncode == 1


def test_compose_minimum_is_documented_and_enforced(compose):
    minimum = re.search(r"^COMPOSE_MIN_VERSION=(\d+\.\d+\.\d+)$", DEPLOY_UP.read_text(), re.M)[1]
    assert f"Docker Compose v{minimum} or newer" in COMPOSE.read_text()
    readme = (ROOT / "README.md").read_text()
    deployment = readme[readme.index("## Deployment"):readme.index("\n## ", readme.index("## Deployment") + 1)]
    assert f"Docker Compose v{minimum}" in deployment
    assert "scripts/deploy_up.sh" in deployment
    for key in ("BACKUP_HOST_DIR", "LOG_HOST_DIR", "STACK_PROJECT_HOST_DIR", "TSDB_NETWORK", "DOCKER_GID"):
        assert f"`{key}`" in deployment, key
    assert "env_file: .env" in COMPOSE.read_text()  # the short form reads the same in every v2 release


def test_lock_pins_everything_the_image_installs():
    lock = {re.split("==", line)[0].lower().replace("_", "-"): line.split("==")[1]
            for line in (ROOT / "requirements.lock").read_text().splitlines() if "==" in line}
    wanted = set()
    for path in (ROOT / "requirements.txt", ROOT / "deploy" / "requirements.txt"):
        for line in path.read_text().splitlines():
            if line and not line.startswith(("#", "-")):
                wanted.add(re.split(r"[\[<>=]", line)[0].lower())
    assert wanted - set(lock) == set()
    # FAB (the auth manager) needs python-dateutil < 3; celery 5.7 broke the celery provider's scheduler
    assert int(lock["python-dateutil"].split(".")[0]) < 3
    assert tuple(int(p) for p in lock["celery"].split(".")[:2]) < (5, 7)


def test_stand_in_images_carry_the_names_the_deployment_uses(compose):
    script = BUILD_IMAGES.read_text()

    def name(variable: str) -> str:
        return re.search(rf"^{variable}=(\S+)$", script, re.M)[1]

    assert name("AIRFLOW_IMAGE") == compose_default("AIRFLOW_IMAGE")
    assert name("METADATA_DB_IMAGE") == compose["services"]["postgres"]["image"]
    assert name("BROKER_IMAGE") == compose["services"]["redis"]["image"]
    assert name("BUSYBOX_IMAGE") == OpsConfig().busybox_image
    tsdb = re.search(r"^TIMESCALEDB_IMAGE=(\S+)$", script, re.M)[1]
    assert tsdb.replace("${tsdb_version}", "2.28.3") == OpsConfig().pg_client_image


def test_backup_containers_run_as_the_airflow_user_with_umask_027():
    """The image's cluster policy: the dumps were root-owned and world-readable."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("deploy_local_settings", ROOT / "deploy" / "airflow_local_settings.py")
    policy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(policy)

    classes = docker_task_classes()
    # every container task of the package is decided: a new one must be added to one of the two sets
    assert set(classes) == policy.RUN_AS_AIRFLOW_USER | policy.KEEP_IMAGE_USER
    for name, cls in classes.items():
        task = cls(task_id=name.lower(), **{k: {} for k in ("validated", "backup") if k in _init_params(cls)})
        policy.task_policy(task)
        if name in policy.RUN_AS_AIRFLOW_USER:
            assert task.user == f"{os.getuid()}:{os.getgid()}", name
            assert task.entrypoint == ["sh", "-c", 'umask 027 && exec "$@"', "umask-027"], name
        else:
            assert task.user is None and task.entrypoint is None, name
    out = subprocess.run([*policy.UMASK_ENTRYPOINT, "sh", "-c", "umask"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0027"


def docker_task_classes() -> dict[str, type]:
    """The DockerOperator tasks the package defines (classes with their own execute), by name."""
    import importlib
    import pkgutil

    from airflow.providers.docker.operators.docker import DockerOperator

    import tsdb_ops

    found = {}
    for module_info in pkgutil.walk_packages(tsdb_ops.__path__, "tsdb_ops."):
        module = importlib.import_module(module_info.name)
        for cls in vars(module).values():
            if (isinstance(cls, type) and issubclass(cls, DockerOperator) and cls.__module__ == module.__name__
                    and "execute" in vars(cls)):
                found[cls.__name__] = cls
    assert found, "no DockerOperator task found in tsdb_ops"
    return found


def _init_params(cls: type) -> set[str]:
    import inspect

    return {name for klass in cls.__mro__ if "__init__" in vars(klass)
            for name in inspect.signature(klass.__init__).parameters}


def test_every_variable_used_by_compose_is_in_env_example(env_example):
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", COMPOSE.read_text()))  # $${X} is the container's own
    assert used - set(env_example) == set()


def test_every_key_the_code_reads_is_in_env_example(env_example):
    config = OpsConfig()
    needed = {ENV_VARIABLE}
    for conn_id in (config.postgres_conn_id, config.smtp_conn_id, config.discord_conn_id, config.slack_conn_id,
                    config.pitr_conn_id):
        needed.add("AIRFLOW_CONN_" + conn_id.upper())
    assert needed - set(env_example) == set()


def test_env_example_config_is_valid_and_holds_no_real_secret(env_example):
    OpsConfig.from_mapping(json.loads(interpolate(env_example[ENV_VARIABLE], env_example)))
    for key, value in env_example.items():
        if any(word in key for word in ("PASSWORD", "SECRET")) and value:
            assert value.startswith("change-me"), key
        if key.startswith("AIRFLOW_CONN_"):
            assert "change-me" in value or "placeholder" in value, key


def test_bytecode_of_the_read_only_package_is_cached_outside_it(compose):
    """The package is mounted read-only: without a bytecode cache elsewhere every DAG parse compiles it again."""
    environment = compose["x-airflow-common"]["environment"]
    prefix = environment["PYTHONPYCACHEPREFIX"]
    assert "PYTHONDONTWRITEBYTECODE" not in environment
    mounts = volume_targets(compose["x-airflow-common"])
    assert not any(prefix == target or prefix.startswith(target.rstrip("/") + "/") for target in mounts), prefix


def test_barman_service_keeps_the_wal_receiver_running_on_the_catalogue_the_dags_use(compose, env_example):
    """Point-in-time recovery: the long-running WAL receiver is a service of its own image, opt-in (profile pitr),
    on the database's network, with the named catalogue volume that the DAGs' Barman containers mount."""
    barman = compose["services"]["barman"]
    config = OpsConfig()
    assert barman["image"] == "${BARMAN_IMAGE:-" + config.barman_image + "}" and "build" not in barman
    assert barman["profiles"] == ["pitr"] and barman["restart"] == "always"
    assert barman["volumes"] == ["barman-catalogue:/var/lib/barman"]
    assert compose["volumes"]["barman-catalogue"]["name"] == "${PITR_CATALOGUE:-" + config.pitr_catalogue + "}"
    # one setting each: the service's image and volume and the DAGs' barman_image and pitr_catalogue change together
    for variables in ({}, {"BARMAN_IMAGE": "registry.example/barman:9", "PITR_CATALOGUE": "pitr_cat"}):
        tasks = OpsConfig.from_mapping(json.loads(interpolate(env_example[ENV_VARIABLE], variables)))
        assert tasks.barman_image == interpolate(barman["image"], variables), variables
        assert tasks.pitr_catalogue == interpolate(compose["volumes"]["barman-catalogue"]["name"], variables)
    login = json.loads(env_example["AIRFLOW_CONN_" + config.pitr_conn_id.upper()])["login"]
    assert login == config.pitr_replication_role
    assert DOCKER_SOCKET not in volume_targets(barman) and "ports" not in barman
    assert "pg_receivewal" in barman["healthcheck"]["test"]
    dockerfile = (ROOT / "deploy" / "barman" / "Dockerfile").read_text()
    version = re.search(r"^ARG BARMAN_VERSION=(\S+)$", dockerfile, re.M)[1]
    assert config.barman_image.endswith(":" + version)  # the tag says which Barman the image holds
    assert '"barman==${BARMAN_VERSION}"' in dockerfile and "postgresql-client-15" in dockerfile
    assert (ROOT / "deploy" / "barman" / "barman-service").read_text().count("barman -c \"$CONF\" cron") == 1
