"""# alert_monitor_dag

Test-only DAG: three tasks publish monitor findings of one scope (param `scope`) in a running DAG, so the
open-alert state goes through the Task SDK's Variables: the first opens a critical alert, the second
publishes it again (suppressed), the third publishes no finding (resolved). Each task fails if the report differs.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain, task

from tsdb_ops.alerts.monitor_alerts import publish_findings
from tsdb_ops.dag_defaults import dag_kwargs
from tsdb_ops.findings import Finding

DISK_FULL = Finding("disk_usage", "critical", "Backup volume is 91% full (limit 85%)", {"used_percent": 91})


def _check(report, **expected: list[str]) -> None:
    got = {name: getattr(report, name) for name in expected}
    if got != expected:
        raise AssertionError(f"publish_findings reported {got}, expected {expected}")


with DAG(
    params={"scope": Param("test.alert_monitor_dag", type="string", title="Alert scope")},
    **dag_kwargs("alert_monitor_dag", description="Test: monitor alerts through publish_findings", tags=["test"],
                 doc_md=__doc__),
):

    @task(retries=0)
    def open_disk_alert(params=None) -> None:
        _check(publish_findings(params["scope"], [DISK_FULL]), sent=["disk_usage"], suppressed=[])

    @task(retries=0)
    def repeat_disk_alert(params=None) -> None:
        _check(publish_findings(params["scope"], [DISK_FULL]), sent=[], suppressed=["disk_usage"])

    @task(retries=0)
    def clear_disk_alert(params=None) -> None:
        _check(publish_findings(params["scope"], []), resolved=["disk_usage"], sent=[])

    chain(open_disk_alert(), repeat_disk_alert(), clear_disk_alert())
