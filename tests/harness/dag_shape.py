"""Helpers of the DAG-shape tests."""

from __future__ import annotations

from typing import Any


def order(dag: Any) -> list[str]:
    """The DAG's task ids in the order its dependencies run them."""
    return [t.task_id for t in dag.topological_sort()]
