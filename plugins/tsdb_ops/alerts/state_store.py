"""Where open monitor alerts are remembered between runs: one Airflow Variable per scope, in the metadata DB.

Not in the target database: the alerts that matter most (database down, disk full) must still be tracked
when that database is unreachable. One Variable per scope, so checks of different scopes that publish at the
same time never overwrite each other's state. Inside a task the Variable goes through the Task SDK (the
Execution API); outside a task (CLI, scripts, tests) the Task SDK cannot write Variables, so the metadata DB
model is used directly.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

log = logging.getLogger(__name__)

VARIABLE_PREFIX = "tsdb_ops_alert_state."
_SCOPE = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")


def _in_task() -> bool:
    # The same test Airflow's own airflow.models.Variable uses to detect a running task.
    return hasattr(sys.modules.get("airflow.sdk.execution_time.task_runner"), "SUPERVISOR_COMMS")


def variable_key(scope: str) -> str:
    if not _SCOPE.match(scope):
        raise ValueError(f"alert scope {scope!r}: use letters, digits, '.', '_' or '-' (at most 200 characters)")
    return VARIABLE_PREFIX + scope


class VariableStateStore:
    """Open alerts of a scope as a JSON object in the Airflow Variable ``tsdb_ops_alert_state.<scope>``."""

    def load(self, scope: str) -> dict[str, Any]:
        key = variable_key(scope)
        if _in_task():
            from airflow.sdk import Variable

            text = Variable.get(key, default=None)
        else:
            from airflow.models import Variable as MetadataVariable

            text = MetadataVariable.get(key, default_var=None)
        if not text:
            return {}
        try:
            state = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            state = None
        if not isinstance(state, dict):
            # Forgetting the open alerts costs at worst one repeated message; refusing to alert costs more.
            log.error("Variable %s does not hold a JSON object of open alerts; starting afresh", key)
            return {}
        return state

    def save(self, scope: str, state: dict[str, Any]) -> None:
        key = variable_key(scope)
        text = json.dumps(state, sort_keys=True)
        description = f"Open tsdb-ops alerts of {scope} (written by the monitor; delete to forget them)"
        if _in_task():
            from airflow.sdk import Variable

            Variable.set(key, text, description=description)
        else:
            from airflow.models import Variable as MetadataVariable

            MetadataVariable.set(key, text, description=description)
