"""Whole DAG runs in tests: load a DAG from the project's dags/ folder and read the states of a run's tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DAGS = Path(__file__).resolve().parents[2] / "dags"


def load_dag(dag_id: str) -> Any:
    """The DAG from the DAG files (``DagBag.dags``: no metadata DB needed, unlike ``get_dag``)."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(DAGS)).dags[dag_id]


def task_states(run: Any) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in run.get_task_instances()}


def rendered_fields(run: Any, task_id: str) -> dict[str, Any]:
    """The rendered template fields of one task of a run, as the UI's Rendered Template tab shows them."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.query(RenderedTaskInstanceFields).filter_by(
            dag_id=run.dag_id, run_id=run.run_id, task_id=task_id, map_index=-1).one()
        return dict(row.rendered_fields)
