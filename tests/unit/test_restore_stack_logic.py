"""Which containers of the trading stack a full restore stops: the running ones of the compose project, never the
database container (by db_host_in_docker or stack_keep_running, as a name or a compose service), never the
container the task runs in; the plan names each of them."""

from __future__ import annotations

from tsdb_ops.backup.catalog import DatabaseState
from tsdb_ops.backup.restore import TargetFacts, plan_restore
from tsdb_ops.backup.stack import plan_stack_stop

SELECTOR = "label:com.docker.compose.project=mt5-trading-db"
OWN_ID = "4f3c2b1a0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a"


def listed(name: str, service: str | None, state: str = "running", container_id: str | None = None) -> dict:
    labels = {"com.docker.compose.project": "mt5-trading-db"}
    if service:
        labels["com.docker.compose.service"] = service
    return {"Id": container_id or f"{name:0<64}"[:64], "Names": [f"/{name}"], "Labels": labels, "State": state}


STACK = [
    listed("mt5_db", "db"),
    listed("mt5_api", "api"),
    listed("mt5_bridge", "bridge"),
    listed("mt5_trainer", "trainer", "exited"),
    listed("mt5_backup_sidecar", "backup"),
    listed("airflow_worker", "worker", container_id=OWN_ID),
]


def test_the_database_container_is_kept_by_its_name_and_by_its_compose_service():
    by_name = plan_stack_stop(STACK, SELECTOR, database_host="mt5_db", keep_running=[])
    assert "mt5_db" not in [c.name for c in by_name.to_stop]
    assert [(c.name, why) for c, why in by_name.kept] == [("mt5_db", "the database container (db_host_in_docker=mt5_db)")]
    by_service = plan_stack_stop(STACK, SELECTOR, database_host="db", keep_running=[])
    assert [c.name for c, _ in by_service.kept] == ["mt5_db"]


def test_running_application_containers_are_stopped_and_stopped_ones_left_alone():
    plan = plan_stack_stop(STACK, SELECTOR, database_host="mt5_db", keep_running=["backup"], own_hostname=OWN_ID[:12])
    assert [c.name for c in plan.to_stop] == ["mt5_api", "mt5_bridge"]
    assert {c.name: why for c, why in plan.kept} == {
        "airflow_worker": "this task runs in it", "mt5_backup_sidecar": "named in stack_keep_running",
        "mt5_db": "the database container (db_host_in_docker=mt5_db)"}
    assert [c.name for c in plan.not_running] == ["mt5_trainer"]
    lines = "\n".join(plan.lines())
    assert f"({SELECTOR}) before the safety dump: mt5_api, mt5_bridge" in lines
    assert "Keep mt5_db running: the database container" in lines
    assert "Not running, left alone (not started afterwards): mt5_trainer (exited)" in lines
    assert "also when it fails: start mt5_api, mt5_bridge again" in lines


def test_a_name_selector_takes_only_names_starting_with_the_prefix():
    plan = plan_stack_stop(STACK, "name:mt5_", database_host="mt5_db", keep_running=[])
    assert [c.name for c in plan.to_stop] == ["mt5_api", "mt5_backup_sidecar", "mt5_bridge"]


def test_an_empty_selection_says_nothing_will_be_stopped():
    plan = plan_stack_stop([listed("mt5_db", "db")], SELECTOR, database_host="mt5_db", keep_running=[])
    assert plan.to_stop == [] and "none (no running container matches)" in plan.lines()[0]


def test_the_restore_plan_lists_the_stack_first_or_says_it_is_not_stopped():
    backup = {"set_id": "20260302", "dump_path": "db/x.backup", "dump_bytes": 1, "database": "mt5", "server_version": "15",
              "timescaledb_version": None, "hypertables": [], "jobs": [], "models_path": "models/m.tar.gz"}
    target = TargetFacts("mt5_new", DatabaseState(exists=False, can_create=True, other_sessions=0), None)
    settings = {"backup_root": "/b", "safety_dump": "db/s.backup", "scratch_database": "scratch",
                "restore_models": False, "clear_models_volume": False, "models_volume": "models_mt5"}
    stack = plan_stack_stop(STACK, SELECTOR, database_host="mt5_db", keep_running=[])
    with_stack = plan_restore(backup, target, **settings, stack_lines=stack.lines()).steps
    assert with_stack[1].startswith("Stop the trading stack's application containers")
    assert "Trading stack: not stopped (stop_stack=false)" in plan_restore(backup, target, **settings).steps[1]
