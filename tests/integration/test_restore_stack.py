"""db_restore with stop_stack against real containers: busybox containers labelled as one compose project (an api,
a bridge, a one-off job that has exited, and one that stands for the database), stopped before and started after
the restore, the database container never.

The restore is a real one of a nightly backup set (test_recovery_postgres's rig); the failing run breaks pg_restore
by naming a Docker network that does not exist, so the stack must come back through the teardown.
"""

from __future__ import annotations

import json
import uuid

import pytest
from test_recovery_postgres import rig, trigger  # noqa: F401  (module fixtures: a verified backup set)

from conftest import TEST_BUSYBOX_IMAGE

pytestmark = pytest.mark.docker

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
# Exits at once on SIGTERM, as a well-behaved service does (busybox sleep as PID 1 would ignore it).
SERVICE = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]


@pytest.fixture
def stack(docker_client):
    """One compose project: api and bridge running, migrate exited, and the database container running."""
    tag = uuid.uuid4().hex[:8]
    project = f"tsdb-ops-stack-{tag}"
    names = {service: f"tsdb-ops-stack-{service}-{tag}" for service in ("api", "bridge", "migrate", "db")}
    for service, name in names.items():
        labels = {PROJECT_LABEL: project, SERVICE_LABEL: "timescaledb" if service == "db" else service}
        command = ["true"] if service == "migrate" else SERVICE
        container = docker_client.containers.run(TEST_BUSYBOX_IMAGE, command, name=name, detach=True, labels=labels)
        if service == "migrate":
            container.wait(timeout=30)
    yield {"selector": f"label:{PROJECT_LABEL}={project}", "names": names, "started": started_at(docker_client, names)}
    for container in docker_client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"}):
        container.remove(force=True)


def started_at(docker_client, names: dict[str, str]) -> dict[str, tuple[bool, str]]:
    """Per service: running, and when it was last started (a container that was never stopped keeps its time)."""
    states = {}
    for service, name in names.items():
        state = docker_client.containers.get(name).attrs["State"]
        states[service] = (state["Running"], state["StartedAt"])
    return states


def test_stop_and_start_tasks_stop_only_the_running_application_containers_and_start_exactly_them(
        stack, docker_client, airflow_home, monkeypatch, tmp_path):
    from tsdb_ops.tasks import db_restore as tasks

    names = stack["names"]
    monkeypatch.setenv("AIRFLOW_VAR_TSDB_OPS_CONFIG", json.dumps({
        "stack_containers": stack["selector"], "db_host_in_docker": names["db"], "stack_keep_running": [],
        "stack_stop_timeout_seconds": 10, "log_dir": str(tmp_path / "logs")}))
    before = stack["started"]
    assert {s: running for s, (running, _) in before.items()} == {"api": True, "bridge": True, "migrate": False,
                                                                  "db": True}
    plan = tasks._stack_plan(tasks.load_config()).as_dict()
    assert [c["name"] for c in plan["to_stop"]] == [names["api"], names["bridge"]]
    assert [(c["name"], c["why"]) for c in plan["kept"]] == [
        (names["db"], f"the database container (db_host_in_docker={names['db']})")]

    stopped = tasks.stop_stack_containers({"dry_run": False, "stack": plan})
    assert [c["name"] for c in stopped] == [names["api"], names["bridge"]]
    during = started_at(docker_client, names)
    assert {s: running for s, (running, _) in during.items()} == {"api": False, "bridge": False, "migrate": False,
                                                                  "db": True}
    assert during["db"] == before["db"]

    assert tasks.start_stack_containers({"dry_run": False}, stopped) == [names["api"], names["bridge"]]
    after = started_at(docker_client, names)
    assert {s: running for s, (running, _) in after.items()} == {"api": True, "bridge": True, "migrate": False,
                                                                 "db": True}
    assert after["db"] == before["db"] and after["migrate"] == before["migrate"]   # never stopped, never started
    assert after["api"][1] > before["api"][1]
    log = (tmp_path / "logs" / "backup.log").read_text()
    assert f"Stopped 2 container(s) of the stack before the restore: {names['api']}, {names['bridge']}" in log


def test_dry_run_lists_exactly_the_containers_it_would_stop_and_stops_none(rig, trigger, stack, docker_client):  # noqa: F811
    names = stack["names"]
    overrides = {"stack_containers": stack["selector"], "stack_keep_running": [names["db"]]}
    state, states, output = trigger("db_restore", {"target_database": f"restored_stack_dry_{rig.tag}",
                                                   "stop_stack": True}, **overrides)
    assert state == "success" and states["validate_params"] == "success"
    assert {s for t, s in states.items() if t != "validate_params"} == {"skipped"}, states
    assert (f"({stack['selector']}) before the safety dump: {names['api']}, {names['bridge']}" in output)
    assert f"Keep {names['db']} running: named in stack_keep_running" in output
    assert f"Not running, left alone (not started afterwards): {names['migrate']} (exited)" in output
    assert started_at(docker_client, names) == stack["started"]


def test_a_failed_restore_still_starts_the_stopped_stack_again_and_never_stops_the_database(
        rig, trigger, stack, docker_client):  # noqa: F811
    names = stack["names"]
    overrides = {"stack_containers": stack["selector"], "stack_keep_running": [names["db"]],
                 "stack_stop_timeout_seconds": 10, "docker_network": f"tsdb-ops-no-such-network-{rig.tag}"}
    state, states, output = trigger("db_restore", {"target_database": f"restored_stack_fail_{rig.tag}",
                                                   "stop_stack": True, "dry_run": False}, **overrides)
    assert state == "failed"
    assert states["stop_stack_containers"] == "success" and states["restore_dump"] == "failed"
    assert states["start_stack_containers"] == "success", states
    if rig.cluster.timescale:  # restore mode was entered, so it is left although pg_restore failed
        assert states["prepare_timescaledb_restore"] == states["end_timescaledb_restore"] == "success", states
    assert f"Stopping container {names['api']}" in output and f"Started container {names['bridge']}" in output
    before, after = stack["started"], started_at(docker_client, names)
    assert after["api"][0] and after["bridge"][0] and after["api"][1] > before["api"][1]   # stopped, then started
    assert after["db"] == before["db"] and after["migrate"] == before["migrate"]
