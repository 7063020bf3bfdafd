"""Failure alert of a task to every active channel: the ``on_failure_callback`` of every tsdb-ops task.

Attached per task through ``default_args`` (dag_defaults), because DAG-level failure callbacks did not fire
in Airflow 3.1-3.2 (apache/airflow#63374). Airflow calls it once, when the last try failed (a failed try that
will be retried calls ``on_retry_callback`` instead), so each failed task gives one message per channel.

Every DAG file imports this module when it is parsed, and a callback runs only when a task failed: the channels,
messages and configuration are imported when a failure is sent, not at parse time (DAG parse budget: 50 ms).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

if TYPE_CHECKING:
    from tsdb_ops.alerts.messages import Alert
    from tsdb_ops.config import OpsConfig

log = logging.getLogger(__name__)


class AlertedFindingsError(AirflowFailException):
    """Raised by a task that fails the run because of findings it already published through the monitor alert
    API (with repeat suppression): no retry, and no task-failure alert, or every hourly run would page again."""


def _config() -> OpsConfig:
    from tsdb_ops.alerts.redaction import redact
    from tsdb_ops.config import OpsConfig, load_config

    try:
        return load_config()
    except Exception as exc:  # a broken config must not silence the alert: fall back to the defaults
        log.error("Alerting with default settings: the configuration could not be loaded (%s)", redact(str(exc)))
        return OpsConfig()


def alert_from_context(context: dict[str, Any], config: OpsConfig) -> Alert:
    """The failure alert of the task instance in an Airflow task context."""
    from tsdb_ops.alerts.messages import task_failure_alert

    ti = context["ti"]
    dag_run = context.get("dag_run")
    return task_failure_alert(
        dag_id=ti.dag_id,
        task_id=ti.task_id,
        run_id=ti.run_id,
        run_after=getattr(dag_run, "run_after", None),
        try_number=ti.try_number,
        max_tries=getattr(ti, "max_tries", 0) or 0,
        map_index=getattr(ti, "map_index", None),
        exception=context.get("exception"),
        base_url=config.airflow_base_url,
        final=isinstance(context.get("exception"), AirflowFailException),
    )


def notify_task_failure(context: dict[str, Any]) -> None:
    """Send the failure alert of ``context``'s task to every active channel. Never raises."""
    if isinstance(context.get("exception"), AlertedFindingsError):
        log.info("Task failed on findings already alerted (with repeat suppression): no task-failure alert")
        return
    from tsdb_ops.alerts.channels import ActiveChannels, deliver, find_active_channels, route
    from tsdb_ops.alerts.redaction import redact
    from tsdb_ops.logfiles import TASK_FAILURE_LOG, append_log_line

    active = ActiveChannels({}, frozenset())
    try:
        config = _config()
        active = find_active_channels(config)
        alert = alert_from_context(context, config)
        channels = route("failure", config, active)
        if not channels:
            text = alert.redacted(set(active.secrets)).as_text()
            log.warning("No alert channel is configured; failure alert only logged: %s", text)
            outcome = "no active channel"
        else:
            results = deliver(alert, channels, active, config)
            sent = [c for c, error in results.items() if error is None]
            failed = [f"{c}: {error}" for c, error in results.items() if error is not None]
            outcome = f"sent to {', '.join(sent) or 'nobody'}" + (f"; NOT delivered to {'; '.join(failed)}" if failed else "")
        line = redact(f"TASK FAILED {alert.title} ({outcome})", set(active.secrets))
        append_log_line(config, TASK_FAILURE_LOG, " ".join(line.split()))
    except Exception as exc:  # the callback must never turn into a second failure
        log.error("Failure alert could not be sent: %s: %s", type(exc).__name__, redact(str(exc), set(active.secrets)))
