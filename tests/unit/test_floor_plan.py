"""The package's floor plan: who may import whom, who may import Airflow, and where each SQL file lives.

Layers, lowest first; a module imports only from its own layer's shared modules or below:
  base     config, findings, files, logfiles, params
  reach    db, docker, timescale/
  subjects maintenance/, backup/, monitor/, health/, alerts/, pitr/  (never each other; the monitor reads backup manifests)
  shell    dag_defaults, tasks/, ui/ (the ops page in the Airflow UI)
Airflow is imported only by tasks/, alerts/, ui/, db, docker, and config (its runtime loading).
The shell's tasks/ modules import the reach and subject layers inside their callables, never at module level:
every DAG file imports them when it is parsed (budget: 50 ms a file, bench/bench_dag_parse.py).
An SQL file lives in include/sql/<package>/ of the one package (or base module) that names it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "plugins" / "tsdb_ops"
SQL = ROOT / "include" / "sql"

LAYERS = {
    "config": 0, "findings": 0, "files": 0, "logfiles": 0, "params": 0,
    "db": 1, "docker": 1, "timescale": 1,
    "maintenance": 2, "backup": 2, "monitor": 2, "health": 2, "alerts": 2, "pitr": 2,
    "dag_defaults": 3, "tasks": 3, "ui": 3,
}
ALLOWED_SIDEWAYS = {("monitor", "backup")}
AIRFLOW_IMPORTERS = {"tasks", "alerts", "db", "docker", "config", "ui"}


def _unit(path: Path) -> str:
    """The floor-plan unit of a module: its subpackage, or the base module's own name."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            if node.module == "tsdb_ops":
                names += [f"tsdb_ops.{alias.name}" for alias in node.names]
    return names


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


def test_every_module_belongs_to_a_unit_of_the_floor_plan():
    assert {_unit(p) for p in MODULES} <= set(LAYERS), sorted({_unit(p) for p in MODULES} - set(LAYERS))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_only_downward_and_subjects_never_import_each_other(path):
    unit = _unit(path)
    for name in _imports(path):
        if not name.startswith("tsdb_ops."):
            continue
        target = name.split(".")[1]
        if target == unit:
            continue
        assert target in LAYERS, f"{path.name} imports {name}, which is in no unit of the floor plan"
        assert LAYERS[target] <= LAYERS[unit], f"{unit} (layer {LAYERS[unit]}) imports {name} (layer {LAYERS[target]})"
        if LAYERS[unit] == LAYERS[target] in (1, 2):
            assert (unit, target) in ALLOWED_SIDEWAYS, f"{unit} imports its sibling {target} ({path.name})"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_airflow_shell_imports_airflow(path):
    if _unit(path) in AIRFLOW_IMPORTERS:
        return
    assert not [n for n in _imports(path) if n == "airflow" or n.startswith("airflow.")], path


TASK_MODULES = sorted((PACKAGE / "tasks").glob("*.py"))
# The failure callback and the exception a task raises on findings already alerted: loaded by every DAG at parse
# time, so the module imports what sends an alert only when a task failed.
PARSE_TIME_MODULES = {"tsdb_ops.alerts.task_failure"}


@pytest.mark.parametrize("path", TASK_MODULES, ids=lambda p: p.name)
def test_the_shell_loads_subject_code_when_a_task_runs_not_when_a_dag_is_parsed(path):
    tree = ast.parse(path.read_text())
    eager = [
        node.module for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tsdb_ops.")
        and LAYERS.get(node.module.split(".")[1], 0) in (1, 2) and node.module not in PARSE_TIME_MODULES
    ]
    assert not eager, f"{path.name} imports {eager} at module level; import them inside the task or operator method"


def _readers() -> dict[str, set[str]]:
    readers: dict[str, set[str]] = {}
    for path in MODULES:
        for match in re.finditer(r"""["']([a-z_]+/[a-z_]+\.sql)["']""", path.read_text()):
            readers.setdefault(match.group(1), set()).add(_unit(path))
        for match in re.finditer(r"""f["']([a-z_]+)/\{""", path.read_text()):
            readers.setdefault(f"{match.group(1)}/*", set()).add(_unit(path))
    return readers


SQL_FILES = sorted(str(p.relative_to(SQL)) for p in SQL.rglob("*.sql"))


@pytest.mark.parametrize("sql_file", SQL_FILES)
def test_an_sql_file_lives_beside_its_one_reader(sql_file):
    folder = sql_file.split("/")[0]
    readers = _readers()
    named = readers.get(sql_file, set()) | readers.get(f"{folder}/*", set())
    assert named, f"include/sql/{sql_file} is read by no module: delete it or read it"
    assert named == {folder}, f"include/sql/{sql_file} is named by {sorted(named)}; it belongs in their folder"


def test_airflow_loads_no_library_module_as_a_plugin():
    """The plugin loader imports every file of the plugins folder under its bare stem (sys.modules['docker']);
    plugins/.airflowignore keeps the library out, so the Docker SDK stays the Docker SDK."""
    import docker as docker_sdk
    from airflow import plugins_manager

    plugins_manager._get_plugins.cache_clear()
    plugins_manager._get_plugins()
    import docker

    assert docker is docker_sdk and hasattr(docker, "DockerClient")
    assert not [name for name in ("db", "files", "params", "findings", "logfiles") if name in __import__("sys").modules]
