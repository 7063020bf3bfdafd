"""`make demo` runs every DAG of the package once (README: its first command), each with params the DAG has."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import demo  # noqa: E402


def test_every_dag_file_is_run_once_by_the_demo():
    dag_files = {path.stem for path in (ROOT / "dags").glob("db_*.py")}
    runs = [run.dag_id for run in demo.DAG_RUNS]
    assert len(runs) == len(set(runs))
    assert set(runs) == dag_files


def test_the_demos_params_are_params_of_each_dag():
    from airflow.dag_processing.dagbag import DagBag

    dags = DagBag(str(ROOT / "dags")).dags
    for run in demo.DAG_RUNS:
        conf = run.conf()
        assert set(conf) <= set(dags[run.dag_id].params), (run.dag_id, conf)
        params = copy.deepcopy(dags[run.dag_id].params)
        params.update(conf)  # checks each value against its Param: the types and enums the UI's form enforces
        params.validate()
